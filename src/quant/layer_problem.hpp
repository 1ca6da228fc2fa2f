// One layer's reconstruction problem, independent of any graph: the FP weights and bias, the
// streamed statistics of its calibration data (input, FP target, voxel weights), and the
// solve by EfficientQ's ADMM or a baseline (METHOD.md §3–5). The graph driver uses it for every
// layer; the experimental C API (efq_layer_problem_*) exposes it to vendors with their own runtime.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "quant/options.hpp"
#include "quant/solver.hpp"

namespace efq::quant {

class LayerProblem {
 public:
  /// `w_rows`: one row per output channel (c_out × k, for ConvTranspose the transposed layout of
  /// WindowParams::transposed); `bias`: c_out values. `keep_unweighted`: also accumulate the
  /// statistics without voxel weights (the faithful best-iterate rule selects on those).
  LayerProblem(WindowParams window, int64_t c_out, std::vector<float> w_rows,
               std::vector<float> bias, bool keep_unweighted);

  /// Adds one calibration batch: x [N, C_in, spatial...], y the FP output [N, C_out, out...],
  /// h one weight per output position (n-major) or null. Statistics accumulate in double.
  void add(Backend& be, const Tensor& x, const Tensor& y, const float* h);

  int64_t positions() const { return weighted_.count; }
  /// Unbiased std of every target value added (pooled over batches).
  double target_std() const;

  struct Result {
    LayerSolution solution;
    std::string solver;  // "admm", "rtn", "mse"
    std::string note;    // e.g. the projection was kept because ADMM did not beat it
  };
  /// Solves for `wbits` with the method, grid and ADMM settings of `opt`. `on_iter(i, loss)`
  /// returning false cancels (kCancelled).
  Result solve(Backend& be, const QuantOptions& opt, int wbits,
               const std::function<bool(int, double)>& on_iter = {}) const;

 private:
  WindowParams window_;
  int64_t c_out_;
  std::vector<float> w_, b_;
  bool keep_unweighted_;
  bool any_weights_ = false;
  GramStats weighted_, plain_;
  double gram_seconds_ = 0;       // time spent in add()
  double y_mean_ = 0, y_m2_ = 0;  // pooled moments (Chan et al.)
  int64_t y_count_ = 0;
};

}  // namespace efq::quant
