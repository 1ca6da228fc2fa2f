#include "quant/solver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.hpp"
#include "quant/code_descent.hpp"

namespace efq::quant {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double std_unbiased(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m += x;
  m /= std::max<size_t>(v.size(), 1);
  double s = 0;
  for (float x : v) s += (x - m) * (x - m);
  return std::sqrt(s / std::max<double>(static_cast<double>(v.size()) - 1, 1));
}

// Projects W + U (c2 × k, float) onto the grid: returns Z (float) and fills codes and scales.
void z_step(Backend& be, const std::vector<double>& wu, int64_t c2, int64_t k, Quantizer& q,
            bool per_channel, const std::string& method, std::vector<float>& z, std::vector<int64_t>& codes,
            const std::vector<double>* warm = nullptr) {
  z.resize(wu.size());
  for (size_t i = 0; i < wu.size(); ++i) z[i] = static_cast<float>(wu[i]);
  fit(be, q, z.data(), c2, k, per_channel, method, warm);
  codes.resize(z.size());
  project(be, q, z.data(), c2, k, codes.data());
}

}  // namespace

std::vector<double> make_theta(const std::vector<float>& w, const std::vector<float>& b,
                               int64_t c2, int64_t k) {
  std::vector<double> t(static_cast<size_t>(c2 * (k + 1)));
  for (int64_t o = 0; o < c2; ++o) {
    for (int64_t i = 0; i < k; ++i) t[o * (k + 1) + i] = w[o * k + i];
    t[o * (k + 1) + k] = b.empty() ? 0.0 : b[o];
  }
  return t;
}

std::vector<double> rho_schedule(const AdmmOptions& opt) {
  std::vector<double> r;
  double rho = opt.rho_mult;
  for (int it = 0; it < opt.iterations; ++it) {
    r.push_back(rho);
    if (opt.rho_double_every > 0 && it % opt.rho_double_every == 0)
      rho = std::min(2 * rho, opt.rho_max_mult);
  }
  return r;
}

double gram_loss(Backend& be, const GramStats& g, const std::vector<double>& theta) {
  const double quad = be.gram_quadratic(g.A, g.k1, theta.data(), g.c2);
  double lin = 0;
  for (size_t i = 0; i < g.B.size(); ++i) lin += g.B[i] * theta[i];
  return gram_loss_from(g, quad, lin);
}

double gram_loss_from(const GramStats& g, double quad, double lin) {
  return std::max(quad - 2 * lin + g.yy, 0.0) / static_cast<double>(std::max<int64_t>(g.count * g.c2, 1));
}

LayerSolution solve_baseline(Backend& be, const GramStats& sel, const std::vector<float>& w0,
                             const std::vector<float>& b0, Quantizer q, bool per_channel,
                             const std::string& method) {
  const int64_t c2 = sel.c2, k = sel.k1 - 1;
  LayerSolution s;
  std::vector<double> wd(w0.begin(), w0.end());
  z_step(be, wd, c2, k, q, per_channel, method == "rtn" ? "minmax" : "als", s.weights, s.codes);
  s.bias = b0;
  s.quantizer = q;
  s.loss_before = s.loss_after = gram_loss(be, sel, make_theta(s.weights, s.bias, c2, k));
  return s;
}

StopRule stop_rule(const AdmmOptions& opt, int wbits, double projection_loss, double target_ms) {
  StopRule r;
  r.max_iterations = opt.iterations;
  r.early = opt.early_stop;
  if (!opt.short_path) return r;
  if (wbits >= opt.short_from_bits) {
    r.max_iterations = std::min(opt.iterations, opt.short_iterations);
    r.why_short = std::to_string(wbits) + "-bit weights";
  } else if (projection_loss <= opt.short_below_error * target_ms) {
    r.max_iterations = std::min(opt.iterations, opt.short_iterations);
    r.why_short = "projection error below threshold";
  }
  return r;
}

namespace {

// Code descent on the chosen iterate (quant/code_descent.hpp), keeping ADMM's loss for the report.
void descend(Backend& be, const GramStats& sel, int sweeps, LayerSolution& sol) {
  const auto t = std::chrono::steady_clock::now();
  const DescentResult d = code_descent(be, sel, sol.quantizer, sol.codes, sol.weights, sol.bias, sweeps);
  sol.loss_admm = d.loss_before;
  sol.descent_sweeps = d.sweeps;
  sol.descent_moves = d.moves;
  sol.times.descent = seconds_since(t);
}

}  // namespace

LayerSolution solve_admm(Backend& be, const GramStats& gs, const GramStats& sel,
                         const std::vector<float>& w0, const std::vector<float>& b0, double y_std,
                         Quantizer q, const AdmmOptions& opt,
                         const std::function<bool(int, double)>& on_iter) {
  const int64_t c2 = gs.c2, k1 = gs.k1, k = k1 - 1;
  if (static_cast<int64_t>(w0.size()) != c2 * k)
    fail(ErrorCode::kInternal, "solve_admm: weight size does not match the Gram statistics");
  LayerSolution sol = solve_baseline(be, sel, w0, b0, q, opt.per_channel, "mse");
  const double before = sol.loss_before;
  // Automatic scaling (METHOD §3.3): s = max(numel(Y)·std(Y) / (numel(W0)·std(W0)), 1)·mean(h).
  const double numel_y = static_cast<double>(gs.count * c2);
  const double w_std = std_unbiased(w0);
  const double mean_h = gs.hsum / static_cast<double>(std::max<int64_t>(gs.count, 1));
  double s = (w_std > 0 ? std::max(numel_y * y_std / (static_cast<double>(w0.size()) * w_std), 1.0)
                        : 1.0) * mean_h;
  sol.scale_factor = s;
  double rho = opt.rho_mult * s;
  const double rho_max = opt.rho_max_mult * s;
  const double eta = opt.regularizer ? opt.eta_mult * s : 0.0;
  // The stopping rule's scale: the mean square of the targets under the select statistics.
  const double target_ms = sel.yy / static_cast<double>(std::max<int64_t>(sel.count * c2, 1));
  const StopRule rule = stop_rule(opt, q.bits, before, target_ms);
  const auto t_setup = std::chrono::steady_clock::now();
  std::unique_ptr<AdmmSystem> sys = be.admm_system(gs, sel, w0.data(), b0.data(), eta);
  sol.times.factorization += seconds_since(t_setup);
  sol.system = sys->kind();
  // Z ← W0 (not projected), U ← 0.
  const size_t n = w0.size();
  std::vector<float> z = w0, u(n, 0.f), v(n), w(n), wu(n), bias(static_cast<size_t>(c2));
  std::vector<float> zf;
  std::vector<int64_t> codes, prev_codes;
  std::vector<double> prev_scales, row_scale(static_cast<size_t>(c2));
  double factored_rho = -1;
  double best = INFINITY;
  int stable = 0;
  std::vector<double> best_history;  // best loss after each iteration (plateau rule)
  sol.stop_reason = "max_iterations";
  for (int it = 0; it < rule.max_iterations; ++it) {
    if (rho != factored_rho) {  // once per ρ value
      const auto t = std::chrono::steady_clock::now();
      // A value that serves this iteration only (ρ doubles right after it, as ρ0 does) is solved
      // against the next value's factorization instead of getting its own.
      const bool single = opt.rho_double_every > 0 && it % opt.rho_double_every == 0 &&
                          it + 1 < rule.max_iterations && 2 * rho <= rho_max;
      sys->set_rho(rho, single ? 2 * rho : rho);
      factored_rho = rho;
      sol.times.factorization += seconds_since(t);
    }
    const auto t_it = std::chrono::steady_clock::now();
    // W-step with V = Z − U.
    for (size_t i = 0; i < n; ++i) v[i] = z[i] - u[i];
    sys->w_step(v.data(), w.data(), bias.data());
    // Z-step: project W + U (scale re-fitted; METHOD §5).
    for (size_t i = 0; i < n; ++i) wu[i] = w[i] + u[i];
    Quantizer qi = q;
    fit(be, qi, wu.data(), c2, k, opt.per_channel, "als",
        opt.warm_start_scales && it > 0 ? &prev_scales : nullptr);
    zf = wu;
    codes.resize(n);
    project(be, qi, zf.data(), c2, k, codes.data());
    prev_scales = qi.scale;
    // Dual update; primal residual ||W − Z||.
    double r2 = 0, z2 = 0;
    for (size_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(w[i]) - zf[i];
      r2 += d * d;
      z2 += static_cast<double>(zf[i]) * zf[i];
      u[i] += w[i] - zf[i];
    }
    z.swap(zf);
    // Monitor with the quantized weights and this iterate's bias.
    for (int64_t o = 0; o < c2; ++o) row_scale[o] = qi.scale[qi.scale.size() > 1 ? o : 0];
    const double loss = sys->loss(z.data(), row_scale.data(), bias.data());
    // ρ schedule (METHOD §5 step 5), rescaling the scaled dual so ρ·U is unchanged.
    if (opt.rho_double_every > 0 && it % opt.rho_double_every == 0) {
      const double f = 2 * rho <= rho_max ? 2.0 : rho_max / rho;
      rho *= f;
      for (float& x : u) x = static_cast<float>(x / f);
    }
    if (it == 0 || loss < best) {
      best = loss;
      sol.weights = z;
      sol.bias = bias;
      sol.codes = codes;
      sol.quantizer = qi;
      sol.best_iteration = it;
    }
    sol.iterations = it + 1;
    sol.times.iterations += seconds_since(t_it);
    if (on_iter && !on_iter(it, loss)) fail(ErrorCode::kCancelled, "quantization cancelled");
    // The stopping rule (documented in solver.hpp); its bookkeeping only when it is on.
    if (!rule.early) continue;
    stable = codes == prev_codes ? stable + 1 : 0;
    prev_codes.swap(codes);
    best_history.push_back(best);
    if (stable >= opt.stable_iterations && r2 <= opt.residual_tol * opt.residual_tol * z2) {
      sol.stop_reason = "converged";
      break;
    }
    // Judged at the end of each ρ phase on the whole phase, never inside one: the first
    // iterations after ρ doubles often bring the largest gains.
    const int win = opt.plateau_window;
    if (win > 0 && it >= 2 * win && it % win == 0 &&
        best > (1 - opt.plateau_tol) * best_history[static_cast<size_t>(it - win)]) {
      sol.stop_reason = "plateau";
      break;
    }
  }
  if (!rule.why_short.empty() && sol.stop_reason == "max_iterations")
    sol.stop_reason = "short: " + rule.why_short;
  if (opt.descent_sweeps > 0) descend(be, sel, opt.descent_sweeps, sol);
  // The reported loss is exact (double precision), whatever precision the iterations used.
  sol.loss_before = before;
  sol.loss_after = gram_loss(be, sel, make_theta(sol.weights, sol.bias, c2, k));
  return sol;
}

}  // namespace efq::quant
