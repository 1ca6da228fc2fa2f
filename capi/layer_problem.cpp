// efq_layer_problem_*: one layer's reconstruction problem through the experimental C API.
#include <efficientq/efficientq_experimental.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "capi/guard.hpp"
#include "capi/config_options.hpp"
#include "capi/handles.hpp"
#include "capi/struct_size.hpp"
#include "quant/layer_problem.hpp"

struct efq_layer_problem final {
  efq::WindowParams window;
  int64_t c_out = 0, c_in = 0, rank = 0;
  std::vector<int64_t> kernel;
  efq::quant::QuantOptions options;
  std::unique_ptr<efq::Backend> backend;
  std::unique_ptr<efq::quant::LayerProblem> problem;
  std::optional<efq::quant::LayerProblem::Result> result;
};

using efq::capi::guarded;
using efq::capi::require;
using efq::ErrorCode;
using efq::fail;

namespace {

constexpr int64_t kMaxElements = int64_t{1} << 34;  // 64 GiB of float: surely a mistake

int64_t checked_product(const std::vector<int64_t>& dims, const char* what) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d <= 0) fail(ErrorCode::kInvalidArgument, std::string(what) + ": a size is not positive");
    if (n > kMaxElements / d) fail(ErrorCode::kInvalidArgument, std::string(what) + ": absurd size");
    n *= d;
  }
  return n;
}

void check_finite(const float* p, int64_t n, const char* what) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(p[i]))
      fail(ErrorCode::kNumerical, std::string(what) + "[" + std::to_string(i) + "] is not finite");
}

}  // namespace

extern "C" {

efq_status efq_layer_problem_create(const efq_conv_geometry* geometry, const float* weights,
                                   const float* bias, const efq_config* config,
                                   efq_layer_problem** problem_out) {
  return guarded([&] {
    require(problem_out, "problem_out");
    *problem_out = nullptr;
    require(geometry, "geometry");
    require(weights, "weights");
    const efq_conv_geometry g =
        efq::capi::copy_in_fitting(geometry, efq::capi::kConvGeometryV1Size, "geometry");
    if (g.spatial_rank != 2 && g.spatial_rank != 3)
      fail(ErrorCode::kInvalidArgument, "geometry: spatial_rank must be 2 or 3, not " + std::to_string(g.spatial_rank));
    auto p = std::make_unique<efq_layer_problem>();
    p->rank = g.spatial_rank;
    p->c_out = g.out_channels;
    p->c_in = g.in_channels;
    for (int a = 0; a < p->rank; ++a) {
      const auto axis = "geometry axis " + std::to_string(a) + ": ";
      if (g.kernel[a] <= 0 || g.kernel[a] > 64) fail(ErrorCode::kInvalidArgument, axis + "kernel must be 1..64");
      if (g.stride[a] < 0 || g.dilation[a] < 0 || g.pad_begin[a] < 0 || g.pad_end[a] < 0)
        fail(ErrorCode::kInvalidArgument, axis + "negative stride, dilation or padding");
      p->kernel.push_back(g.kernel[a]);
      p->window.kernel.push_back(g.kernel[a]);
      p->window.stride.push_back(g.stride[a] == 0 ? 1 : g.stride[a]);
      p->window.dilation.push_back(g.dilation[a] == 0 ? 1 : g.dilation[a]);
      p->window.pad_begin.push_back(g.pad_begin[a]);
      p->window.pad_end.push_back(g.pad_end[a]);
    }
    std::vector<int64_t> wdims{p->c_out, p->c_in};
    wdims.insert(wdims.end(), p->kernel.begin(), p->kernel.end());
    const int64_t nw = checked_product(wdims, "weights");
    check_finite(weights, nw, "weights");
    if (bias) check_finite(bias, p->c_out, "bias");
    p->options = efq::capi::quant_options(config);
    p->backend = efq::create_backend(efq::capi::config_device(config), efq::capi::config_threads(config));
    std::vector<float> w(weights, weights + nw);
    std::vector<float> b = bias ? std::vector<float>(bias, bias + p->c_out)
                                : std::vector<float>(static_cast<size_t>(p->c_out), 0.f);
    p->problem = std::make_unique<efq::quant::LayerProblem>(p->window, p->c_out, std::move(w),
                                                             std::move(b), p->options.select_unweighted);
    *problem_out = p.release();
  });
}

void efq_layer_problem_destroy(efq_layer_problem* problem) { delete problem; }

efq_status efq_layer_problem_add_batch(efq_layer_problem* problem, int64_t batch,
                                       const int64_t* input_spatial, const float* input,
                                       const float* target, const float* voxel_weights) {
  return guarded([&] {
    require(problem, "problem");
    require(input_spatial, "input_spatial");
    require(input, "input");
    require(target, "target");
    efq_layer_problem& p = *problem;
    if (batch <= 0) fail(ErrorCode::kInvalidArgument, "batch must be positive");
    efq::Shape xs{batch, p.c_in}, ys{batch, p.c_out};
    std::vector<int64_t> out_spatial;
    for (int64_t a = 0; a < p.rank; ++a) {
      const int64_t in = input_spatial[a];
      const int64_t span = p.window.dilation[a] * (p.kernel[a] - 1) + 1;
      const int64_t padded = in + p.window.pad_begin[a] + p.window.pad_end[a];
      if (in <= 0 || padded < span)
        fail(ErrorCode::kInvalidArgument, "input_spatial[" + std::to_string(a) + "] = " +
                                              std::to_string(in) + " is smaller than the kernel");
      xs.push_back(in);
      out_spatial.push_back((padded - span) / p.window.stride[a] + 1);
      ys.push_back(out_spatial.back());
    }
    const int64_t nx = checked_product(xs, "input"), ny = checked_product(ys, "target");
    std::vector<int64_t> hs{batch};
    hs.insert(hs.end(), out_spatial.begin(), out_spatial.end());
    const int64_t nh = checked_product(hs, "voxel_weights");
    check_finite(input, nx, "input");
    check_finite(target, ny, "target");
    if (voxel_weights) {
      check_finite(voxel_weights, nh, "voxel_weights");
      for (int64_t i = 0; i < nh; ++i)
        if (voxel_weights[i] < 0)
          fail(ErrorCode::kInvalidArgument, "voxel_weights[" + std::to_string(i) + "] is negative");
    }
    efq::Tensor x = efq::Tensor::zeros(xs), y = efq::Tensor::zeros(ys);
    std::copy(input, input + nx, x.f.begin());
    std::copy(target, target + ny, y.f.begin());
    p.problem->add(*p.backend, x, y, voxel_weights);
  });
}

efq_status efq_layer_problem_solve(efq_context* ctx, efq_layer_problem* problem) {
  return guarded([&] {
    require(problem, "problem");
    efq_layer_problem& p = *problem;
    const int64_t total = p.options.method == efq::quant::Method::kEfficientQ ? p.options.admm.iterations : 0;
    p.result.reset();
    auto r = p.problem->solve(*p.backend, p.options, p.options.wbits, [&](int it, double) {
      return !ctx || ctx->progress("layer", it, total, "");
    });
    if (ctx) ctx->progress("layer", total, total, "");
    p.result = std::move(r);
  });
}

efq_status efq_layer_problem_get_solution(const efq_layer_problem* problem,
                                          efq_layer_solution_info* info_out, float* weights_out,
                                          float* bias_out, int32_t* codes_out,
                                          float* scales_out, int32_t* zero_points_out) {
  return guarded([&] {
    require(problem, "problem");
    if (!problem->result) fail(ErrorCode::kInvalidState, "the layer problem has not been solved");
    const efq::quant::LayerSolution& s = problem->result->solution;
    const auto& q = s.quantizer;
    if (info_out) {
      efq_layer_solution_info full{};
      full.num_weights = static_cast<int64_t>(s.weights.size());
      full.out_channels = static_cast<int64_t>(s.bias.size());
      full.num_scales = static_cast<int64_t>(q.scale.size());
      full.qmin = q.qmin;
      full.qmax = q.qmax;
      full.qstep = q.qstep;
      full.mse_before = s.loss_before;
      full.mse_after = s.loss_after;
      full.iterations = s.iterations;
      full.best_iteration = s.best_iteration;
      std::snprintf(full.stop_reason, sizeof full.stop_reason, "%s", s.stop_reason.c_str());
      efq::capi::copy_out_fitting(full, info_out, efq::capi::kLayerSolutionInfoV1Size, "info_out");
    }
    if (weights_out) std::copy(s.weights.begin(), s.weights.end(), weights_out);
    if (bias_out) std::copy(s.bias.begin(), s.bias.end(), bias_out);
    if (codes_out)
      for (size_t i = 0; i < s.codes.size(); ++i) codes_out[i] = static_cast<int32_t>(s.codes[i]);
    if (scales_out)
      for (size_t i = 0; i < q.scale.size(); ++i) scales_out[i] = static_cast<float>(q.scale[i]);
    if (zero_points_out)
      for (size_t i = 0; i < q.zero_point.size(); ++i) zero_points_out[i] = static_cast<int32_t>(q.zero_point[i]);
  });
}

}  // extern "C"
