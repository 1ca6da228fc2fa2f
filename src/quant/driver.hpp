// The layer-wise driver (METHOD.md §1.2): one FP pass recording each quantizable layer's output
// (the targets) and the attention, then one pass through the network being quantized in which
// every layer, when reached, takes its input from the partially-quantized network, fits its
// activation grid, solves for its weights, and runs quantized for everything downstream.
// The steps, each in its own file: plan (plan.hpp), FP targets (fp_reference.hpp), activation
// quantizers and their calibration (act_quantizers.hpp), solve and write-back (layer_solve.hpp);
// the calibration batch is assembled by calibration_batch.hpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "graph/graph.hpp"
#include "infer/conventions.hpp"
#include "quant/budget.hpp"
#include "quant/calibration_batch.hpp"
#include "quant/options.hpp"
#include "quant/sensitivity.hpp"
#include "quant/plan.hpp"

namespace efq::quant {

struct LayerReport {
  std::string name, op;
  Shape weight_shape, output_shape;
  bool skipped = false;
  int wbits = 0, abits = 0;  // abits 0 = FP input
  int64_t weight_levels = 0;  // levels of the weight grid (2^wbits except narrow / 8-bit)
  std::string weight_codes;   // the code set, e.g. "-3:2:3" (min:step:max)
  bool act_signed = false;
  std::string grid, solver, note;
  std::vector<double> scales;
  double act_scale = 0;
  std::string act_scale_rule;  // "als", "minmax", "layer: …" or "network: …" (ActScaleRule)
  int64_t act_zero_point = 0;
  double loss_before = -1, loss_after = -1;  // mean squared output error vs the FP output
  int iterations = 0, best_iteration = -1;
  std::string stop_reason;  // the solver's (LayerSolution::stop_reason); empty without ADMM
  std::string system;       // how its W-step was solved (LayerSolution::system); empty without ADMM
  SolveTimes times;         // gram / factorization / iterations
  int descent_sweeps = 0;   // code descent after ADMM (LayerSolution); 0 = not run
  int64_t descent_moves = 0;
  double loss_admm = -1;    // the loss before the descent, when it ran
  double seconds = 0;
};

struct QuantResult {
  std::vector<LayerReport> layers;
  std::vector<int64_t> class_counts;
  std::vector<double> class_weights;
  Shape calibration_shape;
  double seconds_fp = 0, seconds_total = 0;
  bool has_sensitivity = false;
  SensitivityResult sensitivity;  // QuantOptions::sensitivity
  bool has_budget = false;
  BudgetResult budget;            // QuantOptions::budget_fidelity (quant/budget.hpp)
};

/// Progress of the quantizer: layer i of n (0-based), ADMM iteration (−1 between layers),
/// loss. Returning false cancels (kCancelled) and leaves `g` unusable: pass a copy.
using QuantProgress = std::function<bool(int layer, int layers, const std::string& name,
                                         int iteration, double loss)>;

/// Quantizes `g` in place from the calibration batch `calib` [N, C, D, H, W] (already
/// preprocessed, cropped). `body` ([N,1,D,H,W], nonzero = body) may be null. With
/// QuantOptions::budget_fidelity > 0 the widths are chosen first (quant/budget.hpp), which
/// quantizes copies of `g` up to kBudgetMeasurements times; `progress` sees every run.
QuantResult quantize_graph(Graph& g, Backend& be, const Tensor& calib, const Tensor* body,
                           const Conventions& conventions, const QuantOptions& opt,
                           const QuantProgress& progress);

}  // namespace efq::quant
