// Step 5 of the driver: one layer's weights solved on its (partially-quantized) input and FP
// target — the layer-wise problem (ADMM or a baseline), per group for grouped convolutions, or a
// plain projection where the layer-wise solver does not apply.
#pragma once

#include <functional>

#include "backends/backend.hpp"
#include "graph/graph.hpp"
#include "quant/attention.hpp"
#include "quant/driver.hpp"
#include "quant/options.hpp"
#include "quant/plan.hpp"
#include "quant/solver.hpp"

namespace efq::quant {

struct SolvedLayer {
  LayerSolution solution;  // weights and codes in the ONNX layout of the layer's weight
  int axis = 0;            // the weight axis of per-channel scales
  int64_t c_out = 0;
};

/// Solves layer `n` (weights `w`, input `x`, FP target `y`) with `p.wbits` bits; fills the
/// solver fields of `rep` (solver, note, losses). `on_iter(i, loss)` returning false cancels.
SolvedLayer solve_layer(Backend& be, const Graph& g, const Node& n, const Tensor& w,
                        const Tensor& x, const Tensor& y, const Attention* att,
                        const QuantOptions& opt, const LayerPlan& p, LayerReport& rep,
                        const std::function<bool(int, double)>& on_iter);

/// Step 6: the solved layer written into `g` — fresh weight and bias constants (initializers may
/// be shared), its WeightQuant record, the backend's cached weights dropped. `w` is the original
/// weight (its shape and type).
void write_back_layer(Graph& g, Backend& be, Node& n, const Tensor& w, const SolvedLayer& s,
                      int wbits, GridKind grid);

}  // namespace efq::quant
