// Everything the quantizer can be told (the C ABI maps enum-keyed parameters onto this).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "quant/grid.hpp"
#include "quant/solver.hpp"

namespace efq::quant {

enum class Method { kEfficientQ, kRtn, kMse };
Method parse_method(const std::string& s);
std::string to_string(Method m);

/// How an activation quantizer's scale is chosen (method efficientq, zero-point-0 grids other
/// than the faithful one; otherwise ALS, or min-max for rtn). kLayerError and kNetworkError try
/// the MSE-optimal (ALS) scale, the min-max scale and three geometric steps between them and
/// keep the one with the smallest error of, respectively, the consuming layer's FP output
/// (attention-weighted) or the network's output probabilities on the calibration crop with the
/// layers before quantized and the rest FP (attention-weighted; 5 forward passes per layer).
enum class ActScaleRule { kAls, kLayerError, kNetworkError };
ActScaleRule parse_act_scale_rule(const std::string& s);
std::string to_string(ActScaleRule r);

struct LayerOverride {
  bool skip = false;
  int wbits = -1;  // -1 = not overridden
  int abits = -1;  // -1 = not overridden, 0 = no activation quantization
};

struct QuantOptions {
  Method method = Method::kEfficientQ;
  GridKind grid = GridKind::kSymmetric;
  // The symmetric grid's weight codes: all 2^b levels below 8 bits (docs/results.md measures
  // odd, full and narrow at W2A8 and W4A8).
  WeightRange weight_range = WeightRange::kOdd;
  bool per_channel = true;            // faithful grid forces per-tensor unless asked otherwise
  int wbits = 4;
  int abits = 8;                      // 0 = weights only
  bool first_last_8bit = true;        // first and last quantized layer: W8, FP input
  bool attention = true;
  bool faithful_pyramid = false;      // METHOD §4.2 pyramid instead of per-layer pooling
  bool body_mask = false;             // h = 1 where the first modality is 0
  bool select_unweighted = false;     // faithful best-iterate choice (METHOD §10.4)
  bool keep_best_of_baseline = true;  // never worse than the plain projection (our default)
  // docs/results.md compares the three rules on every bundled model.
  ActScaleRule act_scale = ActScaleRule::kLayerError;
  AdmmOptions admm;
  std::vector<int64_t> calib_crop;    // D,H,W; empty = METHOD §1.4 rule
  std::map<std::string, LayerOverride> overrides;  // by node name
  // Per-layer sensitivity before quantizing (quant/sensitivity.hpp), at these widths.
  bool sensitivity = false;
  std::vector<int> sensitivity_widths{2, 3, 4, 8};
  // Widths under a budget (quant/budget.hpp): > 0 = choose each free layer's weight width among
  // wbits_choices for the fewest packed weight bytes with crop fidelity >= budget_fidelity.
  double budget_fidelity = 0;
  std::vector<int> wbits_choices{2, 3, 4, 8};

  /// The reference's configuration (METHOD §11): faithful grid, per-tensor, unweighted best
  /// iterate, pyramid attention, no baseline fallback.
  static QuantOptions faithful();
};

/// Parses a width list "2,3,4,8": integers in 2..8, comma-separated, each at most once; returned
/// ascending. Throws kInvalidArgument naming the bad item.
std::vector<int> parse_wbits_choices(const std::string& s);
/// "2,3,4,8": the inverse of parse_wbits_choices.
std::string to_string(const std::vector<int>& widths);

/// Parses "NAME=w8,a8" / "NAME=skip" / "NAME=w4" / "NAME=a-none" into `out`.
void parse_layer_override(const std::string& spec, std::map<std::string, LayerOverride>& out);

}  // namespace efq::quant
