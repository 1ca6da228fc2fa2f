// Step 2 of the driver: the FP pass — every planned layer's FP output (its target), the
// network's output, the attention built from it, and the FP probabilities the network-error
// activation search compares against.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "backends/backend.hpp"
#include "graph/graph.hpp"
#include "infer/conventions.hpp"
#include "quant/attention.hpp"
#include "quant/options.hpp"
#include "quant/plan.hpp"

namespace efq::quant {

struct FpReference {
  std::map<int, Tensor> targets;    // by the layer's output value id
  std::unique_ptr<Attention> attention;  // null: h ≡ 1 (attention off, or a baseline method)
  Tensor probabilities;             // only for ActScaleRule::kNetworkError
  double seconds = 0;               // the FP pass
};

/// Runs `g` in FP on `calib` and keeps what the quantizing pass needs. `body` may be null.
FpReference compute_fp_reference(const Graph& g, Backend& be, const Tensor& calib,
                                 const Tensor* body, const Conventions& conv,
                                 const QuantOptions& opt, const std::vector<LayerPlan>& plan);

/// Probabilities of a network output [N, K, spatial...] (softmax over K, sigmoid, or as is),
/// by the backend's own ops as segmentation applies them.
Tensor probabilities(Backend& be, Tensor y, Activation act);

}  // namespace efq::quant
