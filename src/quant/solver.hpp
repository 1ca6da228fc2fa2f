// The EfficientQ layer solver (METHOD.md §3, §5): ADMM on the layer-wise reconstruction problem
//   min_Θ Σ_j h_j ||Θ x̃_j − y_j||² + (η/2)||Θ − Θ0||² + (ρ/2)||W − V||²,  W ∈ grid
// with a closed-form W-step (the backend's AdmmSystem: bias eliminated, one double-precision
// factorization per ρ value, single-precision GEMMs per iteration), the grid projection as
// Z-step, the scaled dual update, the ρ schedule, best-iterate tracking by a loss computed from
// the Gram statistics (no convolution per iteration), and a stopping rule.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "quant/grid.hpp"

namespace efq::quant {

struct AdmmOptions {
  int iterations = 200;
  double rho_mult = 10, rho_max_mult = 1000, eta_mult = 1;
  int rho_double_every = 50;
  bool regularizer = true;  // η term (off = ablation "without regularizer")
  bool per_channel = true;
  bool warm_start_scales = true;  // Z-step ALS from the previous scales (faithful: cold start)
  // The stopping rule (off for the faithful grid, which runs the reference's fixed count):
  //  - "converged": the codes were identical for `stable_iterations` consecutive iterations and
  //    the primal residual ||W − Z||_F ≤ residual_tol·||Z||_F (a fixed point of the iteration
  //    stays one when ρ changes, so the remaining iterations would repeat it);
  //  - "plateau": at the end of a ρ phase (iteration 100, 150, …), the best loss fell by less
  //    than the fraction plateau_tol over that whole phase (`plateau_window` iterations);
  //  - the cheap path (`short_path`, independent of early_stop): weights of ≥ short_from_bits
  //    bits, or a grid projection whose loss is already ≤ short_below_error × the targets' mean
  //    square, run at most short_iterations.
  // Off by default: on liver with --no-attention at W2A4 it cost 1.5 points of Dice (a layer
  // stopped as "converged" that 200 iterations still improved); the cheap 8-bit path is on.
  bool early_stop = false;
  bool short_path = true;
  int stable_iterations = 10;
  double residual_tol = 1e-5;
  int plateau_window = 50;  // one ρ phase of the schedule
  double plateau_tol = 1e-3;
  int short_iterations = 10;
  int short_from_bits = 8;
  double short_below_error = 1e-5;
  // After the iterations: greedy coordinate descent on the chosen iterate's codes against the
  // select statistics, at most this many sweeps (quant/code_descent.hpp); 0 = off. On by
  // default: mean test fidelity of the five bundled models +0.03 (W4A8), +0.15 (W3A8), +0.14
  // (W2A8), +0.01 (W2A4) points at 20 sweeps, positive in two runs at every width
  // (docs/results.md, "W2A8: where it still loses").
  int descent_sweeps = 20;
};

/// The iteration limit and rule that apply to one layer (see AdmmOptions).
struct StopRule {
  int max_iterations = 0;
  bool early = false;
  std::string why_short;  // non-empty when the cheap path applies
};
StopRule stop_rule(const AdmmOptions& opt, int wbits, double projection_loss, double target_ms);

/// Where one layer's solve spent its time (seconds), for the report and the benchmarks.
struct SolveTimes {
  double gram = 0;           // streaming the Gram statistics
  double factorization = 0;  // the once-per-ρ systems
  double iterations = 0;     // W-steps, projections, dual updates, losses
  double descent = 0;        // code descent after the iterations (AdmmOptions::descent_sweeps)
  SolveTimes& operator+=(const SolveTimes& o) {
    gram += o.gram;
    factorization += o.factorization;
    iterations += o.iterations;
    descent += o.descent;
    return *this;
  }
};

struct LayerSolution {
  std::vector<float> weights;   // dequantized (fake-quant) weights, c2 × K row-major
  std::vector<float> bias;      // c2
  std::vector<int64_t> codes;   // c2 × K
  Quantizer quantizer;          // fitted scale(s) of the chosen iterate
  double loss_before = 0;       // grid projection of the FP weights (no ADMM), FP bias
  double loss_after = 0;        // chosen iterate
  int best_iteration = -1;
  int iterations = 0;
  std::string stop_reason;      // max_iterations | converged | plateau | short: <why>
  std::string system;           // how the W-step was solved (AdmmSystem::kind)
  int descent_sweeps = 0;       // code descent after ADMM (0 = not run)
  int64_t descent_moves = 0;
  double loss_admm = -1;        // the chosen iterate's loss before the descent (when run)
  double scale_factor = 0;      // s of METHOD §3.3
  SolveTimes times;
};

/// ρ used at each iteration (METHOD §5: doubled after iterations 0, 50, 100, … up to ρ_max),
/// in units of the layer's scale factor s.
std::vector<double> rho_schedule(const AdmmOptions& opt);

/// Mean loss of Θ = [W | b] (c2 × k1, row-major) from Gram statistics:
/// Σ_j h_j ||Θ x̃_j − y_j||² / (count·c2). The quadratic part runs on the backend.
double gram_loss(Backend& be, const GramStats& g, const std::vector<double>& theta);
/// The same loss from its parts θAθᵀ (`quad`) and Bθ (`lin`), normalised per output element.
double gram_loss_from(const GramStats& g, double quad, double lin);

/// Θ rows = [W_o | b_o] in double.
std::vector<double> make_theta(const std::vector<float>& w, const std::vector<float>& b,
                               int64_t c2, int64_t k);

/// Runs ADMM. `solve_stats` (attention-weighted) defines the objective; `select_stats` the loss
/// used to pick the best iterate (the same object for the default; the unweighted statistics in
/// faithful mode). `y_std` is the unbiased std of the layer's FP output. `on_iter(i, loss)`
/// returning false cancels (throws kCancelled).
LayerSolution solve_admm(Backend& be, const GramStats& solve_stats, const GramStats& select_stats,
                         const std::vector<float>& w0, const std::vector<float>& b0, double y_std,
                         Quantizer q, const AdmmOptions& opt,
                         const std::function<bool(int, double)>& on_iter = {});

/// Baselines without ADMM: the FP weights projected onto the grid with a min-max ("rtn") or
/// MSE-optimal ALS ("mse") scale; bias unchanged.
LayerSolution solve_baseline(Backend& be, const GramStats& select_stats, const std::vector<float>& w0,
                             const std::vector<float>& b0, Quantizer q, bool per_channel,
                             const std::string& method);

}  // namespace efq::quant
