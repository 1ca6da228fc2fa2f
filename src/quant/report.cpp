#include "quant/report.hpp"

#include "core/resources.hpp"

#include <nlohmann/json.hpp>

namespace efq::quant {

namespace {

// The report's "budget" section (issue 15 item 3).
nlohmann::ordered_json budget_json(const BudgetResult& b, const QuantOptions& opt) {
  nlohmann::ordered_json bj;
  bj["target_fidelity"] = b.target;
  bj["wbits_choices"] = b.choices;
  bj["rule"] =
      "layers ranked by sensitivity per packed byte (single-layer crop fidelities at the "
      "choices); along that path, the crop fidelity of the quantized network against the "
      "FP32 network measured at step 0, then by bisection in packed bytes, for the fewest bytes with "
      "fidelity >= target";
  bj["search_iterations"] = b.search_iterations;
  bj["max_measurements"] = kBudgetMeasurements;
  bj["path_steps"] = b.path_steps;
  bj["chosen_step"] = b.chosen_step;
  bj["measurements"] = nlohmann::ordered_json::array();
  for (const BudgetMeasurement& m : b.measurements)
    bj["measurements"].push_back({{"path_step", m.path_step},
                                  {"wbits", m.wbits},
                                  {"packed_weight_bytes", m.packed_bytes},
                                  {"predicted_drop", m.predicted_drop},
                                  {"crop_fidelity", m.crop_fidelity},
                                  {"seconds", m.seconds}});
  bj["layers"] = nlohmann::ordered_json::array();
  for (size_t l = 0; l < b.layers.size(); ++l)
    bj["layers"].push_back({{"name", b.layers[l]},
                            {"weights", b.weights[l]},
                            {"wbits", b.wbits[l]},
                            {"chosen", b.free[l]},
                            {"packed_weight_bytes", packed_bytes(b.weights[l], b.wbits[l])}});
  bj["packed_weight_bytes"] = b.packed_bytes;
  bj["uniform_wbits"] = opt.wbits;
  bj["uniform_packed_weight_bytes"] = b.uniform_packed_bytes;
  bj["crop_fidelity"] = b.crop_fidelity;
  bj["met"] = b.crop_fidelity >= b.target;
  bj["final_from_search"] = b.final_from_search;
  bj["seconds_sensitivity"] = b.seconds_sensitivity;
  bj["seconds_search"] = b.seconds_search;
  return bj;
}

}  // namespace

std::string report_json(const QuantResult& r, const QuantOptions& opt, const ReportInputs& in) {
  nlohmann::ordered_json j;
  j["library"] = {{"name", "libefficientq"}, {"version", EFQ_VERSION_STRING_BUILD}};
  j["threads"] = in.threads;
  nlohmann::ordered_json cfg;
  cfg["method"] = to_string(opt.method);
  cfg["grid"] = to_string(opt.grid);
  if (opt.grid == GridKind::kSymmetric) cfg["weight_grid"] = to_string(opt.weight_range);
  cfg["per_channel"] = opt.per_channel;
  cfg["wbits"] = opt.wbits;
  cfg["abits"] = opt.abits;
  cfg["first_last_8bit"] = opt.first_last_8bit;
  cfg["attention"] = opt.attention;
  cfg["attention_pyramid"] = opt.faithful_pyramid ? "faithful" : "per-layer";
  cfg["body_mask"] = opt.body_mask;
  cfg["best_iterate_loss"] = opt.select_unweighted ? "unweighted" : "weighted";
  cfg["keep_best_of_baseline"] = opt.keep_best_of_baseline;
  // As applied: the searches belong to the efficientq method on non-faithful grids only.
  cfg["act_scale_rule"] = opt.method == Method::kRtn ? "minmax"
                          : opt.method == Method::kEfficientQ && opt.grid != GridKind::kFaithful
                              ? to_string(opt.act_scale)
                              : "als";
  cfg["iterations"] = opt.admm.iterations;
  cfg["early_stop"] = opt.method == Method::kEfficientQ && opt.admm.early_stop;
  cfg["rho"] = opt.admm.rho_mult;
  cfg["rho_max"] = opt.admm.rho_max_mult;
  cfg["eta"] = opt.admm.regularizer ? opt.admm.eta_mult : 0.0;
  cfg["rho_double_every"] = opt.admm.rho_double_every;
  cfg["code_descent"] = opt.method == Method::kEfficientQ ? opt.admm.descent_sweeps : 0;
  cfg["calibration_shape"] = r.calibration_shape;
  j["configuration"] = cfg;
  j["inputs"] = {{"model", in.model_path}, {"model_sha256", in.model_sha256}};
  for (size_t k = 0; k < in.calibration_paths.size(); ++k)
    j["inputs"]["calibration"].push_back(
        {{"path", in.calibration_paths[k]},
         {"sha256", k < in.calibration_sha256.size() ? in.calibration_sha256[k] : ""}});
  if (!r.class_counts.empty()) {
    j["attention"] = {{"class_voxel_counts", r.class_counts}, {"class_weights", r.class_weights}};
  }
  if (r.has_sensitivity) {
    nlohmann::ordered_json sj;
    sj["proxy"] =
        "each layer alone projected at each width (ALS scales, no ADMM), the rest FP32; the "
        "network on the centre half (per axis) of the calibration crop against the FP32 network: output_mse = mean squared "
        "probability difference, fidelity = Dice of the labels vs the FP32 labels (mean over "
        "foreground classes)";
    sj["widths"] = opt.sensitivity_widths;
    sj["input_shape"] = r.sensitivity.input_shape;
    sj["seconds"] = r.sensitivity.seconds;
    sj["layers"] = nlohmann::ordered_json::array();
    for (const auto& l : r.sensitivity.layers) {
      nlohmann::ordered_json lj;
      lj["name"] = l.name;
      lj["weights"] = l.weights;
      for (size_t i = 0; i < l.widths.size(); ++i) {
        const std::string b = std::to_string(l.widths[i]);
        lj["output_mse"][b] = l.output_mse[i];
        lj["fidelity"][b] = l.fidelity[i];
      }
      sj["layers"].push_back(lj);
    }
    j["sensitivity"] = sj;
  }
  if (r.has_budget) j["budget"] = budget_json(r.budget, opt);
  j["layers"] = nlohmann::ordered_json::array();
  int quantized = 0;
  SolveTimes phases;
  for (const auto& l : r.layers) {
    nlohmann::ordered_json lj;
    lj["name"] = l.name;
    lj["op"] = l.op;
    lj["weight_shape"] = l.weight_shape;
    lj["output_shape"] = l.output_shape;
    lj["skipped"] = l.skipped;
    lj["wbits"] = l.wbits;
    lj["abits"] = l.abits == 0 ? nlohmann::ordered_json("fp32") : nlohmann::ordered_json(l.abits);
    lj["activation_signed"] = l.act_signed;
    lj["grid"] = l.grid;
    if (l.weight_levels > 0) {
      lj["weight_levels"] = l.weight_levels;
      lj["weight_codes"] = l.weight_codes;
    }
    lj["solver"] = l.solver;
    lj["weight_scales"] = l.scales;
    if (l.abits > 0) {
      lj["activation_scale"] = l.act_scale;
      lj["activation_scale_rule"] = l.act_scale_rule;
    }
    if (l.loss_before >= 0) {
      lj["mse_before"] = l.loss_before;
      lj["mse_after"] = l.loss_after;
    }
    lj["iterations"] = l.iterations;
    lj["best_iteration"] = l.best_iteration;
    if (!l.stop_reason.empty()) lj["stop_reason"] = l.stop_reason;
    if (!l.system.empty()) lj["admm_system"] = l.system;
    if (l.descent_sweeps > 0)
      lj["code_descent"] = {{"sweeps", l.descent_sweeps}, {"moves", l.descent_moves}, {"mse_admm", l.loss_admm},
                            {"seconds", l.times.descent}};
    lj["seconds"] = l.seconds;
    lj["seconds_gram"] = l.times.gram;
    lj["seconds_factorization"] = l.times.factorization;
    lj["seconds_iterations"] = l.times.iterations;
    if (!l.note.empty()) lj["note"] = l.note;
    quantized += l.skipped ? 0 : 1;
    phases += l.times;
    j["layers"].push_back(lj);
  }
  j["totals"] = {{"layers", r.layers.size()}, {"quantized_layers", quantized},
                 {"seconds_fp_pass", r.seconds_fp}, {"seconds_gram", phases.gram},
                 {"seconds_factorization", phases.factorization},
                 {"seconds_iterations", phases.iterations},
                 {"seconds_code_descent", phases.descent}, {"seconds", r.seconds_total},
                 {"peak_rss_mib", peak_rss_mib()}};
  return j.dump(2);
}

}  // namespace efq::quant
