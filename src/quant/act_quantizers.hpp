// Steps 3 and 4 of the driver: activation fake-quant nodes (EfqFakeQuant) inserted before every
// layer that quantizes its input, and each one's calibration when the quantizing pass reaches it
// (its scale fitted on the partially-quantized network's activations, ActScaleRule).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "graph/graph.hpp"
#include "infer/conventions.hpp"
#include "quant/fp_reference.hpp"
#include "quant/options.hpp"
#include "quant/plan.hpp"

namespace efq::quant {

/// Inserts an uncalibrated EfqFakeQuant node before each planned layer with abits > 0 and moves
/// `plan[i].node` to the layer's new index. Returns the plan index of each layer by node name.
std::map<std::string, size_t> insert_activation_quantizers(Graph& g, std::vector<LayerPlan>& plan,
                                                           GridKind grid);

struct ActCalibration {
  double scale = 0;
  int64_t zero_point = 0;
  std::string rule;  // for LayerReport::act_scale_rule
};

/// Fits the quantizer node `fq` (g.nodes[fq_index], followed by its layer) to its input `x`,
/// searching the scale by the layer's or the network's error where the options ask for it, and
/// marks it calibrated. `calib` is the calibration batch (the network-error search reruns it).
ActCalibration calibrate_activation(Graph& g, Backend& be, int fq_index, const Tensor& x,
                                    const LayerPlan& p, const FpReference& ref,
                                    const Tensor& calib, const Conventions& conv,
                                    const QuantOptions& opt);

}  // namespace efq::quant
