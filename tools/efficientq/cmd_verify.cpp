// efficientq verify MODEL IMAGE... [--full [--label SEG]]: runs the model in onnxruntime (an
// independent runtime, from PyPI) and in our engine on the same input and reports how far they
// agree. Default: one ROI window (max |Δ probability|, label agreement). --full: the whole volume
// through the same sliding window in both (MONAI semantics re-implemented in NumPy on the
// onnxruntime side), label agreement on the image grid, and with --label both Dice.
#include <efficientq/efficientq_experimental.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "options.hpp"
#include "ort_bridge.hpp"

namespace cli {

namespace {

const char* kImports = R"PY(
import math, sys
try:
    import numpy as np
    import onnxruntime as ort
except ImportError as e:
    sys.stderr.write("onnxruntime/numpy missing in this Python (%s); create one with: "
                     "python3 -m venv build/venv && build/venv/bin/pip install onnxruntime numpy\n" % e)
    sys.exit(3)
so = ort.SessionOptions()
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
s = ort.InferenceSession(sys.argv[1], so, providers=["CPUExecutionProvider"])
name = s.get_inputs()[0].name
x = np.load(sys.argv[2])
)PY";

// One forward pass.
const std::string kWindowScript = std::string(kImports) + R"PY(
y = s.run(None, {name: x})[0]
np.save(sys.argv[3], np.ascontiguousarray(y, dtype=np.float32))
)PY";

// MONAI sliding_window_inference (sw_batch_size 1, constant padding 0, sigma_scale 0.125), as
// tools/train/sliding_window_ref.py, against which libefficientq's sliding window is tested.
// argv[4..]: roi D,H,W, overlap, gaussian|constant, and "exact" or "timing:THREADS" (onnxruntime
// with its default graph optimizations and THREADS intra-op threads, the window loop timed).
const std::string kSlidingScript = std::string(kImports) + R"PY(
import time
roi = [int(v) for v in sys.argv[4].split(",")]
overlap, mode = float(sys.argv[5]), sys.argv[6]
timing = sys.argv[7].startswith("timing:")
if timing:
    so = ort.SessionOptions()
    so.intra_op_num_threads = int(sys.argv[7].split(":")[1])
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(sys.argv[1], so, providers=["CPUExecutionProvider"])
t0 = time.perf_counter()
spatial = x.shape[2:]
pads = [(max(r - n, 0) // 2, max(r - n, 0) - max(r - n, 0) // 2) for n, r in zip(spatial, roi)]
xp = np.pad(x, [(0, 0), (0, 0)] + pads, mode="constant").astype(np.float32)
size = xp.shape[2:]
roi = [min(r, n) for r, n in zip(roi, size)]
if mode == "constant":
    wmap = np.ones(roi, dtype=np.float32)
else:
    wmap = None
    for p in roi:
        t = np.arange(-(p - 1) / 2.0, (p - 1) / 2.0 + 1, dtype=np.float32)
        sg = np.float32(p * 0.125)
        g = np.exp(t ** 2 / (np.float32(-2.0) * sg ** 2)).astype(np.float32)
        wmap = g if wmap is None else wmap[..., None] * g
    wmap = np.maximum(wmap, np.float32(max(float(wmap.min()), 1e-3))).astype(np.float32)
starts = []
for n, r in zip(size, roi):
    interval = r if r == n else max(int(r * (1 - overlap)), 1)
    num = int(math.ceil(float(n) / interval))
    scan = next((d for d in range(num) if d * interval + r >= n), None)
    starts.append([i * interval - max(i * interval + r - n, 0)
                   for i in range((scan + 1) if scan is not None else 1)])
out, count = None, np.zeros(size, dtype=np.float32)
for a in starts[0]:
    for b in starts[1]:
        for c in starts[2]:
            sl = (slice(a, a + roi[0]), slice(b, b + roi[1]), slice(c, c + roi[2]))
            pred = s.run(None, {name: np.ascontiguousarray(xp[(slice(None), slice(None)) + sl])})[0]
            if out is None:
                out = np.zeros((x.shape[0], pred.shape[1]) + tuple(size), dtype=np.float32)
            out[(slice(None), slice(None)) + sl] += wmap * pred.astype(np.float32)
            count[sl] += wmap
out = out / count
if timing:
    open(sys.argv[3] + ".seconds", "w").write(repr(time.perf_counter() - t0))
crop = tuple(slice(p[0], p[0] + n) for p, n in zip(pads, spatial))
np.save(sys.argv[3], np.ascontiguousarray(out[(slice(None), slice(None)) + crop], dtype=np.float32))
)PY";

// Softmax / sigmoid over the channel axis of [1, K, voxels] in place.
void activate(std::vector<float>& y, int64_t k, const std::string& act) {
  const int64_t vox = static_cast<int64_t>(y.size()) / k;
  if (act == "sigmoid") {
    for (float& v : y) v = 1.f / (1.f + std::exp(-v));
  } else if (act == "softmax") {
    for (int64_t v = 0; v < vox; ++v) {
      float m = y[v];
      for (int64_t c = 1; c < k; ++c) m = std::max(m, y[c * vox + v]);
      double s = 0;
      for (int64_t c = 0; c < k; ++c) s += std::exp(y[c * vox + v] - m);
      for (int64_t c = 0; c < k; ++c) y[c * vox + v] = static_cast<float>(std::exp(y[c * vox + v] - m) / s);
    }
  }
}

// How far two activated outputs [K, voxels] agree: max |difference| and voxels with the same label.
struct Agreement {
  double max_abs_diff = 0;
  int64_t same = 0;
};

Agreement agreement(const std::vector<float>& a1, const std::vector<float>& b1, int64_t K,
                    const std::string& act, double thr) {
  Agreement r;
  const int64_t n = static_cast<int64_t>(a1.size()), vox = n / K;
  for (int64_t i = 0; i < n; ++i)
    r.max_abs_diff = std::max(r.max_abs_diff, static_cast<double>(std::fabs(a1[i] - b1[i])));
  for (int64_t vx = 0; vx < vox; ++vx) {
    if (act == "sigmoid") {
      bool eq = true;
      for (int64_t c = 0; c < K; ++c) eq &= (a1[c * vox + vx] > thr) == (b1[c * vox + vx] > thr);
      r.same += eq;
    } else {
      int64_t la = 0, lb = 0;
      for (int64_t c = 1; c < K; ++c) {
        if (a1[c * vox + vx] > a1[la * vox + vx]) la = c;
        if (b1[c * vox + vx] > b1[lb * vox + vx]) lb = c;
      }
      r.same += la == lb;
    }
  }
  return r;
}

using ModelPtr = std::unique_ptr<efq_model, void (*)(efq_model*)>;
using VolumePtr = std::unique_ptr<efq_volume, void (*)(efq_volume*)>;
using SegPtr = std::unique_ptr<efq_segmentation, void (*)(efq_segmentation*)>;
using BufferPtr = std::unique_ptr<float, void (*)(float*)>;

// Our forward pass of one window; `shape_out` its 5-D output shape.
std::vector<float> forward(efq_model* m, const Config& cfg, const std::vector<float>& win,
                           const int64_t ws[5], std::vector<int64_t>& shape_out) {
  float* out = nullptr;
  int64_t os[5];
  check(efq_model_forward(m, cfg.p, win.data(), ws, &out, os), "running the model");
  BufferPtr own(out, efq_buffer_free);
  int64_t n = 1;
  for (int k = 0; k < 5; ++k) n *= os[k];
  shape_out.assign(os, os + 5);
  return std::vector<float>(out, out + n);
}

// Effective sliding-window settings: options, else the model's metadata, else the defaults.
struct Window {
  int64_t roi[3];
  double overlap = 0.25;
  std::string blend = "gaussian";
};

Window window_settings(const Args& a, const nlohmann::json& conv, const int64_t fs[5]) {
  Window w{{fs[2], fs[3], fs[4]}};
  if (a.has("--roi")) {
    auto r = split_on(a.get("--roi"), ',');
    if (r.size() != 3) throw Failure("--roi needs D,H,W", 2);
    for (int d = 0; d < 3; ++d) w.roi[d] = to_int("--roi", r[d]);
  } else if (conv.contains("roi")) {
    for (int d = 0; d < 3; ++d) w.roi[d] = conv["roi"][d].get<int64_t>();
  }
  w.overlap = a.has("--overlap") ? to_real("--overlap", a.get("--overlap")) : conv.value("overlap", 0.25);
  w.blend = a.get("--blend", conv.value("blend", std::string("gaussian")));
  return w;
}

// One ROI window at the centre: our forward pass vs onnxruntime's.
nlohmann::ordered_json verify_window(const Args& a, const std::string& python, efq_model* m,
                                     const Config& cfg, const float* full, const int64_t fs[5],
                                     const Window& wnd, const std::string& act, double thr) {
  const int64_t* roi = wnd.roi;
  const int64_t ws[5] = {1, fs[1], roi[0], roi[1], roi[2]};
  std::vector<float> win(static_cast<size_t>(fs[1] * roi[0] * roi[1] * roi[2]), 0.f);
  for (int64_t c = 0; c < fs[1]; ++c)
    for (int64_t d = 0; d < roi[0]; ++d)
      for (int64_t h = 0; h < roi[1]; ++h)
        for (int64_t w = 0; w < roi[2]; ++w) {
          const int64_t zd = d + (fs[2] - roi[0]) / 2, zh = h + (fs[3] - roi[1]) / 2, zw = w + (fs[4] - roi[2]) / 2;
          if (zd < 0 || zh < 0 || zw < 0 || zd >= fs[2] || zh >= fs[3] || zw >= fs[4]) continue;
          win[((c * roi[0] + d) * roi[1] + h) * roi[2] + w] = full[((c * fs[2] + zd) * fs[3] + zh) * fs[4] + zw];
        }
  std::vector<int64_t> os;
  std::vector<float> a1 = forward(m, cfg, win, ws, os);
  const int64_t n = static_cast<int64_t>(a1.size()), K = os[1], vox = n / K;
  // The noise floor (DESIGN §7): our engine against itself with the input scaled by (1 + 2e-7);
  // float rounding alone moves 8-bit activation codes, and so probabilities and labels, this much.
  std::vector<float> scaled = win;
  for (float& v : scaled) v *= 1.0f + 2e-7f;
  std::vector<int64_t> ns;
  std::vector<float> a2 = forward(m, cfg, scaled, ws, ns);
  activate(a1, K, act);
  activate(a2, K, act);
  const Agreement noise = agreement(a1, a2, K, act, thr);
  std::vector<int64_t> oshape;
  std::vector<float> b1 = run_ort_script(python, kWindowScript.c_str(), a.positional[0], win.data(), ws, {}, oshape);
  if (static_cast<int64_t>(b1.size()) != n) throw Failure("onnxruntime output shape differs from ours");
  activate(b1, K, act);
  const Agreement ort = agreement(a1, b1, K, act, thr);
  const double maxdiff = ort.max_abs_diff;
  const int64_t same = ort.same;
  nlohmann::ordered_json j;
  j["mode"] = "window";
  j["window"] = {ws[0], ws[1], ws[2], ws[3], ws[4]};
  j["max_abs_diff"] = maxdiff;
  j["label_agreement"] = static_cast<double>(same) / static_cast<double>(vox);
  j["voxels"] = vox;
  j["noise_floor"] = {{"input_scale", static_cast<double>(1.0f + 2e-7f)},
                      {"max_abs_diff", noise.max_abs_diff},
                      {"label_agreement", static_cast<double>(noise.same) / static_cast<double>(vox)}};
  if (a.get("--json") != "-")
    std::printf("noise floor (ours vs ours on the input x (1 + 2e-7)): max |d prob| = %.3g, labels "
                "agree on %.4f%%\n",
                noise.max_abs_diff, 100.0 * static_cast<double>(noise.same) / static_cast<double>(vox));
  if (a.get("--json") != "-")
    std::printf("onnxruntime vs libefficientq on a %lldx%lldx%lld window: max |d prob| = %.3g, "
                "labels agree on %.4f%% of %lld voxels\n",
                static_cast<long long>(ws[2]), static_cast<long long>(ws[3]), static_cast<long long>(ws[4]),
                maxdiff, 100.0 * same / vox, static_cast<long long>(vox));
  return j;
}

// The whole volume through the sliding window in both runtimes; labels on the image grid.
nlohmann::ordered_json verify_full(const Args& a, const std::string& python, const Context& ctx,
                                   efq_model* m, efq_volume* v, const Config& cfg,
                                   const float* full, const int64_t fs[5], const Window& wnd,
                                   const std::vector<std::string>& classes) {
  // The reference first: a bad --label path fails before minutes of inference.
  VolumePtr own_ref(nullptr, efq_volume_destroy);
  if (a.has("--label")) {
    const std::string label = a.get("--label");
    const char* lp[1] = {label.c_str()};
    efq_volume* ref = nullptr;
    check(efq_volume_load_nifti(ctx.p, lp, 1, &ref), "reading the label file");
    own_ref.reset(ref);
  }
  // --timing: onnxruntime with its default optimizations at our thread count, and the same
  // sliding window in both timed (theirs: the window loop with blending; ours: efq_segment,
  // which also activates and resamples back to the image grid).
  const bool timing = a.has("--timing");
  const int threads = a.has("--threads") ? std::stoi(a.get("--threads"))
                                         : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  const std::vector<std::string> extra{
      std::to_string(wnd.roi[0]) + "," + std::to_string(wnd.roi[1]) + "," + std::to_string(wnd.roi[2]),
      std::to_string(wnd.overlap), wnd.blend, timing ? "timing:" + std::to_string(threads) : "exact"};
  std::vector<int64_t> oshape;
  double ort_seconds = -1;
  std::vector<float> ort = run_ort_script(python, kSlidingScript.c_str(), a.positional[0], full, fs, extra,
                                          oshape, &ort_seconds);
  if (oshape.size() != 5) throw Failure("onnxruntime returned a " + std::to_string(oshape.size()) + "-D output");
  efq_segmentation* so = nullptr;
  check(efq_segmentation_from_network_output(m, v, cfg.p, ort.data(), oshape.data(), &so),
        "post-processing the onnxruntime output");
  SegPtr own_so(so, efq_segmentation_destroy);
  ort.clear();
  ort.shrink_to_fit();
  efq_segmentation* se = nullptr;
  const auto t_seg = std::chrono::steady_clock::now();
  check(efq_segment(ctx.p, m, v, cfg.p, &se), "segmenting");
  const double our_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_seg).count();
  SegPtr own_se(se, efq_segmentation_destroy);
  const uint8_t *lo = nullptr, *le = nullptr;
  int64_t dims[3];
  check(efq_segmentation_get_labels(so, &lo, dims), "labels");
  check(efq_segmentation_get_labels(se, &le, nullptr), "labels");
  const int64_t vox = dims[0] * dims[1] * dims[2];
  int64_t same = 0;
  for (int64_t i = 0; i < vox; ++i) same += lo[i] == le[i];
  nlohmann::ordered_json j;
  j["mode"] = "full";
  j["network_input"] = {fs[0], fs[1], fs[2], fs[3], fs[4]};
  j["roi"] = {wnd.roi[0], wnd.roi[1], wnd.roi[2]};
  j["overlap"] = wnd.overlap;
  j["blend"] = wnd.blend;
  j["voxels"] = vox;
  j["label_agreement"] = static_cast<double>(same) / static_cast<double>(vox);
  if (timing) {
    j["seconds"] = {{"threads", threads},
                    {"onnxruntime_sliding_window", ort_seconds},
                    {"libefficientq_segment", our_seconds}};
    if (a.get("--json") != "-")
      std::printf("sliding window at %d threads: onnxruntime %.2f s, libefficientq %.2f s (ratio %.2f)\n",
                  threads, ort_seconds, our_seconds, our_seconds / ort_seconds);
  }
  const bool text = a.get("--json") != "-";
  if (text)
    std::printf("onnxruntime vs libefficientq, whole volume (%lldx%lldx%lld, sliding window %lldx%lldx%lld):"
                " labels agree on %.4f%% of %lld voxels\n",
                static_cast<long long>(dims[0]), static_cast<long long>(dims[1]), static_cast<long long>(dims[2]),
                static_cast<long long>(wnd.roi[0]), static_cast<long long>(wnd.roi[1]),
                static_cast<long long>(wnd.roi[2]), 100.0 * same / vox, static_cast<long long>(vox));
  if (!own_ref) return j;
  efq_volume* ref = own_ref.get();
  nlohmann::ordered_json dice;
  for (auto [seg, key] : {std::pair{so, "onnxruntime"}, std::pair{se, "libefficientq"}}) {
    double d[256];
    size_t n = 0;
    check(efq_segmentation_dice(seg, ref, d, 256, &n), "Dice");
    // Mean over foreground entries: sigmoid regions are all foreground; softmax skips class 0.
    const size_t first = n == classes.size() && !classes.empty() && classes[0] == "background" ? 1 : 0;
    double mean = 0;
    for (size_t k = first; k < n; ++k) mean += d[k];
    mean /= static_cast<double>(n > first ? n - first : 1);
    dice[key] = {{"per_class", std::vector<double>(d, d + n)}, {"mean_foreground", mean}};
  }
  j["dice"] = dice;
  const double diff = dice["onnxruntime"]["mean_foreground"].get<double>() -
                      dice["libefficientq"]["mean_foreground"].get<double>();
  j["dice_difference"] = diff;
  if (text)
    std::printf("mean foreground Dice: onnxruntime %.4f, libefficientq %.4f (difference %+.2f points)\n",
                dice["onnxruntime"]["mean_foreground"].get<double>(),
                dice["libefficientq"]["mean_foreground"].get<double>(), 100 * diff);
  return j;
}

}  // namespace

int cmd_verify(int argc, char** argv) {
  const std::vector<ParamOption> params = param_options({EFQ_SCOPE_INFERENCE});
  std::vector<std::string> opts{"--python", "--json", "--label"},
      flags{"--help", "--quiet", "--full", "--force", "--timing"};
  add_param_flags(params, opts, flags);
  Args a = parse(argc, argv, opts, flags);
  if (a.has("--help")) {
    std::printf(
        "usage: efficientq verify MODEL IMAGE [IMAGE...] [--full [--label SEG]] [--python PATH]\n"
        "                         [--json FILE|-]\n"
        "Runs MODEL in onnxruntime and in libefficientq on the same preprocessed input and reports\n"
        "how far they agree.\n"
        "  (default)      one ROI window at the centre: max |d probability| and label agreement\n"
        "  --full         the whole volume through the same sliding window in both (MONAI\n"
        "                 semantics in NumPy around onnxruntime); labels compared on the image grid\n"
        "                 after the same activation and resampling back (libefficientq's)\n"
        "  --label SEG    with --full: Dice of both against this reference label file\n"
        "  --timing       with --full: onnxruntime with its default graph optimizations at the\n"
        "                 same thread count (--threads, default all cores); reports the wall time\n"
        "                 of its sliding-window loop and of libefficientq's segmentation\n"
        "onnxruntime comes from PyPI: python3 -m venv build/venv && build/venv/bin/pip install\n"
        "onnxruntime numpy. --python defaults to $EFQ_PYTHON, else build/venv/bin/python, else\n"
        "python3.\n%s%s",
        kForceHelp, param_help(params).c_str());
    return 0;
  }
  if (a.positional.size() < 2) throw Failure("verify needs MODEL and at least one IMAGE", 2);
  if (a.has("--label") && !a.has("--full")) throw Failure("--label needs --full", 2);
  if (a.has("--timing") && !a.has("--full")) throw Failure("--timing needs --full", 2);
  {
    std::vector<std::string> inputs = a.positional;
    if (a.has("--label")) inputs.push_back(a.get("--label"));
    check_outputs(a, {"--json"}, inputs);
  }
  const std::string python = ort_python(a);
  Context ctx(a.has("--quiet"));
  Config cfg;
  apply_param_options(params, a, cfg.p);
  efq_model* m = load_model(ctx, a.positional[0]);
  ModelPtr own_m(m, efq_model_destroy);
  char* desc = nullptr;
  check(efq_model_describe_json(m, nullptr, &desc), "model");
  nlohmann::json dj = nlohmann::json::parse(desc);
  efq_string_free(desc);
  // The effective conventions (the metadata, or the defaults when there is none).
  nlohmann::json conv = nlohmann::json::parse(dj["metadata"].get<std::string>());
  const std::string act = a.get("--activation", conv.value("activation", std::string("none")));
  std::vector<std::string> classes = conv.value("classes", std::vector<std::string>{});
  std::vector<const char*> paths;
  for (size_t k = 1; k < a.positional.size(); ++k) paths.push_back(a.positional[k].c_str());
  efq_volume* v = nullptr;
  check(efq_volume_load_nifti(ctx.p, paths.data(), paths.size(), &v), "reading the image");
  VolumePtr own_v(v, efq_volume_destroy);
  float* full = nullptr;
  int64_t fs[5];
  check(efq_volume_network_input(m, v, cfg.p, &full, fs), "preprocessing");
  BufferPtr own_full(full, efq_buffer_free);
  const Window wnd = window_settings(a, conv, fs);
  nlohmann::ordered_json j;
  j["model"] = a.positional[0];
  j["activation"] = act;
  nlohmann::ordered_json r =
      a.has("--full") ? verify_full(a, python, ctx, m, v, cfg, full, fs, wnd, classes)
                      : verify_window(a, python, m, cfg, full, fs, wnd, act, conv.value("threshold", 0.5));
  j.update(r);
  if (a.has("--json")) write_text(a.get("--json"), j.dump(2));
  return 0;
}

}  // namespace cli
