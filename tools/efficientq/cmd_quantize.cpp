// efficientq quantize MODEL (--calib IMAGE... | --calib-dataset DIR) -o OUT.onnx
#include <efficientq/efficientq.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "options.hpp"
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
    "  --force                allow OUT (or --json) to overwrite MODEL or a calibration image\n";

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
  // The parameters' options (--wbits, --iters, --roi, ...) come from the library's table.
  const std::vector<ParamOption> params = param_options({EFQ_SCOPE_INFERENCE, EFQ_SCOPE_QUANTIZATION});
  std::vector<std::string> opts{"-o", "--output", "--calib-dataset", "--calib-case", "--eval",
                                "--json", "--format"},
      flags{"--help", "--quiet", "--force"};
  add_param_flags(params, opts, flags);
  Args a = parse(argc, argv, opts, flags, {"--calib"});
  if (a.has("--help")) {
    std::printf("%s%s", kHelp, param_help(params).c_str());
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
  apply_param_options(params, a, cfg.p);

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
