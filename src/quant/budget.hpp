// Widths under a budget (issue 15 item 3): each free layer's weight width is chosen among
// QuantOptions::wbits_choices to make the packed weight bytes small while the quantized
// network's fidelity on the calibration crop stays >= QuantOptions::budget_fidelity.
//
// Measured, not predicted. A predictor summed from single-layer sensitivities was far too
// pessimistic (ADMM cuts each layer's error several-fold and label flips overlap), so the
// sensitivities only ORDER the candidates and the fidelity is measured on the quantized network:
//  1. The ranked path. Every free layer starts at the lowest choice; each step raises the layer
//     whose raise removes the most predicted fidelity drop per packed byte added (a raise may
//     skip widths: the best ratio over all higher choices). The predicted drop of a layer at
//     width b is max(0, f(top) - f(b)) over the sensitivity's single-layer crop fidelities f
//     (made non-increasing in b). The path runs from all-lowest (step 0) to all-top (step K),
//     bytes rising and predicted drop falling. The 1x1 transition convs (very sensitive, few
//     bytes) come first.
//  2. The search. The fidelity along the path is taken as rising. Step 0 is quantized and its
//     crop fidelity measured; then, while the bracket (last step measured too low, first good
//     step] is open and fewer than kBudgetMeasurements quantizations were made, the step nearest
//     the middle of the bracket's packed bytes is measured (a bisection in bytes: the objective;
//     the good end starts as step K, unmeasured). The answer is the bracket's good end. Search
//     quantizations run min(iterations, kBudgetSearchIterations) ADMM iterations. (Interpolating
//     on the predicted drop was tried: the fidelity is nearly flat in it over the path's tail, of
//     large layers the single-layer proxy finds harmless, so it crept up one step at a time.)
//  3. The final model: the answer quantized at the options' iterations (or, when the search
//     already ran at those iterations, the search's own model), and its crop fidelity measured.
// Cost: the sensitivity (layers x choices forward passes on 1/8 of the crop) + at most
// kBudgetMeasurements quantizations at the search iterations + one final quantization + one
// forward pass per measurement.
// Fixed, not searched: skipped layers, layers whose width a layer override sets, and the first
// and last layer (W8 with QuantOptions::first_last_8bit).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "graph/graph.hpp"
#include "infer/conventions.hpp"
#include "quant/options.hpp"
#include "quant/sensitivity.hpp"

namespace efq::quant {

constexpr int kBudgetMeasurements = 5;       // quantizations the search may make
constexpr int kBudgetSearchIterations = 50;  // ADMM iterations of a search quantization (at most)

struct BudgetMeasurement {
  int path_step = 0;             // 0 = all free layers at the lowest choice
  std::vector<int> wbits;        // per BudgetResult::layers
  int64_t packed_bytes = 0;
  double predicted_drop = 0;     // sum of the layers' predicted drops
  double crop_fidelity = 0;      // measured
  double seconds = 0;
};

struct BudgetResult {
  double target = 0;              // QuantOptions::budget_fidelity
  std::vector<int> choices;       // ascending
  int search_iterations = 0;
  std::vector<std::string> layers;  // planned, not skipped layers, in graph order
  std::vector<int64_t> weights;     // their weight counts
  std::vector<bool> free;           // false: width fixed (first/last, a layer override)
  std::vector<int> wbits;           // the chosen widths (fixed ones included)
  int path_steps = 0;               // K: the path has K + 1 assignments
  int chosen_step = 0;
  std::vector<BudgetMeasurement> measurements;  // the search's, in order
  int64_t packed_bytes = 0;          // of the chosen widths: sum over layers of ceil(n·b/8)
  int64_t uniform_packed_bytes = 0;  // the same options without the budget (every free layer at wbits)
  double crop_fidelity = -1;         // of the final model, measured on the calibration crop
  bool final_from_search = false;    // the final model is the search's (same iterations)
  double seconds_sensitivity = 0, seconds_search = 0;
};

/// Quantizes `g` (a copy of the FP graph) in place with `opt`; the search's measuring step.
using BudgetQuantize = std::function<void(Graph& g, const QuantOptions& opt)>;

struct BudgetSearch {
  BudgetResult result;
  // The chosen step's quantized graph when the search measured it at the final iteration count
  // (result.final_from_search), and that run's index among the `quantize` calls; else empty, -1.
  Graph graph;
  int run = -1;
};

/// Chooses the widths for `g` (the FP graph; not changed) from the calibration crop `calib`.
/// `sens` holds the layer sensitivities at opt.wbits_choices. Throws kInvalidArgument for bad
/// options (no choices, F out of (0, 1]).
BudgetSearch choose_widths(const Graph& g, Backend& be, const Tensor& calib, const Conventions& conv,
                           const QuantOptions& opt, const SensitivityResult& sens,
                           const BudgetQuantize& quantize);

/// `opt` with the chosen widths as layer overrides (the budget and the sensitivity switched off).
QuantOptions with_chosen_widths(const QuantOptions& opt, const BudgetResult& r);

/// The labels of `g` on the crop `calib` ([N, C, D, H, W]; the N cases' labels concatenated).
std::vector<uint8_t> crop_labels(const Graph& g, Backend& be, const Tensor& calib,
                                 const Conventions& conv);

/// Crop fidelity of `g` against the reference labels `ref` (crop_labels of the FP32 network):
/// the mean over foreground classes of the Dice of the labels (eval's conventions).
double crop_fidelity(const Graph& g, Backend& be, const Tensor& calib, const Conventions& conv,
                     const std::vector<uint8_t>& ref);

/// Packed bytes of a layer of `weights` weights at `bits` (as .efq packs it).
inline int64_t packed_bytes(int64_t weights, int bits) { return (weights * bits + 7) / 8; }

}  // namespace efq::quant
