// Step 1 of the driver: the plan — which layers are quantized, with how many bits, and whether
// each layer's input can be negative.
#pragma once

#include <vector>

#include "graph/graph.hpp"
#include "quant/options.hpp"

namespace efq::quant {

struct LayerPlan {
  int node = -1;  // index in Graph::nodes (moves when activation quantizers are inserted)
  bool skip = false;
  int wbits = 0, abits = 0;  // abits 0 = FP input
  bool act_signed = false;
};

/// One entry per quantizable layer, in graph order: the first and last layer W8 with FP input
/// (QuantOptions::first_last_8bit), the layer overrides winning. Throws kUnsupported when the
/// model has no quantizable layer, kInvalidArgument when an override names none of them.
std::vector<LayerPlan> plan_layers(const Graph& g, const QuantOptions& opt);

/// Whether the value can only hold non-negative numbers (decided from the producing ops).
bool is_nonnegative(const Graph& g, int value);

}  // namespace efq::quant
