#include "quant/layer_problem.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.hpp"
#include "core/memory_budget.hpp"

namespace efq::quant {

LayerProblem::LayerProblem(WindowParams window, int64_t c_out, std::vector<float> w_rows,
                           std::vector<float> bias, bool keep_unweighted)
    : window_(std::move(window)),
      c_out_(c_out),
      w_(std::move(w_rows)),
      b_(std::move(bias)),
      keep_unweighted_(keep_unweighted) {
  if (c_out_ <= 0 || w_.empty() || w_.size() % static_cast<size_t>(c_out_) != 0)
    fail(ErrorCode::kInvalidArgument, "layer problem: weights are not c_out rows");
  const int64_t k = add_sat(static_cast<int64_t>(w_.size()) / c_out_, 1);
  check_memory(mul_sat(mul_sat(k, k), 32), "a layer problem with " + std::to_string(k - 1) +
                                               " weights per output channel (Gram statistics and solver, ~4 " +
                                               std::to_string(k) + "x" + std::to_string(k) + " double matrices)");
  if (b_.empty()) b_.assign(static_cast<size_t>(c_out_), 0.f);
  if (b_.size() != static_cast<size_t>(c_out_))
    fail(ErrorCode::kInvalidArgument, "layer problem: bias has " + std::to_string(b_.size()) +
                                          " values for " + std::to_string(c_out_) + " channels");
}

void LayerProblem::add(Backend& be, const Tensor& x, const Tensor& y, const float* h) {
  if (y.rank() < 3 || y.shape[1] != c_out_)
    fail(ErrorCode::kInvalidArgument, "layer problem: the target must be [N, " +
                                          std::to_string(c_out_) + ", spatial...]");
  const auto t0 = std::chrono::steady_clock::now();
  be.gram_accumulate(window_, x, y, h, weighted_);
  if (weighted_.k1 * c_out_ != static_cast<int64_t>(w_.size()) + c_out_)
    fail(ErrorCode::kInvalidArgument, "layer problem: the input's channels do not match the weights");
  if (h) any_weights_ = true;
  if (keep_unweighted_) be.gram_accumulate(window_, x, y, nullptr, plain_);
  // Two-pass moments of this batch, pooled with the earlier ones.
  const auto n = static_cast<int64_t>(y.f.size());
  double m = 0;
  for (float v : y.f) m += v;
  m /= std::max<int64_t>(n, 1);
  double m2 = 0;
  for (float v : y.f) m2 += (v - m) * (v - m);
  if (y_count_ == 0) {
    y_mean_ = m;
    y_m2_ = m2;
  } else {
    const double na = static_cast<double>(y_count_), nb = static_cast<double>(n), d = m - y_mean_;
    y_mean_ += d * nb / (na + nb);
    y_m2_ += m2 + d * d * na * nb / (na + nb);
  }
  y_count_ += n;
  gram_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double LayerProblem::target_std() const {
  return std::sqrt(y_m2_ / std::max<double>(static_cast<double>(y_count_) - 1, 1));
}

LayerProblem::Result LayerProblem::solve(Backend& be, const QuantOptions& opt, int wbits,
                                         const std::function<bool(int, double)>& on_iter) const {
  if (weighted_.count == 0)
    fail(ErrorCode::kInvalidState, "layer problem: no calibration data was added");
  const Quantizer wq = Quantizer::for_weights(opt.grid, wbits, opt.weight_range);
  const GramStats& sel = keep_unweighted_ && any_weights_ ? plain_ : weighted_;
  Result r;
  if (opt.method == Method::kEfficientQ) {
    AdmmOptions ao = opt.admm;
    ao.per_channel = opt.per_channel;
    r.solution = solve_admm(be, weighted_, sel, w_, b_, target_std(), wq, ao, on_iter);
    r.solver = "admm";
    // solve_admm's loss_before is this same projection's loss (computed the same way): the
    // projection itself is rebuilt only when it wins.
    if (opt.keep_best_of_baseline && r.solution.loss_before < r.solution.loss_after) {
      LayerSolution base = solve_baseline(be, sel, w_, b_, wq, opt.per_channel, "mse");
      {
        base.loss_before = r.solution.loss_before;
        base.iterations = r.solution.iterations;
        base.stop_reason = r.solution.stop_reason;
        base.times = r.solution.times;
        r.solution = std::move(base);
        r.note = "ADMM did not beat the MSE projection; kept the projection";
      }
    }
  } else {
    const std::string m = opt.method == Method::kRtn ? "rtn" : "mse";
    r.solution = solve_baseline(be, sel, w_, b_, wq, opt.per_channel, m);
    r.solver = to_string(opt.method);
  }
  r.solution.times.gram = gram_seconds_;
  return r;
}

}  // namespace efq::quant
