// The backend conformance suite's solver cases: Gram statistics, the layer loss, the ADMM system
// and the Gram products, each device against the CPU backend (see conformance.cpp).
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "conformance.hpp"

namespace efq::conformance {

// Gram statistics: A and B are float tile sums (≤ positions terms) added in double, so each entry
// is within 2·P·u·Σ|terms| (P = positions), Σ|terms| from the CPU backend on |x|, |y|, |h|.
void case_gram_accumulate(Ctx& c) {
  struct G {
    Shape x, y;
    WindowParams p;
  };
  G gs[] = {
      {{1, 3, 6, 7, 5}, {1, 4, 6, 7, 5}, window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1})},
      {{2, 2, 7, 6, 6}, {2, 3, 3, 3, 3}, window({3, 2, 2}, {2, 2, 2}, {1, 1, 1}, {1, 0, 0}, {1, 0, 0})},
      {{1, 3, 3, 4, 3}, {1, 2, 6, 8, 6}, window({2, 2, 2}, {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0})},
  };
  gs[2].p.transposed = true;
  int n = 0;
  for (const G& g : gs) {
    const Tensor x = random_tensor(c.rng, g.x), y = random_tensor(c.rng, g.y);
    const int64_t positions = shape_numel(g.y) / g.y[1];
    const Tensor h = random_tensor(c.rng, {positions}, 0.f, 3.f);
    for (bool weighted : {true, false}) {
      GramStats sc, sd, mag;
      c.cpu.gram_accumulate(g.p, x, y, weighted ? h.data() : nullptr, sc);
      c.dev.gram_accumulate(g.p, x, y, weighted ? h.data() : nullptr, sd);
      c.dev.gram_accumulate(g.p, x, y, weighted ? h.data() : nullptr, sd);  // accumulates
      c.cpu.gram_accumulate(g.p, x, y, weighted ? h.data() : nullptr, sc);
      c.cpu.gram_accumulate(g.p, abs_of(x), abs_of(y), weighted ? h.data() : nullptr, mag);
      const std::string what = "gram_accumulate case " + std::to_string(n) + (weighted ? " weighted" : "");
      if (sd.k1 != sc.k1 || sd.c2 != sc.c2 || sd.count != sc.count)
        throw CaseFailure(what + ": shape or count differs");
      const double t = 2 * 2 * positions * kU;  // two accumulations of mag's size
      for (size_t i = 0; i < sc.A.size(); ++i)
        if (std::fabs(sd.A[i] - sc.A[i]) > 2 * t * mag.A[i] + 1e-30)
          throw CaseFailure(what + ": A[" + std::to_string(i) + "] " + std::to_string(sd.A[i]) + ", CPU " + std::to_string(sc.A[i]));
      for (size_t i = 0; i < sc.B.size(); ++i)
        if (std::fabs(sd.B[i] - sc.B[i]) > 2 * t * mag.B[i] + 1e-30)
          throw CaseFailure(what + ": B[" + std::to_string(i) + "] " + std::to_string(sd.B[i]) + ", CPU " + std::to_string(sc.B[i]));
      if (std::fabs(sd.yy - sc.yy) > 1e-12 * sc.yy || std::fabs(sd.hsum - sc.hsum) > 1e-12 * sc.hsum)
        throw CaseFailure(what + ": yy or hsum differs");
    }
    ++n;
  }
}

// The statistics serve a cancelling difference: the layer loss L(θ) = θAθᵀ − 2·B·θ + yy is
// ~1e-5 of yy for a good θ (the bundled brain model's first layer: mse 5.7e-5 against outputs of
// order 1). With y = conv(x, θ) + 1e-2 noise over 64 000 positions, L(θ)/yy ≈ 3e-5, and the
// device's statistics must give L(θ) within 10% of the CPU's (float sums over too long tiles
// lose that: a single 64 000-position tile gave L ≤ 0).
void case_gram_loss(Ctx& c) {
  const WindowParams p = window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1});
  const Tensor x = random_tensor(c.rng, {1, 1, 40, 40, 40}, 0.f, 2.f), w = random_tensor(c.rng, {4, 1, 3, 3, 3});
  const Tensor b = random_tensor(c.rng, {4});
  Tensor y;
  int key = 0;
  c.cpu.conv(&key, p, x, w, &b, y);
  c.cpu.forget(&key);
  for (float& v : y.f) v += std::uniform_real_distribution<float>(-1e-2f, 1e-2f)(c.rng);
  GramStats sc, sd;
  c.cpu.gram_accumulate(p, x, y, nullptr, sc);
  c.dev.gram_accumulate(p, x, y, nullptr, sd);
  std::vector<double> theta(static_cast<size_t>(4 * 28));
  for (int64_t o = 0; o < 4; ++o) {
    for (int64_t i = 0; i < 27; ++i) theta[o * 28 + i] = w.f[o * 27 + i];
    theta[o * 28 + 27] = b.f[o];
  }
  auto loss = [&](const GramStats& g) {
    double q = 0, l = 0;
    for (int64_t o = 0; o < 4; ++o)
      for (int64_t i = 0; i < 28; ++i) {
        l += g.B[o * 28 + i] * theta[o * 28 + i];
        for (int64_t j = 0; j < 28; ++j) q += theta[o * 28 + i] * g.A[i * 28 + j] * theta[o * 28 + j];
      }
    return q - 2 * l + g.yy;
  };
  const double lc = loss(sc), ld = loss(sd);
  char buf[128];
  std::snprintf(buf, sizeof buf, "layer loss from the statistics %.4e, CPU %.4e (yy %.4e)", ld, lc, sc.yy);
  c.note = buf;
  if (!(std::fabs(ld - lc) <= 0.1 * lc)) throw CaseFailure(std::string("gram_accumulate: ") + buf);
}

// One layer's ADMM system from real Gram statistics (a random conv layer's), through set_rho,
// w_step and loss, against the CPU's. Both invert S(ρ) with the same host code, so they differ
// by the single-precision products: W = R·S⁻¹ (k = 108 terms) and P = C·G. Measured on PoCL
// (seed 12..): relative Frobenius difference of W and b ≤ 7.5e-7 over two seeds, allowed 2e-5 (k·u =
// 6.4e-6 times a margin of 3); loss ≤ 2.6e-16 relative (it is dominated by the double L(Θ0)),
// allowed 1e-5 ≥ k·u: the quadratic part's float error relative to the loss. A 0.1% error in the
// device's quadratic part fails this case (checked by mutating kernels/solver.cl).
namespace {

struct Layer {
  GramStats st;
  std::vector<float> w0, b0;
};

Layer make_layer(Ctx& c, bool transposed) {
  Layer l;
  WindowParams p = window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1});
  p.transposed = transposed;
  const Tensor x = random_tensor(c.rng, {1, 4, 8, 7, 6}), w = random_tensor(c.rng, {6, 4, 3, 3, 3}, -0.2f, 0.2f);
  const Tensor b = random_tensor(c.rng, {6}, -0.1f, 0.1f);
  Tensor y;
  c.cpu.conv(&l, p, x, w, &b, y);
  c.cpu.forget(&l);
  for (float& v : y.f) v += std::uniform_real_distribution<float>(-0.05f, 0.05f)(c.rng);
  c.cpu.gram_accumulate(p, x, y, nullptr, l.st);
  l.w0 = w.f;
  l.b0 = b.f;
  return l;
}

double rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, n = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    n += double(b[i]) * b[i];
  }
  return std::sqrt(d / std::max(n, 1e-300));
}

}  // namespace

void admm_run(Ctx& c, const char* which) {
  Layer l = make_layer(c, false);
  const int64_t k = l.st.k1 - 1, c2 = l.st.c2;
  auto sc = c.cpu.admm_system(l.st, l.st, l.w0.data(), l.b0.data(), 1e-3);
  auto sd = c.dev.admm_system(l.st, l.st, l.w0.data(), l.b0.data(), 1e-3);
  std::vector<float> v(static_cast<size_t>(c2 * k)), wc(v.size()), wd(v.size()), bc(c2), bd(c2);
  std::vector<float> z(v.size());
  std::vector<double> scale(static_cast<size_t>(c2));
  for (int64_t o = 0; o < c2; ++o) scale[o] = 0.01 + 0.01 * o;
  const std::string w = which;
  double worst_w = 0, worst_b = 0, worst_loss = 0;
  for (double rho : {0.5, 0.05, 2.0}) {
    // ρ = 0.05 with factored_rho = 0.5 lets the CPU use preconditioned CG (to ~1e-7); the
    // device may factor ρ itself. Both must give the same W-step.
    const double factored = rho == 0.05 ? 0.5 : rho;
    sc->set_rho(rho, factored);
    sd->set_rho(rho, factored);
    for (float& x : v) x = std::uniform_real_distribution<float>(-0.3f, 0.3f)(c.rng);
    if (w == "set_rho" || w == "w_step") {
      sc->w_step(v.data(), wc.data(), bc.data());
      sd->w_step(v.data(), wd.data(), bd.data());
      const double dw = rel_diff(wd, wc), db = rel_diff(bd, bc);
      worst_w = std::max(worst_w, dw);
      worst_b = std::max(worst_b, db);
      if (!(dw < 2e-5) || !(db < 2e-5))
        throw CaseFailure(w + ": ρ " + std::to_string(rho) + ": W differs by " + std::to_string(dw) +
                          " (relative), b by " + std::to_string(db) + "; allowed 2e-5");
    }
    if (w == "loss") {
      for (int it = 0; it < 3; ++it) {  // the CPU's incremental P update across calls
        for (int64_t o = 0; o < c2; ++o)
          for (int64_t i = 0; i < k; ++i)
            z[o * k + i] = static_cast<float>(scale[o] * std::nearbyint(l.w0[o * k + i] / scale[o] + (it == 0 ? 0 : std::uniform_int_distribution<int>(-1, 1)(c.rng) * (i % 7 == 0))));
        const double lc = sc->loss(z.data(), scale.data(), l.b0.data());
        const double ld = sd->loss(z.data(), scale.data(), l.b0.data());
        worst_loss = std::max(worst_loss, std::fabs(ld - lc) / std::fabs(lc));
        if (!(std::fabs(ld - lc) <= 1e-5 * std::fabs(lc) + 1e-12))
          throw CaseFailure("loss: " + std::to_string(ld) + ", CPU " + std::to_string(lc) + " (allowed relative 1e-5)");
      }
    }
  }
  char buf[160];
  if (w == "loss") std::snprintf(buf, sizeof buf, "largest relative loss difference %.2e", worst_loss);
  else std::snprintf(buf, sizeof buf, "largest relative difference W %.2e, b %.2e", worst_w, worst_b);
  c.note = buf;
}

// AdmmSystem::kind, and the sample-space W-step against the device's: a layer with fewer
// positions (27) than a quarter of its k1 (217) keeps its rows, so the CPU solves in the sample
// space; the device may solve densely. Both W-steps must agree as in admm_run.
void case_admm_kind(Ctx& c) {
  WindowParams p = window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1});
  const Tensor x = random_tensor(c.rng, {1, 8, 3, 3, 3}), w = random_tensor(c.rng, {5, 8, 3, 3, 3}, -0.2f, 0.2f);
  const Tensor b = random_tensor(c.rng, {5}, -0.1f, 0.1f);
  Tensor y;
  int key = 0;
  c.cpu.conv(&key, p, x, w, &b, y);
  c.cpu.forget(&key);
  for (float& v : y.f) v += std::uniform_real_distribution<float>(-0.05f, 0.05f)(c.rng);
  GramStats st;
  c.cpu.gram_accumulate(p, x, y, nullptr, st);
  if (!st.has_rows()) throw CaseFailure("the CPU backend did not keep the rows of a 27-position layer");
  auto sc = c.cpu.admm_system(st, st, w.f.data(), b.f.data(), 1e-3);
  auto sd = c.dev.admm_system(st, st, w.f.data(), b.f.data(), 1e-3);
  const std::string kc = sc->kind(), kd = sd->kind();
  if (kc != "sample space (27 rows)") throw CaseFailure("CPU kind '" + kc + "', expected 'sample space (27 rows)'");
  if (kd != "dense" && kd != kc) throw CaseFailure("device kind '" + kd + "'");
  // The floor: the CPU's own dense (single-precision) W-step on the same statistics without rows.
  GramStats dense = st;
  dense.rows.clear();
  auto sf = c.cpu.admm_system(dense, dense, w.f.data(), b.f.data(), 1e-3);
  const int64_t k = st.k1 - 1, c2 = st.c2;
  std::vector<float> v(static_cast<size_t>(c2 * k)), wc(v.size()), wd(v.size()), wf(v.size()), bc(c2),
      bd(c2), bf(c2);
  double worst = 0, floor = 0;
  for (double rho : {0.5, 2.0}) {
    sc->set_rho(rho, rho);
    sd->set_rho(rho, rho);
    sf->set_rho(rho, rho);
    for (float& t : v) t = std::uniform_real_distribution<float>(-0.3f, 0.3f)(c.rng);
    sc->w_step(v.data(), wc.data(), bc.data());
    sd->w_step(v.data(), wd.data(), bd.data());
    sf->w_step(v.data(), wf.data(), bf.data());
    floor = std::max({floor, rel_diff(wf, wc), rel_diff(bf, bc)});
    const double dw = rel_diff(wd, wc), db = rel_diff(bd, bc), allowed = std::max(2e-5, 3 * floor);
    worst = std::max({worst, dw, db});
    if (!(dw < allowed) || !(db < allowed))
      throw CaseFailure("sample-space W-step: ρ " + std::to_string(rho) + ": W differs by " +
                        std::to_string(dw) + ", b by " + std::to_string(db) + "; allowed " +
                        std::to_string(allowed) + " (3x the CPU dense path's own difference)");
  }
  char buf[200];
  std::snprintf(buf, sizeof buf, "CPU '%s', device '%s'; W-steps differ by %.2e (CPU dense vs sample: %.2e)",
                kc.c_str(), kd.c_str(), worst, floor);
  c.note = buf;
}

void case_admm_system(Ctx& c) {
  Layer l = make_layer(c, false);
  if (!c.dev.admm_system(l.st, l.st, l.w0.data(), l.b0.data(), 1e-3))
    throw CaseFailure("admm_system returned null");
  bool thrown = false;
  try {
    GramStats bad;
    bad.reset(1, 1);
    c.dev.admm_system(bad, bad, l.w0.data(), l.b0.data(), 1e-3);
  } catch (const Error&) {
    thrown = true;
  }
  if (!thrown) throw CaseFailure("admm_system accepted malformed statistics");
}

// A real layer's Gram matrix, and random symmetric ones of the first layers' orders (28: a
// 1-channel 3×3×3 input; 433: 16 channels), each with its order.
namespace {

std::vector<std::pair<std::vector<double>, int64_t>> gram_matrices(Ctx& c) {
  Layer l = make_layer(c, true);
  std::vector<std::pair<std::vector<double>, int64_t>> as = {{l.st.A, l.st.k1}};
  for (int64_t n : {28, 433}) {
    std::vector<double> a(static_cast<size_t>(n * n));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j <= i; ++j)
        a[i * n + j] = a[j * n + i] = std::uniform_real_distribution<double>(-1, 1)(c.rng) + (i == j ? n : 0);
    as.emplace_back(a, n);
  }
  return as;
}

}  // namespace

void case_gram_quadratic(Ctx& c) {
  const auto as = gram_matrices(c);
  for (const auto& [a, n] : as)
    for (int64_t rows : {1, 6, 16}) {
      std::vector<double> theta(static_cast<size_t>(n * rows));
      for (double& t : theta) t = std::uniform_real_distribution<double>(-1, 1)(c.rng);
      const double qc = c.cpu.gram_quadratic(a, n, theta.data(), rows);
      const double qd = c.dev.gram_quadratic(a, n, theta.data(), rows);
      double mag = 0;  // Σ |θ||A||θ|: double sums of n² terms per row
      for (int64_t o = 0; o < rows; ++o)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j)
            mag += std::fabs(theta[o * n + i] * a[i * n + j] * theta[o * n + j]);
      const double tol = 2 * double(n) * 1.12e-16 * mag * 2;
      if (!(std::fabs(qd - qc) <= tol))
        throw CaseFailure("gram_quadratic n " + std::to_string(n) + " rows " + std::to_string(rows) +
                          ": " + std::to_string(qd) + ", CPU " + std::to_string(qc));
    }
}

// gram_product: θ·A against the CPU backend, element by element, with a bound from the magnitudes.
void case_gram_product(Ctx& c) {
  const auto as = gram_matrices(c);
  for (const auto& [a, n] : as)
    for (int64_t rows : {1, 6, 40}) {
      std::vector<double> theta(static_cast<size_t>(n * rows)), pc(theta.size()), pd(theta.size());
      for (double& t : theta) t = std::uniform_real_distribution<double>(-1, 1)(c.rng);
      c.cpu.gram_product(a, n, theta.data(), rows, pc.data());
      c.dev.gram_product(a, n, theta.data(), rows, pd.data());
      for (int64_t o = 0; o < rows; ++o)
        for (int64_t j = 0; j < n; ++j) {
          double mag = 0;  // Σ_i |θ_oi A_ij|: a double sum of n terms
          for (int64_t i = 0; i < n; ++i) mag += std::fabs(theta[o * n + i] * a[i * n + j]);
          const double tol = 2 * double(n) * 1.12e-16 * mag;
          const size_t e = static_cast<size_t>(o * n + j);
          if (!(std::fabs(pd[e] - pc[e]) <= tol))
            throw CaseFailure("gram_product n " + std::to_string(n) + " rows " + std::to_string(rows) +
                              " at (" + std::to_string(o) + ", " + std::to_string(j) + "): " +
                              std::to_string(pd[e]) + ", CPU " + std::to_string(pc[e]));
        }
    }
}

}  // namespace efq::conformance
