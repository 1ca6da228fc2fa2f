// efficientq quantize MODEL (--calib IMAGE... | --calib-dataset DIR) -o OUT.onnx
#include <efficientq/efficientq.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "run_stats.hpp"

namespace fs = std::filesystem;

namespace cli {

namespace {

const char* kHelp =
    "usage: efficientq quantize MODEL (--calib IMAGE [IMAGE...] | --calib-dataset DIR\n"
    "                  [--calib-case NAME]) -o OUT.onnx [options]\n"
    "Quantizes MODEL from one (or more) calibration case(s) and writes a new model; MODEL is\n"
    "never modified. --calib takes the modality files of one case in channel order; repeat it\n"
    "for more cases. --calib-dataset uses a case of an nnU-Net v2 raw dataset (default: the\n"
    "first training case in sorted order).\n"
    "\n"
    "  --wbits 2|3|4|8        weight bits (default 4; first and last layer stay W8)\n"
    "  --abits 4|8|none       activation bits at quantized layers' inputs (default 8)\n"
    "  --method efficientq|rtn|mse   EfficientQ (default), round-to-nearest min-max, or\n"
    "                         MSE-optimal scales without ADMM\n"
    "  --grid symmetric|asymmetric|faithful   deployable integer grids (default symmetric), or\n"
    "                         the reference implementation's grid and behaviour (per-tensor)\n"
    "  --weight-grid odd|full|narrow   the symmetric grid's weight codes below 8 bits: odd\n"
    "                         (default) the 2^b odd integers in +-(2^b-1), e.g. W2 {-3,-1,1,3}\n"
    "                         (no zero); full -2^(b-1)..2^(b-1)-1; narrow +-(2^(b-1)-1), 2^b-1\n"
    "                         levels (W2 ternary). 8-bit weights: -127..127 (255 levels)\n"
    "  --per-tensor           one weight scale per layer (default: per output channel)\n"
    "  --sensitivity          before quantizing, each layer's sensitivity at 2/3/4/8 bits: that\n"
    "                         layer alone projected (no ADMM), the rest FP32; the network's\n"
    "                         fidelity and output MSE on the centre half of the calibration\n"
    "                         crop (a table; the report's \"sensitivity\"; cost: layers x 4\n"
    "                         forward passes on 1/8 of the crop)\n"
    "  --budget-fidelity F    choose each layer's weight width among --wbits-choices for the\n"
    "                         fewest packed weight bytes with fidelity >= F (0 < F <= 1) on\n"
    "                         the calibration crop against the FP32 network: layers ranked by\n"
    "                         sensitivity per byte, the fidelity measured (at most 5 search\n"
    "                         quantizations at min(--iters, 50) iterations, then the final one);\n"
    "                         first/last layer and --layer widths stay; the report's \"budget\"\n"
    "  --wbits-choices LIST   the widths --budget-fidelity chooses from (default 2,3,4,8)\n"
    "  --layer NAME=w8,a8|NAME=skip|NAME=a-none   per-layer override (repeatable)\n"
    "  --no-attention         without the class-balancing attention (ablation)\n"
    "  --no-regularizer       without the pull towards the FP weights (ablation)\n"
    "  --body-mask            attention weight 1 where the first modality is 0\n"
    "  --all-layers           quantize first and last layer at --wbits/--abits too\n"
    "  --act-scale als|layer|network   activation scales: MSE-optimal (als), or the MSE-optimal,\n"
    "                         min-max or a step between, whichever gives the smallest error of\n"
    "                         the layer's output (layer, default) or the network's output\n"
    "                         (network: 5 forward passes per layer); --grid faithful uses als\n"
    "  --iters N --rho R --eta E   ADMM iterations (at most 200) and multipliers (10, 1)\n"
    "  --early-stop           end a layer's ADMM once its iterate stops changing or its loss\n"
    "                         plateaus over a whole rho phase (default off; 8-bit weights always\n"
    "                         run at most 10 iterations)\n"
    "  --calib-crop D,H,W     calibration crop (default: METHOD rule min(s,192)//64*64)\n"
    "  --format qdq|fakequant|efq (default: efq for a .efq output, else qdq)\n"
    "                         QDQ ONNX: int8 weight codes + DequantizeLinear, activations as\n"
    "                         QuantizeLinear/DequantizeLinear (default); or FP32 weights holding\n"
    "                         the dequantized values, activations as Div/Round/Clip/Mul\n"
    "  --eval DATASET_DIR     evaluate FP and quantized Dice on the dataset's test split and\n"
    "                         the fidelity (Dice of the quantized model's labels against the\n"
    "                         FP32 model's); without labels (or a plain folder of\n"
    "                         CASE_0000.nii.gz images) the fidelity only\n"
    "  --json REPORT.json     the report: per layer scales, errors, iterations, times; inputs'\n"
    "                         SHA-256; configuration; Dice and fidelity with --eval\n"
    "  --quiet                no progress\n"
    "  --force                allow OUT (or --json) to overwrite MODEL or a calibration image\n"
    "Inference/preprocessing options (as for segment):\n";

std::vector<std::vector<std::string>> dataset_case(const std::string& dir, const std::string& name) {
  std::ifstream f(fs::path(dir) / "dataset.json");
  if (!f) throw Failure(dir + ": no dataset.json");
  nlohmann::json j;
  try {
    f >> j;
  } catch (const std::exception& e) {
    throw Failure(dir + "/dataset.json: " + e.what());
  }
  size_t channels = j.contains("channel_names") ? j["channel_names"].size()
                    : j.contains("modality")    ? j["modality"].size()
                                                : 1;
  std::string ending = j.value("file_ending", ".nii.gz");
  std::vector<std::string> cases;
  const fs::path tr = fs::path(dir) / "imagesTr";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(tr, ec)) {
    std::string fn = e.path().filename().string();
    const std::string suffix = "_0000" + ending;
    if (fn.size() > suffix.size() && fn.compare(fn.size() - suffix.size(), suffix.size(), suffix) == 0)
      cases.push_back(fn.substr(0, fn.size() - suffix.size()));
  }
  if (ec || cases.empty()) throw Failure(tr.string() + ": no training case found");
  std::sort(cases.begin(), cases.end());
  std::string pick = name.empty() ? cases.front() : name;
  if (std::find(cases.begin(), cases.end(), pick) == cases.end())
    throw Failure("--calib-case: no training case '" + pick + "' in " + tr.string());
  std::vector<std::string> files;
  for (size_t c = 0; c < channels; ++c) {
    char idx[32];
    std::snprintf(idx, sizeof idx, "_%04zu", c);
    files.push_back((tr / (pick + idx + ending)).string());
  }
  return {files};
}

// FP32 and quantized Dice and the fidelity (quantized labels against the FP32 model's), from
// one FP32 and one quantized segmentation per case.
nlohmann::json evaluate(const Context& ctx, efq_model* q, efq_model* fp, const std::string& dir,
                        const Config& cfg) {
  efq_report* r = nullptr;
  check(efq_evaluate_fidelity(ctx.p, q, fp, dir.c_str(), cfg.p, &r), "evaluating on " + dir);
  std::unique_ptr<efq_report, void (*)(efq_report*)> own(r, efq_report_destroy);
  char* text = nullptr;
  check(efq_report_to_json(r, &text), "report");
  nlohmann::json j = nlohmann::json::parse(text);
  efq_string_free(text);
  return j;
}

}  // namespace

int cmd_quantize(int argc, char** argv) {
  std::vector<std::string> opts = kInferenceOptions;
  for (const char* o : {"-o", "--output", "--calib-dataset", "--calib-case", "--wbits", "--abits",
                        "--method", "--grid", "--layer", "--iters", "--rho", "--eta",
                        "--calib-crop", "--eval", "--json", "--format", "--act-scale", "--weight-grid",
                        "--budget-fidelity", "--wbits-choices"})
    opts.push_back(o);
  Args a = parse(argc, argv, opts,
                 {"--help", "--quiet", "--per-tensor", "--no-attention", "--no-regularizer",
                  "--body-mask", "--all-layers", "--early-stop", "--force", "--sensitivity"},
                 {"--calib"});
  if (a.has("--help")) {
    std::printf("%s%s", kHelp, kInferenceHelp);
    return 0;
  }
  if (a.positional.size() != 1) throw Failure("quantize takes one MODEL (see --help)", 2);
  const std::string out = a.get("-o", a.get("--output"));
  if (out.empty()) throw Failure("quantize needs -o OUT.onnx", 2);
  if (a.has("--calib") == a.has("--calib-dataset"))
    throw Failure("give either --calib IMAGE... or --calib-dataset DIR", 2);
  std::vector<std::vector<std::string>> cases;
  if (a.has("--calib"))
    for (const auto& occ : a.options.at("--calib")) cases.push_back(split_on(occ, '\n'));
  else
    cases = dataset_case(a.get("--calib-dataset"), a.get("--calib-case"));
  std::vector<std::string> inputs{a.positional[0]};
  for (const auto& files : cases) inputs.insert(inputs.end(), files.begin(), files.end());
  check_outputs(a, {"-o", "--output", "--json"}, inputs);

  Context ctx(a.has("--quiet"));
  Config cfg;
  apply_inference_options(a, cfg.p);
  if (a.has("--wbits")) check(efq_config_set_int(cfg.p, EFQ_PARAM_WBITS, to_int("--wbits", a.get("--wbits"))), "--wbits");
  if (a.has("--abits")) {
    const std::string v = a.get("--abits");
    check(efq_config_set_int(cfg.p, EFQ_PARAM_ABITS, v == "none" ? 0 : to_int("--abits", v)), "--abits");
  }
  if (a.has("--method")) check(efq_config_set_string(cfg.p, EFQ_PARAM_METHOD, a.get("--method").c_str()), "--method");
  if (a.has("--grid")) check(efq_config_set_string(cfg.p, EFQ_PARAM_GRID, a.get("--grid").c_str()), "--grid");
  if (a.has("--weight-grid")) check(efq_config_set_string(cfg.p, EFQ_PARAM_WEIGHT_GRID, a.get("--weight-grid").c_str()), "--weight-grid");
  if (a.has("--sensitivity")) check(efq_config_set_int(cfg.p, EFQ_PARAM_SENSITIVITY, 1), "--sensitivity");
  if (a.has("--per-tensor")) check(efq_config_set_int(cfg.p, EFQ_PARAM_PER_TENSOR, 1), "--per-tensor");
  if (a.has("--early-stop")) check(efq_config_set_int(cfg.p, EFQ_PARAM_EARLY_STOP, 1), "--early-stop");
  if (a.has("--no-attention")) check(efq_config_set_int(cfg.p, EFQ_PARAM_ATTENTION, 0), "--no-attention");
  if (a.has("--no-regularizer")) check(efq_config_set_int(cfg.p, EFQ_PARAM_REGULARIZER, 0), "--no-regularizer");
  if (a.has("--body-mask")) check(efq_config_set_int(cfg.p, EFQ_PARAM_BODY_MASK, 1), "--body-mask");
  if (a.has("--all-layers")) check(efq_config_set_int(cfg.p, EFQ_PARAM_FIRST_LAST_8BIT, 0), "--all-layers");
  if (a.has("--act-scale")) {
    const std::string r = a.get("--act-scale");
    const int v = r == "als" ? 0 : r == "layer" ? 1 : r == "network" ? 2 : -1;
    if (v < 0) throw Failure("--act-scale '" + r + "' (expected als|layer|network)", 2);
    check(efq_config_set_int(cfg.p, EFQ_PARAM_ACT_SCALE_SEARCH, v), "--act-scale");
  }
  if (a.has("--iters")) check(efq_config_set_int(cfg.p, EFQ_PARAM_ITERATIONS, to_int("--iters", a.get("--iters"))), "--iters");
  if (a.has("--rho")) check(efq_config_set_real(cfg.p, EFQ_PARAM_RHO, to_real("--rho", a.get("--rho"))), "--rho");
  if (a.has("--eta")) check(efq_config_set_real(cfg.p, EFQ_PARAM_ETA, to_real("--eta", a.get("--eta"))), "--eta");
  if (a.has("--calib-crop")) {
    auto v = split_on(a.get("--calib-crop"), ',');
    if (v.size() != 3) throw Failure("--calib-crop needs D,H,W", 2);
    const efq_param ps[3] = {EFQ_PARAM_CALIB_CROP_D, EFQ_PARAM_CALIB_CROP_H, EFQ_PARAM_CALIB_CROP_W};
    for (int d = 0; d < 3; ++d) check(efq_config_set_int(cfg.p, ps[d], to_int("--calib-crop", v[d])), "--calib-crop");
  }
  if (a.has("--budget-fidelity"))
    check(efq_config_set_real(cfg.p, EFQ_PARAM_BUDGET_FIDELITY, to_real("--budget-fidelity", a.get("--budget-fidelity"))), "--budget-fidelity");
  if (a.has("--wbits-choices"))
    check(efq_config_set_string(cfg.p, EFQ_PARAM_WBITS_CHOICES, a.get("--wbits-choices").c_str()), "--wbits-choices");
  if (a.has("--layer")) {
    std::string joined;
    for (const auto& l : a.options.at("--layer")) joined += (joined.empty() ? "" : ";") + l;
    check(efq_config_set_string(cfg.p, EFQ_PARAM_LAYER_OVERRIDES, joined.c_str()), "--layer");
  }

  efq_model* m = load_model(ctx, a.positional[0]);
  std::unique_ptr<efq_model, void (*)(efq_model*)> own_m(m, efq_model_destroy);
  std::vector<std::unique_ptr<efq_volume, void (*)(efq_volume*)>> vols;
  std::vector<const efq_volume*> vptrs;
  for (const auto& files : cases) {
    std::vector<const char*> paths;
    for (const auto& f : files) paths.push_back(f.c_str());
    efq_volume* v = nullptr;
    check(efq_volume_load_nifti(ctx.p, paths.data(), paths.size(), &v), "reading calibration image");
    vols.emplace_back(v, efq_volume_destroy);
    vptrs.push_back(v);
  }
  efq_model* q = nullptr;
  efq_report* rep = nullptr;
  const efq_status qs = efq_quantize(ctx.p, m, vptrs.data(), vptrs.size(), cfg.p, &q, &rep);
  // The library names the parameter ("layer override: ..."); the CLI adds its flag.
  const bool override_error = std::string(efq_last_error_message()).rfind("layer override", 0) == 0;
  check(qs, override_error ? "quantizing (--layer)" : "quantizing");
  std::unique_ptr<efq_model, void (*)(efq_model*)> own_q(q, efq_model_destroy);
  std::unique_ptr<efq_report, void (*)(efq_report*)> own_r(rep, efq_report_destroy);
  if (interrupted()) throw Failure("interrupted; no output written", interrupted_exit_code());
  // --eval runs before anything is written: a dataset that cannot be evaluated leaves no output.
  nlohmann::json ev;
  if (a.has("--eval")) {
    ev = evaluate(ctx, q, m, a.get("--eval"), cfg);
    if (interrupted()) throw Failure("interrupted; no output written", interrupted_exit_code());
  }
  const bool efq_ext = out.size() > 4 && out.compare(out.size() - 4, 4, ".efq") == 0;
  std::string format = a.get("--format", efq_ext ? "efq" : "qdq");
  if (format == "qdq") {
    char* notes = nullptr;
    check(efq_model_save_onnx_qdq(q, out.c_str(), &notes), "writing " + out);
    if (notes && *notes && !a.has("--quiet")) std::fprintf(stderr, "note: %s", notes);
    efq_string_free(notes);
  } else if (format == "fakequant") {
    check(efq_model_save_onnx(q, out.c_str()), "writing " + out);
  } else if (format == "efq") {
    efq_efq_size sz{sizeof(efq_efq_size), 0, 0, 0};
    check(efq_model_save_efq(q, out.c_str(), &sz), "writing " + out);
    if (!a.has("--quiet") && a.get("--json") != "-")
      std::printf("packed %lld weight bytes (FP32: %lld, ratio %.4f); file %lld bytes\n",
                  static_cast<long long>(sz.packed_code_bytes), static_cast<long long>(sz.fp32_weight_bytes),
                  sz.fp32_weight_bytes ? double(sz.packed_code_bytes) / double(sz.fp32_weight_bytes) : 0.0,
                  static_cast<long long>(sz.file_bytes));
  } else {
    throw Failure("--format must be qdq, fakequant or efq", 2);
  }
  char* text = nullptr;
  check(efq_report_to_json(rep, &text), "report");
  nlohmann::ordered_json report = nlohmann::ordered_json::parse(text);
  efq_string_free(text);
  report["output"] = out;

  if (!a.has("--quiet") && a.get("--json") != "-") {
    std::printf("%-40s %-6s %-5s %-10s %-12s %-12s %s\n", "layer", "bits", "act", "solver",
                "mse before", "mse after", "s");
    for (const auto& l : report["layers"]) {
      std::string act = l["abits"].is_string() ? "fp" : std::to_string(l["abits"].get<int>());
      std::printf("%-40.40s W%-5d %-5s %-10s %-12.4g %-12.4g %.2f\n",
                  l["name"].get<std::string>().c_str(), l["wbits"].get<int>(), act.c_str(),
                  l["solver"].get<std::string>().c_str(), l.value("mse_before", -1.0),
                  l.value("mse_after", -1.0), l["seconds"].get<double>());
    }
    std::printf("quantized %d layers in %.1f s with %d threads (peak memory %.0f MiB) -> %s\n",
                report["totals"]["quantized_layers"].get<int>(),
                report["totals"]["seconds"].get<double>(), report["threads"].get<int>(),
                report["totals"]["peak_rss_mib"].get<double>(), out.c_str());
  }
  if (report.contains("sensitivity") && !a.has("--quiet") && a.get("--json") != "-") {
    const auto& s = report["sensitivity"];
    std::printf("\nsensitivity (this layer alone quantized, rest FP32; centre of the calibration crop):\n%-40s %10s",
                "layer", "weights");
    for (const auto& b : s["widths"]) std::printf("   fid W%-2d", b.get<int>());
    for (const auto& b : s["widths"]) std::printf("   mse W%-2d", b.get<int>());
    std::printf("\n");
    for (const auto& l : s["layers"]) {
      std::printf("%-40.40s %10lld", l["name"].get<std::string>().c_str(),
                  static_cast<long long>(l["weights"].get<int64_t>()));
      for (const auto& b : s["widths"]) std::printf(" %9.4f", l["fidelity"][std::to_string(b.get<int>())].get<double>());
      for (const auto& b : s["widths"]) std::printf(" %9.2e", l["output_mse"][std::to_string(b.get<int>())].get<double>());
      std::printf("\n");
    }
    std::printf("sensitivity analysis: %.1f s\n", s["seconds"].get<double>());
  }
  if (report.contains("budget") && !a.has("--quiet") && a.get("--json") != "-") {
    const auto& b = report["budget"];
    std::printf("\nwidths under a budget (crop fidelity >= %.4f):\n", b["target_fidelity"].get<double>());
    for (const auto& m : b["measurements"])
      std::printf("  search: path step %d, %lld packed bytes, crop fidelity %.4f\n", m["path_step"].get<int>(),
                  static_cast<long long>(m["packed_weight_bytes"].get<int64_t>()), m["crop_fidelity"].get<double>());
    std::printf("chosen: %lld packed weight bytes (uniform W%d: %lld), crop fidelity %.4f%s\n",
                static_cast<long long>(b["packed_weight_bytes"].get<int64_t>()), b["uniform_wbits"].get<int>(),
                static_cast<long long>(b["uniform_packed_weight_bytes"].get<int64_t>()),
                b["crop_fidelity"].get<double>(), b["met"].get<bool>() ? "" : " (below the target)");
  }
  if (a.has("--eval")) {
    const std::string dir = a.get("--eval");
    nlohmann::ordered_json& out_ev = report["evaluation"];
    out_ev = {{"dataset", dir}};
    if (ev["labelled"].get<bool>()) {
      out_ev["fp32"] = ev["reference_dice"];
      out_ev["quantized"] = ev["dice"];
    }
    out_ev["fidelity"] = ev["fidelity"];
    out_ev["mean_fidelity"] = ev["mean_fidelity"];
    if (a.get("--json") != "-") {
      const nlohmann::json& fid = ev["fidelity"];
      std::vector<std::string> classes = fid["classes"];
      std::printf("\n%-12s", "");
      for (const auto& c : classes) std::printf(" %12.12s", c.c_str());
      std::printf(" %12s\n", "mean fg");
      auto row = [&](const char* title, const nlohmann::json& e) {
        std::printf("%-12s", title);
        for (const auto& c : classes) std::printf(" %12.4f", e["mean_dice"][c].get<double>());
        std::printf(" %12.4f\n", e["mean_foreground_dice"].get<double>());
      };
      if (ev["labelled"].get<bool>()) {
        row("Dice FP32", ev["reference_dice"]);
        row("Dice quant", ev["dice"]);
      }
      row("fidelity", fid);
    }
  }
  // The whole command (quantization, writing, evaluation): wall time and peak memory.
  report["command"] = command_stats("quantize");
  if (a.has("--json")) write_text(a.get("--json"), report.dump(2));
  return 0;
}

}  // namespace cli
