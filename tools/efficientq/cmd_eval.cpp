// efficientq eval MODEL DATASET_DIR [--reference FP32.onnx]
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "options.hpp"
#include "run_stats.hpp"

namespace cli {

namespace {

// One table: a row per case and the mean row, a column per class and the mean foreground.
void print_table(const nlohmann::json& ev, const char* title) {
  std::vector<std::string> classes = ev["classes"];
  std::printf("%-20s", title);
  for (const auto& c : classes) std::printf(" %14.14s", c.c_str());
  std::printf(" %14s\n", "mean fg");
  for (const auto& cj : ev["cases"]) {
    std::printf("%-20.20s", cj["name"].get<std::string>().c_str());
    for (const auto& c : classes) std::printf(" %14.4f", cj["dice"][c].get<double>());
    std::printf(" %14.4f\n", cj["mean_foreground_dice"].get<double>());
  }
  std::printf("%-20s", "mean");
  for (const auto& c : classes) std::printf(" %14.4f", ev["mean_dice"][c].get<double>());
  std::printf(" %14.4f\n", ev["mean_foreground_dice"].get<double>());
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  const std::vector<ParamOption> params = param_options({EFQ_SCOPE_INFERENCE, EFQ_SCOPE_EVALUATION});
  std::vector<std::string> opts{"--json", "--reference"}, flags{"--help", "--quiet", "--force"};
  add_param_flags(params, opts, flags);
  Args a = parse(argc, argv, opts, flags);
  if (a.has("--help")) {
    std::printf(
        "usage: efficientq eval MODEL DATASET_DIR [--reference FP32_MODEL] [--split test|train]\n"
        "                       [--json FILE|-] [options]\n"
        "DATASET_DIR is an nnU-Net v2 raw dataset (dataset.json, imagesTs/CASE_0000.nii.gz,\n"
        "labelsTs/CASE.nii.gz, ...). Prints per-case, per-class Dice and the means.\n"
        "  --reference FP32_MODEL   fidelity: score MODEL's labels against FP32_MODEL's labels\n"
        "                           (per case and class, Dice conventions as above); no labels\n"
        "                           needed: DATASET_DIR may lack labelsTs, or be a plain folder\n"
        "                           of CASE_0000.nii.gz images (classes from the model metadata\n"
        "                           or output channels). With labels, Dice of both models too.\n"
        "%s%s",
        kForceHelp, param_help(params).c_str());
    return 0;
  }
  if (a.positional.size() != 2) throw Failure("eval needs MODEL and DATASET_DIR", 2);
  std::vector<std::string> inputs{a.positional[0]};
  if (a.has("--reference")) inputs.push_back(a.get("--reference"));
  check_outputs(a, {"--json"}, inputs);
  Context ctx(a.has("--quiet"));
  Config cfg;
  apply_param_options(params, a, cfg.p);
  efq_model* m = load_model(ctx, a.positional[0]);
  std::unique_ptr<efq_model, void (*)(efq_model*)> own_m(m, efq_model_destroy);
  std::unique_ptr<efq_model, void (*)(efq_model*)> own_ref(nullptr, efq_model_destroy);
  if (a.has("--reference")) own_ref.reset(load_model(ctx, a.get("--reference")));
  efq_report* r = nullptr;
  if (own_ref)
    check(efq_evaluate_fidelity(ctx.p, m, own_ref.get(), a.positional[1].c_str(), cfg.p, &r),
          "evaluating against the reference " + a.get("--reference"));
  else
    check(efq_evaluate_dice(ctx.p, m, a.positional[1].c_str(), cfg.p, &r), "evaluating");
  std::unique_ptr<efq_report, void (*)(efq_report*)> own_r(r, efq_report_destroy);
  char* text = nullptr;
  check(efq_report_to_json(r, &text), "report");
  std::string json = text;
  efq_string_free(text);
  if (a.has("--json")) {
    nlohmann::ordered_json out = nlohmann::ordered_json::parse(json);
    if (own_ref) out["reference"] = a.get("--reference");
    out["command"] = command_stats("eval");
    write_text(a.get("--json"), out.dump(2));
    if (a.get("--json") == "-") return 0;
  }
  auto j = nlohmann::json::parse(json);
  if (!own_ref) {
    print_table(j, "case");
    std::printf("mean_foreground_dice = %.4f\n", j["mean_foreground_dice"].get<double>());
    return 0;
  }
  print_table(j["fidelity"], "fidelity");
  if (j["labelled"].get<bool>()) {
    std::printf("\n");
    print_table(j["dice"], "Dice");
    std::printf("\n");
    print_table(j["reference_dice"], "reference Dice");
    std::printf("mean_foreground_dice = %.4f\n", j["mean_foreground_dice"].get<double>());
    std::printf("reference_mean_foreground_dice = %.4f\n",
                j["reference_mean_foreground_dice"].get<double>());
  }
  std::printf("mean_fidelity = %.4f\n", j["mean_fidelity"].get<double>());
  return 0;
}

}  // namespace cli
