// efficientq verify MODEL IMAGE... [--python PATH]: runs the model in onnxruntime (an independent
// runtime, from PyPI) and in our engine on the same network input window and reports how far they
// agree: max |Δ probability| and the fraction of voxels with the same label.
#include <efficientq/efficientq_experimental.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.hpp"

namespace cli {

namespace {

const char* kOrtScript = R"PY(
import sys
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
x = np.load(sys.argv[2])
y = s.run(None, {s.get_inputs()[0].name: x})[0]
np.save(sys.argv[3], np.ascontiguousarray(y, dtype=np.float32))
)PY";

void write_npy(const std::string& path, const float* data, const int64_t shape[5]) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int d = 0; d < 5; ++d) header += std::to_string(shape[d]) + ", ";
  header += "), }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  const uint16_t len = static_cast<uint16_t>(header.size());
  f.write("\x93NUMPY\x01\x00", 8);
  f.write(reinterpret_cast<const char*>(&len), 2);
  f << header;
  int64_t n = 1;
  for (int d = 0; d < 5; ++d) n *= shape[d];
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * 4));
  if (!f) throw Failure("cannot write " + path);
}

std::vector<float> read_npy(const std::string& path, std::vector<int64_t>& shape) {
  std::ifstream f(path, std::ios::binary);
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw Failure(path + ": not .npy");
  uint16_t len = 0;
  f.read(reinterpret_cast<char*>(&len), 2);
  std::string header(len, '\0');
  f.read(header.data(), len);
  if (header.find("'<f4'") == std::string::npos) throw Failure(path + ": not float32");
  shape.clear();
  const size_t a = header.find('('), b = header.find(')');
  for (const auto& tok : split_on(header.substr(a + 1, b - a - 1), ','))
    if (tok.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(tok));
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  if (!f.read(reinterpret_cast<char*>(v.data()), n * 4)) throw Failure(path + ": truncated");
  return v;
}

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

}  // namespace

int cmd_verify(int argc, char** argv) {
  std::vector<std::string> opts = kInferenceOptions;
  for (const char* o : {"--python", "--json"}) opts.push_back(o);
  Args a = parse(argc, argv, opts, {"--help", "--quiet"});
  if (a.has("--help")) {
    std::printf(
        "usage: efficientq verify MODEL IMAGE [IMAGE...] [--python PATH] [--json FILE|-]\n"
        "Runs MODEL in onnxruntime and in libefficientq on the same network input (one ROI\n"
        "window at the centre of the preprocessed case) and reports the max abs difference of the\n"
        "probabilities and the fraction of voxels with the same label. onnxruntime comes from\n"
        "PyPI: python3 -m venv build/venv && build/venv/bin/pip install onnxruntime numpy.\n"
        "--python defaults to $EFQ_PYTHON, else build/venv/bin/python, else python3.\n%s",
        kInferenceHelp);
    return 0;
  }
  if (a.positional.size() < 2) throw Failure("verify needs MODEL and at least one IMAGE", 2);
  std::string python = a.get("--python");
  if (python.empty() && std::getenv("EFQ_PYTHON")) python = std::getenv("EFQ_PYTHON");
  if (python.empty()) python = access("build/venv/bin/python", X_OK) == 0 ? "build/venv/bin/python" : "python3";
  Context ctx(a.has("--quiet"));
  Config cfg;
  apply_inference_options(a, cfg.p);
  efq_model* m = load_model(ctx, a.positional[0]);
  std::unique_ptr<efq_model, void (*)(efq_model*)> own_m(m, efq_model_destroy);
  char* desc = nullptr;
  check(efq_model_describe_json(m, nullptr, &desc), "model");
  nlohmann::json dj = nlohmann::json::parse(desc);
  efq_string_free(desc);
  nlohmann::json conv = nlohmann::json::parse(dj["metadata"].get<std::string>());
  const std::string act = a.get("--activation", conv.value("activation", "none"));
  std::vector<const char*> paths;
  for (size_t k = 1; k < a.positional.size(); ++k) paths.push_back(a.positional[k].c_str());
  efq_volume* v = nullptr;
  check(efq_volume_load_nifti(ctx.p, paths.data(), paths.size(), &v), "reading the image");
  std::unique_ptr<efq_volume, void (*)(efq_volume*)> own_v(v, efq_volume_destroy);
  float* full = nullptr;
  int64_t fs[5];
  check(efq_volume_network_input(m, v, cfg.p, &full, fs), "preprocessing");
  std::unique_ptr<float, void (*)(float*)> own_full(full, efq_buffer_free);
  // One window: the model's ROI (or --roi) at the centre, zero-padded where the volume is smaller.
  int64_t roi[3] = {fs[2], fs[3], fs[4]};
  if (a.has("--roi")) {
    auto r = split_on(a.get("--roi"), ',');
    if (r.size() != 3) throw Failure("--roi needs D,H,W", 2);
    for (int d = 0; d < 3; ++d) roi[d] = std::stoll(r[d]);
  } else if (conv.contains("roi")) {
    for (int d = 0; d < 3; ++d) roi[d] = conv["roi"][d].get<int64_t>();
  }
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
  float* ours = nullptr;
  int64_t os[5];
  check(efq_model_forward(m, cfg.p, win.data(), ws, &ours, os), "running the model");
  std::unique_ptr<float, void (*)(float*)> own_ours(ours, efq_buffer_free);
  char dir[] = "/tmp/efq_verify_XXXXXX";
  if (!mkdtemp(dir)) throw Failure("cannot create a temporary directory");
  const std::string d = dir, script = d + "/ort_run.py", in = d + "/input.npy", out = d + "/output.npy";
  { std::ofstream(script) << kOrtScript; }
  write_npy(in, win.data(), ws);
  const pid_t pid = fork();
  if (pid == 0) {
    execlp(python.c_str(), python.c_str(), script.c_str(), a.positional[0].c_str(), in.c_str(), out.c_str(),
           static_cast<char*>(nullptr));
    std::fprintf(stderr, "cannot run %s\n", python.c_str());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::vector<int64_t> oshape;
  std::vector<float> ort;
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (ok) ort = read_npy(out, oshape);
  for (const auto& f : {script, in, out}) std::remove(f.c_str());
  rmdir(dir);
  if (!ok)
    throw Failure("onnxruntime run failed with " + python + (WIFEXITED(status) && WEXITSTATUS(status) == 3
                                                                  ? " (onnxruntime not installed there; see --help)"
                                                                  : ""));
  int64_t n = 1;
  for (int k = 0; k < 5; ++k) n *= os[k];
  if (static_cast<int64_t>(ort.size()) != n) throw Failure("onnxruntime output shape differs from ours");
  std::vector<float> a1(ours, ours + n), b1 = ort;
  const int64_t K = os[1], vox = n / K;
  activate(a1, K, act);
  activate(b1, K, act);
  double maxdiff = 0;
  for (int64_t i = 0; i < n; ++i) maxdiff = std::max(maxdiff, static_cast<double>(std::fabs(a1[i] - b1[i])));
  int64_t same = 0;
  const double thr = conv.value("threshold", 0.5);
  for (int64_t vx = 0; vx < vox; ++vx) {
    if (act == "sigmoid") {
      bool eq = true;
      for (int64_t c = 0; c < K; ++c) eq &= (a1[c * vox + vx] > thr) == (b1[c * vox + vx] > thr);
      same += eq;
    } else {
      int64_t la = 0, lb = 0;
      for (int64_t c = 1; c < K; ++c) {
        if (a1[c * vox + vx] > a1[la * vox + vx]) la = c;
        if (b1[c * vox + vx] > b1[lb * vox + vx]) lb = c;
      }
      same += la == lb;
    }
  }
  nlohmann::ordered_json j;
  j["model"] = a.positional[0];
  j["window"] = {ws[0], ws[1], ws[2], ws[3], ws[4]};
  j["activation"] = act;
  j["max_abs_diff"] = maxdiff;
  j["label_agreement"] = static_cast<double>(same) / static_cast<double>(vox);
  j["voxels"] = vox;
  if (a.has("--json")) write_text(a.get("--json"), j.dump(2));
  if (a.get("--json") != "-")
    std::printf("onnxruntime vs libefficientq on a %lldx%lldx%lld window: max |d prob| = %.3g, "
                "labels agree on %.4f%% of %lld voxels\n",
                static_cast<long long>(ws[2]), static_cast<long long>(ws[3]), static_cast<long long>(ws[4]),
                maxdiff, 100.0 * same / vox, static_cast<long long>(vox));
  return 0;
}

}  // namespace cli
