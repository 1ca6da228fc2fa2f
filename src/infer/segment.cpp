#include "infer/segment.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "infer/executor.hpp"
#include "infer/finite_output.hpp"
#include "infer/sliding_window.hpp"
#include "io/preprocess.hpp"
#include "io/resample.hpp"

namespace efq {

Conventions model_conventions(const Graph& g, const std::string& where) {
  auto it = g.metadata.find("efficientq");
  if (it == g.metadata.end()) return Conventions{};
  return parse_conventions(it->second, where);
}

int64_t model_input_channels(const Graph& g) {
  const Shape& s = g.values[g.inputs.at(0)].declared_shape;
  return s.size() == 5 ? s[1] : -1;
}

namespace {

// Image voxel order (i fastest) ↔ network order [C, D, H, W] (W fastest).
void image_to_network(const std::vector<float>& img, const int64_t dim[3], Axes axes, float* dst) {
  const int64_t nx = dim[0], ny = dim[1], nz = dim[2];
  if (axes == Axes::kKJI) {  // D=k, H=j, W=i: the storage order already
    std::copy(img.begin(), img.end(), dst);
    return;
  }
  for (int64_t i = 0; i < nx; ++i)  // D=i, H=j, W=k
    for (int64_t j = 0; j < ny; ++j)
      for (int64_t k = 0; k < nz; ++k) dst[(i * ny + j) * nz + k] = img[i + nx * (j + ny * k)];
}

void network_to_image(const float* src, const int64_t dim[3], Axes axes, float* img) {
  const int64_t nx = dim[0], ny = dim[1], nz = dim[2];
  if (axes == Axes::kKJI) {
    std::copy(src, src + nx * ny * nz, img);
    return;
  }
  for (int64_t i = 0; i < nx; ++i)
    for (int64_t j = 0; j < ny; ++j)
      for (int64_t k = 0; k < nz; ++k) img[i + nx * (j + ny * k)] = src[(i * ny + j) * nz + k];
}

bool same_spacing(const io::Grid& g, const std::vector<double>& sp) {
  for (int d = 0; d < 3; ++d)
    if (std::fabs(g.spacing[d] - sp[d]) > 1e-3 * sp[d]) return false;
  return true;
}

}  // namespace

std::vector<uint8_t> to_labels(const std::vector<float>& probs, int64_t channels,
                               const Conventions& c) {
  const int64_t n = static_cast<int64_t>(probs.size()) / std::max<int64_t>(channels, 1);
  std::vector<uint8_t> labels(static_cast<size_t>(n), 0);
  if (channels > 255) fail(ErrorCode::kUnsupported, "more than 255 output channels");
  if (c.activation == Activation::kSigmoid) {
    const float thr = static_cast<float>(c.threshold);
    std::vector<int> order = c.regions_class_order;
    if (order.empty())
      for (int64_t r = 0; r < channels; ++r) order.push_back(static_cast<int>(r + 1));
    if (static_cast<int64_t>(order.size()) != channels)
      fail(ErrorCode::kInvalidArgument, "regions_class_order has " + std::to_string(order.size()) +
                                            " entries for " + std::to_string(channels) +
                                            " output channels");
    for (int64_t r = 0; r < channels; ++r)
      for (int64_t v = 0; v < n; ++v)
        if (probs[r * n + v] > thr) labels[v] = static_cast<uint8_t>(order[r]);
    return labels;
  }
  for (int64_t v = 0; v < n; ++v) {
    int64_t best = 0;
    for (int64_t k = 1; k < channels; ++k)
      if (probs[k * n + v] > probs[best * n + v]) best = k;
    labels[v] = static_cast<uint8_t>(best);
  }
  return labels;
}

void check_modalities(const Graph& g, const std::vector<io::Image>& mods, const Conventions& c) {
  if (mods.empty()) fail(ErrorCode::kInvalidArgument, "no input image given");
  const int64_t want = model_input_channels(g);
  if (want > 0 && static_cast<int64_t>(mods.size()) != want)
    fail(ErrorCode::kInvalidArgument, "the model takes " + std::to_string(want) +
                                          " modalities, got " + std::to_string(mods.size()) +
                                          " image(s)");
  if (!c.modalities.empty() && c.modalities.size() != mods.size())
    fail(ErrorCode::kInvalidArgument,
         "the model expects " + std::to_string(c.modalities.size()) + " modalities, got " +
             std::to_string(mods.size()) + " image(s)");
}

io::Grid network_grid(const io::Grid& image_grid, const Conventions& c, bool* resampled_out) {
  const bool resampled = c.spacing && !same_spacing(image_grid, *c.spacing);
  if (resampled_out) *resampled_out = resampled;
  return resampled ? io::resampled_grid(image_grid, c.spacing->data()) : image_grid;
}

Shape network_spatial_shape(const io::Grid& net_grid, const Conventions& c) {
  const int64_t* dim = net_grid.dim;
  return c.axes == Axes::kIJK ? Shape{dim[0], dim[1], dim[2]} : Shape{dim[2], dim[1], dim[0]};
}

Tensor prepare_input(std::vector<io::Image> mods, const Conventions& c, io::Grid* net_grid_out,
                     bool* resampled_out) {
  if (mods.empty()) fail(ErrorCode::kInvalidArgument, "no input image given");
  for (size_t m = 1; m < mods.size(); ++m)
    for (int d = 0; d < 3; ++d)
      if (mods[m].grid.dim[d] != mods[0].grid.dim[d])
        fail(ErrorCode::kInvalidArgument, "modality " + std::to_string(m) +
                                              " has a different grid than modality 0");
  if (!c.normalization.empty() && c.normalization.size() != 1 &&
      c.normalization.size() != mods.size())
    fail(ErrorCode::kInvalidArgument, "normalization lists " +
                                          std::to_string(c.normalization.size()) +
                                          " specs for " + std::to_string(mods.size()) +
                                          " modalities");
  for (size_t m = 0; m < mods.size(); ++m)
    if (!c.normalization.empty())
      io::normalize(mods[m].data,
                    io::parse_normalization(c.normalization[c.normalization.size() == 1 ? 0 : m]));
  // Resample to the model's spacing when it differs.
  bool resampled = false;
  const io::Grid net_grid = network_grid(mods[0].grid, c, &resampled);
  if (resampled) {  // the model's spacing may ask for a far larger grid than the file's
    const int64_t* nd = net_grid.dim;
    check_memory(mul_sat(mul_sat(mul_sat(mul_sat(nd[0], nd[1]), nd[2]), static_cast<int64_t>(mods.size())), 8),
                 "resampling the image to the model's spacing (" + std::to_string(nd[0]) + "x" +
                     std::to_string(nd[1]) + "x" + std::to_string(nd[2]) + " voxels)");
  }
  if (resampled)
    for (auto& m : mods) m.data = io::resample(m.data, m.grid, net_grid, io::Interp::kLinear);
  const int64_t* dim = net_grid.dim;
  const Shape spatial = network_spatial_shape(net_grid, c);
  const int64_t C = static_cast<int64_t>(mods.size());
  Tensor x = Tensor::zeros({1, C, spatial[0], spatial[1], spatial[2]});
  const int64_t vox = net_grid.voxels();
  for (int64_t m = 0; m < C; ++m) {
    image_to_network(mods[m].data, dim, c.axes, x.data() + m * vox);
    mods[m].data = std::vector<float>();
  }
  if (net_grid_out) *net_grid_out = net_grid;
  if (resampled_out) *resampled_out = resampled;
  return x;
}

namespace {

/// The buffers of a whole segmentation from shapes alone, before any window runs: one window's
/// activations at their peak, the window accumulators on the padded volume and the
/// probabilities (kOutOfMemory when over the memory limit).
void check_segment_memory(const Graph& g, Executor& ex, const Shape& input, const Shape& roi) {
  if (roi.size() != 3 || input.size() != 5) return;  // sliding_window reports it
  for (int64_t r : roi)
    if (r < 1 || r > 4096) return;
  const Shape window{1, input[1], roi[0], roi[1], roi[2]};
  const std::vector<Shape> shapes = ex.infer_shapes({window});
  const Shape& out = shapes.at(g.outputs.at(0));
  const int64_t K = out.size() >= 2 ? std::max<int64_t>(out[1], 1) : 1;
  int64_t vox = 1, pvol = 1, wvox = 1;
  for (int d = 0; d < 3; ++d) {
    vox = mul_sat(vox, input[2 + d]);
    pvol = mul_sat(pvol, std::max(input[2 + d], roi[d]));
    wvox = mul_sat(wvox, roi[d]);
  }
  int64_t bytes = mul_sat(mul_sat(vox, input[1]), 4);          // the network input
  bytes = add_sat(bytes, mul_sat(mul_sat(wvox, input[1]), 8));  // the window and its copy
  bytes = add_sat(bytes, ex.peak_activation_bytes(shapes));
  bytes = add_sat(bytes, mul_sat(pvol, 4));                     // blending weights
  bytes = add_sat(bytes, mul_sat(mul_sat(pvol, K), 4));         // accumulated outputs
  bytes = add_sat(bytes, mul_sat(mul_sat(vox, K), 8));          // output + probabilities
  check_memory(bytes, "segmenting a " + std::to_string(input[2]) + "x" + std::to_string(input[3]) + "x" +
                          std::to_string(input[4]) + " volume (" + std::to_string(K) +
                          " output channels, window " + shape_str(roi) + ")");
}

}  // namespace

Segmentation segment(const Graph& g, Backend& be, std::vector<io::Image> mods,
                     const SegmentRequest& req) {
  const Conventions& c = req.conventions;
  check_modalities(g, mods, c);
  const io::Grid grid = mods[0].grid;
  io::Grid net_grid;
  bool resampled = false;
  Tensor x = prepare_input(std::move(mods), c, &net_grid, &resampled);
  const Shape spatial{x.shape[2], x.shape[3], x.shape[4]};
  SlidingWindowOptions sw;
  sw.roi = c.roi.empty() ? spatial : c.roi;
  sw.overlap = c.overlap;
  sw.gaussian = c.gaussian;
  Executor ex(g, be);
  if (req.int8) ex.enable_int8();
  check_segment_memory(g, ex, x.shape, sw.roi);
  Tensor y = sliding_window(
      x, sw,
      [&](Tensor&& patch) {
        const Tensor window = patch;  // kept to trace a non-finite output back to its node
        std::vector<Tensor> ins;
        ins.push_back(std::move(patch));
        auto outs = ex.run(std::move(ins));
        check_finite_output(g, ex, window, outs.at(0));
        return std::move(outs.at(0));
      },
      req.on_window);
  x = Tensor();
  return finish_segmentation(be, std::move(y), c, grid, net_grid, resampled, req.want_probabilities);
}

Segmentation finish_segmentation(Backend& be, Tensor y, const Conventions& c, const io::Grid& grid,
                                 const io::Grid& net_grid, bool resampled, bool want_probabilities) {
  const int64_t* dim = net_grid.dim;
  const int64_t vox = net_grid.voxels();
  if (y.rank() != 5 || y.shape[0] != 1 || y.numel() != y.shape[1] * vox)
    fail(ErrorCode::kInvalidArgument, "the network output " + shape_str(y.shape) +
                                          " does not cover the network input grid");
  Segmentation out;
  out.grid = grid;
  const int64_t K = y.shape[1];
  if (c.activation == Activation::kSoftmax) be.softmax(y, 1, y);
  if (c.activation == Activation::kSigmoid) be.unary(UnaryKind::kSigmoid, 0, 0, y, y);
  std::vector<float> probs(static_cast<size_t>(K * vox));
  for (int64_t k = 0; k < K; ++k)
    network_to_image(y.data() + k * vox, dim, c.axes, probs.data() + k * vox);
  y = Tensor();
  if (resampled) probs = io::resample(probs, net_grid, out.grid, io::Interp::kLinear, K);
  out.channels = K;
  out.labels = to_labels(probs, K, c);
  if (want_probabilities) out.probabilities = std::move(probs);
  return out;
}

}  // namespace efq
