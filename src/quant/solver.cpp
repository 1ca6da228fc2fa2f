#include "quant/solver.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace efq::quant {

namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double std_unbiased(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m += x;
  m /= std::max<size_t>(v.size(), 1);
  double s = 0;
  for (float x : v) s += (x - m) * (x - m);
  return std::sqrt(s / std::max<double>(static_cast<double>(v.size()) - 1, 1));
}

// Projects W + U (c2 × k, float) onto the grid: returns Z (float) and fills codes and scales.
void z_step(const std::vector<double>& wu, int64_t c2, int64_t k, Quantizer& q, bool per_channel,
            const std::string& method, std::vector<float>& z, std::vector<int64_t>& codes,
            const std::vector<double>* warm = nullptr) {
  z.resize(wu.size());
  for (size_t i = 0; i < wu.size(); ++i) z[i] = static_cast<float>(wu[i]);
  fit(q, z.data(), c2, k, per_channel, method, warm);
  codes.resize(z.size());
  project(q, z.data(), c2, k, codes.data());
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
  Eigen::Map<const RowMat> C(g.B.data(), g.c2, g.k1);
  Eigen::Map<const RowMat> T(theta.data(), g.c2, g.k1);
  const double quad = be.gram_quadratic(g.A, g.k1, theta.data(), g.c2);
  const double lin = (C.array() * T.array()).sum();
  const double total = quad - 2 * lin + g.yy;
  return std::max(total, 0.0) / static_cast<double>(std::max<int64_t>(g.count * g.c2, 1));
}

LayerSolution solve_baseline(Backend& be, const GramStats& sel, const std::vector<float>& w0,
                             const std::vector<float>& b0, Quantizer q, bool per_channel,
                             const std::string& method) {
  const int64_t c2 = sel.c2, k = sel.k1 - 1;
  LayerSolution s;
  std::vector<double> wd(w0.begin(), w0.end());
  z_step(wd, c2, k, q, per_channel, method == "rtn" ? "minmax" : "als", s.weights, s.codes);
  s.bias = b0;
  s.quantizer = q;
  s.loss_before = s.loss_after = gram_loss(be, sel, make_theta(s.weights, s.bias, c2, k));
  return s;
}

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
  const std::vector<double> theta0 = make_theta(w0, b0, c2, k);
  // Z ← W0 (not projected), U ← 0.
  std::vector<double> z(w0.begin(), w0.end()), u(static_cast<size_t>(c2 * k), 0.0);
  std::vector<float> zf;
  std::vector<int64_t> codes;
  std::vector<double> a(gs.A.size()), rhs(static_cast<size_t>(c2 * k1)), wu(z.size());
  std::unique_ptr<SpdFactor> factor;
  std::vector<double> prev_scales;
  double factored_rho = -1;
  double best = INFINITY;
  for (int it = 0; it < opt.iterations; ++it) {
    if (rho != factored_rho) {  // A = 2·G + ρ·Ĩ + η·I, factored once per ρ value
      for (size_t i = 0; i < a.size(); ++i) a[i] = 2.0 * gs.A[i];
      for (int64_t i = 0; i < k1; ++i) a[i * k1 + i] += (i < k ? rho : 0.0) + eta;
      factor = be.factorize_spd(a, k1);
      factored_rho = rho;
    }
    // W-step: A Θᵀ = (2·C + η·Θ0 + [ρ·V | 0])ᵀ with V = Z − U; columns of Θᵀ = rows of Θ.
    for (int64_t o = 0; o < c2; ++o)
      for (int64_t i = 0; i < k1; ++i) {
        double r = 2.0 * gs.B[o * k1 + i] + eta * theta0[o * k1 + i];
        if (i < k) r += rho * (z[o * k + i] - u[o * k + i]);
        rhs[o * k1 + i] = r;
      }
    factor->solve(rhs.data(), c2);
    // Z-step: project W + U (scale re-fitted from scratch, METHOD §5).
    for (int64_t o = 0; o < c2; ++o)
      for (int64_t i = 0; i < k; ++i) wu[o * k + i] = rhs[o * k1 + i] + u[o * k + i];
    Quantizer qi = q;
    z_step(wu, c2, k, qi, opt.per_channel, "als", zf, codes,
           opt.warm_start_scales && it > 0 ? &prev_scales : nullptr);
    prev_scales = qi.scale;
    for (size_t i = 0; i < z.size(); ++i) z[i] = zf[i];
    // Dual update.
    for (int64_t o = 0; o < c2; ++o)
      for (int64_t i = 0; i < k; ++i) u[o * k + i] += rhs[o * k1 + i] - z[o * k + i];
    // Monitor with the quantized weights and this iterate's bias.
    std::vector<float> bias(static_cast<size_t>(c2));
    for (int64_t o = 0; o < c2; ++o) bias[o] = static_cast<float>(rhs[o * k1 + k]);
    const double loss = gram_loss(be, sel, make_theta(zf, bias, c2, k));
    // ρ schedule (METHOD §5 step 5), rescaling the scaled dual so ρ·U is unchanged.
    if (opt.rho_double_every > 0 && it % opt.rho_double_every == 0) {
      if (2 * rho <= rho_max) {
        rho *= 2;
        for (double& x : u) x /= 2;
      } else {
        for (double& x : u) x /= rho_max / rho;
        rho = rho_max;
      }
    }
    if (it == 0 || loss < best) {
      best = loss;
      sol.weights = zf;
      sol.bias = bias;
      sol.codes = codes;
      sol.quantizer = qi;
      sol.best_iteration = it;
    }
    sol.iterations = it + 1;
    if (on_iter && !on_iter(it, loss)) fail(ErrorCode::kCancelled, "quantization cancelled");
  }
  sol.loss_before = before;
  sol.loss_after = best;
  return sol;
}

}  // namespace efq::quant
