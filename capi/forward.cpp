// Experimental: the network input of a volume, and one raw forward pass (for agreement checks
// against other runtimes).
#include <efficientq/efficientq_experimental.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <cstring>

#include "backends/backend.hpp"
#include "capi/guard.hpp"
#include "capi/config_options.hpp"
#include "capi/handles.hpp"
#include "infer/executor.hpp"
#include "infer/segment.hpp"

using efq::capi::guarded;
using efq::capi::require;

namespace {

float* copy_out(const efq::Tensor& t, int64_t shape_out[5]) {
  if (t.rank() != 5) efq::fail(efq::ErrorCode::kUnsupported, "the result is not 5-D: " + efq::shape_str(t.shape));
  float* p = static_cast<float*>(std::malloc(t.f.size() * sizeof(float)));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, t.f.data(), t.f.size() * sizeof(float));
  for (int d = 0; d < 5; ++d) shape_out[d] = t.shape[d];
  return p;
}

}  // namespace

extern "C" {

efq_status efq_volume_network_input(const efq_model* model, const efq_volume* volume,
                                    const efq_config* config, float** tensor_out,
                                    int64_t shape_out[5]) {
  return guarded([&] {
    require(model, "model");
    require(volume, "volume");
    require(tensor_out, "tensor_out");
    require(shape_out, "shape_out");
    *tensor_out = nullptr;
    const efq::Conventions c = efq::capi::effective_conventions(*model, config);
    efq::check_modalities(model->graph, volume->modalities, c);
    efq::Tensor x = efq::prepare_input(volume->modalities, c, nullptr, nullptr);
    *tensor_out = copy_out(x, shape_out);
  });
}

efq_status efq_model_forward(const efq_model* model, const efq_config* config, const float* input,
                             const int64_t shape[5], float** output_out, int64_t shape_out[5]) {
  return guarded([&] {
    require(model, "model");
    require(input, "input");
    require(shape, "shape");
    require(output_out, "output_out");
    require(shape_out, "shape_out");
    *output_out = nullptr;
    efq::Tensor x = efq::Tensor::zeros({shape[0], shape[1], shape[2], shape[3], shape[4]});
    std::memcpy(x.f.data(), input, x.f.size() * sizeof(float));
    auto be = efq::create_backend(efq::capi::config_device(config), efq::capi::config_threads(config));
    efq::Executor ex(model->graph, *be);
    std::vector<efq::Tensor> in;
    in.push_back(std::move(x));
    auto outs = ex.run(std::move(in));
    *output_out = copy_out(outs.at(0), shape_out);
  });
}

void efq_buffer_free(float* buffer) { std::free(buffer); }

efq_status efq_segmentation_from_network_output(const efq_model* model, const efq_volume* volume,
                                                const efq_config* config, const float* output,
                                                const int64_t shape[5],
                                                efq_segmentation** segmentation_out) {
  return guarded([&] {
    require(model, "model");
    require(volume, "volume");
    require(output, "output");
    require(shape, "shape");
    require(segmentation_out, "segmentation_out");
    *segmentation_out = nullptr;
    const efq::Conventions c = efq::capi::effective_conventions(*model, config);
    efq::check_modalities(model->graph, volume->modalities, c);
    bool resampled = false;
    const efq::io::Grid net_grid = efq::network_grid(volume->modalities[0].grid, c, &resampled);
    const efq::Shape sp = efq::network_spatial_shape(net_grid, c);
    if (shape[0] != 1 || shape[2] != sp[0] || shape[3] != sp[1] || shape[4] != sp[2] ||
        shape[1] < 1 || shape[1] > 255)
      efq::fail(efq::ErrorCode::kInvalidArgument,
                "output shape [" + std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + ", " +
                    std::to_string(shape[2]) + ", " + std::to_string(shape[3]) + ", " +
                    std::to_string(shape[4]) + "] does not match the network input's spatial size " +
                    efq::shape_str(sp) + " (batch 1, 1..255 classes)");
    efq::Tensor y = efq::Tensor::zeros({1, shape[1], shape[2], shape[3], shape[4]});
    std::memcpy(y.f.data(), output, y.f.size() * sizeof(float));
    for (float v : y.f)
      if (!std::isfinite(v)) efq::fail(efq::ErrorCode::kNumerical, "the network output has NaN/Inf");
    auto be = efq::create_backend(efq::capi::config_device(config), efq::capi::config_threads(config));
    auto s = std::make_unique<efq_segmentation>();
    s->conventions = c;
    s->seg = efq::finish_segmentation(*be, std::move(y), c, volume->modalities[0].grid, net_grid,
                                      resampled, false);
    *segmentation_out = s.release();
  });
}

}  // extern "C"
