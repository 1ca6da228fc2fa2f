// The segmentation pipeline: modality images → preprocessing → (resampling) → network layout →
// sliding-window inference → activation → back to the input grid → label map.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "graph/graph.hpp"
#include "infer/conventions.hpp"
#include "io/image.hpp"

namespace efq {

struct Segmentation {
  io::Grid grid;                    // the input's grid (labels and probabilities live on it)
  std::vector<uint8_t> labels;      // i fastest
  std::vector<float> probabilities; // [channels][voxels] after the activation; empty unless asked
  int64_t channels = 0;
};

struct SegmentRequest {
  Conventions conventions;
  bool want_probabilities = false;
  bool int8 = false;  // run qualifying quantized layers as real int8 convolutions
  std::function<bool(int, int)> on_window;  // progress; false cancels
};

/// The model's conventions: its metadata (if any) — callers then override fields.
Conventions model_conventions(const Graph& g, const std::string& where);

/// The network's input channel count, or -1 when the model does not declare it.
int64_t model_input_channels(const Graph& g);

/// Checks the modality count against the model and its conventions.
void check_modalities(const Graph& g, const std::vector<io::Image>& modalities,
                      const Conventions& c);

/// The grid the network runs on for an image on `image_grid`: resampled to the model spacing when
/// it differs (`resampled_out`), else the image's own.
io::Grid network_grid(const io::Grid& image_grid, const Conventions& c, bool* resampled_out);

/// The network's D, H, W for a grid (the conventions' axis order).
Shape network_spatial_shape(const io::Grid& net_grid, const Conventions& c);

/// Preprocesses modality images into the network tensor [1, C, D, H, W]: normalization,
/// resampling to the model spacing, axis order. Reports the grid the tensor lives on.
Tensor prepare_input(std::vector<io::Image> modalities, const Conventions& c,
                     io::Grid* net_grid_out, bool* resampled_out);

Segmentation segment(const Graph& g, Backend& be, std::vector<io::Image> modalities,
                     const SegmentRequest& req);

/// The second half of segment(): the raw network output y [1, K, D, H, W] over the whole network
/// input (from prepare_input, which reported net_grid and resampled) → activation → the input
/// grid → labels. Lets another runtime's output go through the same post-processing.
Segmentation finish_segmentation(Backend& be, Tensor y, const Conventions& c, const io::Grid& grid,
                                 const io::Grid& net_grid, bool resampled, bool want_probabilities);

/// Converts network outputs [K, voxels] to labels per the activation/regions conventions.
std::vector<uint8_t> to_labels(const std::vector<float>& probs, int64_t channels,
                               const Conventions& c);

}  // namespace efq
