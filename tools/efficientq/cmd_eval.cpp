// efficientq eval MODEL DATASET_DIR
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "run_stats.hpp"

namespace cli {

int cmd_eval(int argc, char** argv) {
  std::vector<std::string> opts = kInferenceOptions;
  for (const char* o : {"--split", "--json"}) opts.push_back(o);
  Args a = parse(argc, argv, opts, {"--help", "--quiet", "--force"});
  if (a.has("--help")) {
    std::printf(
        "usage: efficientq eval MODEL DATASET_DIR [--split test|train] [--json FILE|-] [options]\n"
        "DATASET_DIR is an nnU-Net v2 raw dataset (dataset.json, imagesTs/CASE_0000.nii.gz,\n"
        "labelsTs/CASE.nii.gz, ...). Prints per-case, per-class Dice and the means.\n%s%s",
        kForceHelp, kInferenceHelp);
    return 0;
  }
  if (a.positional.size() != 2) throw Failure("eval needs MODEL and DATASET_DIR", 2);
  check_outputs(a, {"--json"}, {a.positional[0]});
  Context ctx(a.has("--quiet"));
  Config cfg;
  apply_inference_options(a, cfg.p);
  if (a.has("--split")) check(efq_config_set_string(cfg.p, EFQ_PARAM_SPLIT, a.get("--split").c_str()), "--split");
  efq_model* m = load_model(ctx, a.positional[0]);
  std::unique_ptr<efq_model, void (*)(efq_model*)> own_m(m, efq_model_destroy);
  efq_report* r = nullptr;
  check(efq_evaluate_dice(ctx.p, m, a.positional[1].c_str(), cfg.p, &r), "evaluating");
  std::unique_ptr<efq_report, void (*)(efq_report*)> own_r(r, efq_report_destroy);
  char* text = nullptr;
  check(efq_report_to_json(r, &text), "report");
  std::string json = text;
  efq_string_free(text);
  if (a.has("--json")) {
    nlohmann::ordered_json out = nlohmann::ordered_json::parse(json);
    out["command"] = command_stats("eval");
    write_text(a.get("--json"), out.dump(2));
    if (a.get("--json") == "-") return 0;
  }
  auto j = nlohmann::json::parse(json);
  std::vector<std::string> classes = j["classes"];
  std::printf("%-20s", "case");
  for (const auto& c : classes) std::printf(" %14.14s", c.c_str());
  std::printf(" %14s\n", "mean fg");
  for (const auto& cj : j["cases"]) {
    std::printf("%-20.20s", cj["name"].get<std::string>().c_str());
    for (const auto& c : classes) std::printf(" %14.4f", cj["dice"][c].get<double>());
    std::printf(" %14.4f\n", cj["mean_foreground_dice"].get<double>());
  }
  std::printf("%-20s", "mean");
  for (const auto& c : classes) std::printf(" %14.4f", j["mean_dice"][c].get<double>());
  std::printf(" %14.4f\n", j["mean_foreground_dice"].get<double>());
  std::printf("mean_foreground_dice = %.4f\n", j["mean_foreground_dice"].get<double>());
  return 0;
}

}  // namespace cli
