// Per-layer sensitivity (issue 15 item 2): for each quantizable layer and each candidate weight
// width, the effect on the network output of quantizing that layer ALONE.
//
// The proxy (cheap, documented): the layer's weights are projected onto the quantizer's weight
// grid at width b with MSE-optimal (ALS) scales — the plain projection ADMM starts from, no ADMM
// — every other layer and every activation stays FP32, and the network runs once on the
// centre half (per axis) of the calibration crop (the whole crop when the network cannot take
// half of it). Recorded per (layer, width): the mean squared difference of the output
// probabilities from the FP32 network's, and the fidelity on the crop (Dice of the labels
// against the FP32 network's labels, mean over foreground classes, eval's conventions). Cost:
// one forward pass per layer and width on 1/8 of the crop's voxels.
#pragma once

#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "graph/graph.hpp"
#include "infer/conventions.hpp"
#include "quant/options.hpp"

namespace efq::quant {

struct LayerSensitivity {
  std::string name;
  int64_t weights = 0;             // number of weights (packed bytes at b bits = weights·b/8)
  std::vector<int> widths;         // the candidate widths, ascending
  std::vector<double> output_mse;  // per width: mean squared probability difference
  std::vector<double> fidelity;    // per width: crop fidelity of the network with this layer alone quantized
};

struct SensitivityResult {
  std::vector<LayerSensitivity> layers;  // every planned, not skipped layer, in graph order
  Shape input_shape;                     // the network input the passes ran on
  double seconds = 0;
};

/// Runs the analysis on `g` (FP32; restored before returning) for the planned layers of `opt`.
SensitivityResult layer_sensitivity(Graph& g, Backend& be, const Tensor& calib,
                                    const Conventions& conv, const QuantOptions& opt,
                                    const std::vector<int>& widths);

}  // namespace efq::quant
