// Code descent after ADMM (quant/code_descent.hpp) on a dense random least-squares layer.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "backends/backend.hpp"
#include "quant/code_descent.hpp"
#include "quant/solver.hpp"

using namespace efq;
using namespace efq::quant;

namespace {

// Gram statistics of Y ≈ [X | 1]·Θᵀ with correlated inputs, so that rounding each weight alone is
// far from the best joint choice of codes.
struct DenseLayer {
  int64_t n = 400, k = 24, c2 = 5;
  GramStats st;
  std::vector<float> w, b;
  DenseLayer() {
    std::mt19937 rng(7);
    std::normal_distribution<double> d(0, 1);
    const int64_t k1 = k + 1;
    std::vector<double> x(static_cast<size_t>(n * k1)), y(static_cast<size_t>(n * c2));
    for (int64_t j = 0; j < n; ++j) {
      const double common = d(rng);
      for (int64_t i = 0; i < k; ++i) x[j * k1 + i] = 0.7 * common + d(rng);
      x[j * k1 + k] = 1;
    }
    w.resize(static_cast<size_t>(c2 * k));
    b.resize(static_cast<size_t>(c2));
    for (auto& v : w) v = static_cast<float>(0.3 * d(rng));
    for (auto& v : b) v = static_cast<float>(0.1 * d(rng));
    st.reset(k1, c2);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t o = 0; o < c2; ++o) {
        double t = b[o] + 0.05 * d(rng);
        for (int64_t i = 0; i < k; ++i) t += w[o * k + i] * x[j * k1 + i];
        y[j * c2 + o] = t;
      }
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t r = 0; r < k1; ++r)
        for (int64_t c = 0; c < k1; ++c) st.A[r * k1 + c] += x[j * k1 + r] * x[j * k1 + c];
      for (int64_t o = 0; o < c2; ++o) {
        for (int64_t c = 0; c < k1; ++c) st.B[o * k1 + c] += y[j * c2 + o] * x[j * k1 + c];
        st.yy += y[j * c2 + o] * y[j * c2 + o];
      }
    }
    st.count = n;
    st.hsum = static_cast<double>(n);
  }
  // One row's loss θᵀAθ − 2Bθ (without the constant), in double.
  double row_loss(const std::vector<double>& th, int64_t o) const {
    const int64_t k1 = k + 1;
    double quad = 0, lin = 0;
    for (int64_t r = 0; r < k1; ++r) {
      for (int64_t c = 0; c < k1; ++c) quad += th[r] * st.A[r * k1 + c] * th[c];
      lin += st.B[o * k1 + r] * th[r];
    }
    return quad - 2 * lin;
  }
};

}  // namespace

TEST_CASE("code descent lowers the ADMM loss to a point where no single code move helps") {
  DenseLayer L;
  std::unique_ptr<Backend> be = create_backend("cpu", 0);
  const Quantizer q0 = Quantizer::for_weights(GridKind::kSymmetric, 2, WeightRange::kOdd);
  AdmmOptions o;
  o.iterations = 1;  // one W-step and projection: rounding the least-squares weights
  o.descent_sweeps = 0;
  const LayerSolution plain = solve_admm(*be, L.st, L.st, L.w, L.b, 1.0, q0, o);
  o.descent_sweeps = 100;
  const LayerSolution s = solve_admm(*be, L.st, L.st, L.w, L.b, 1.0, q0, o);
  // The same ADMM run, then the descent: the loss before it is ADMM's, and it only goes down.
  CHECK(s.loss_admm == doctest::Approx(plain.loss_after).epsilon(1e-12));
  CHECK(s.descent_moves > 0);
  CHECK(s.descent_sweeps >= 2);           // the last sweep moved nothing
  CHECK(s.descent_sweeps < 100);
  CHECK(s.loss_after < 0.95 * plain.loss_after);  // measured 0.85 on this layer
  const Quantizer& q = s.quantizer;
  const int64_t k = L.k;
  for (int64_t r = 0; r < L.c2; ++r) {
    CAPTURE(r);
    std::vector<double> th(static_cast<size_t>(k + 1));
    for (int64_t i = 0; i < k; ++i) {
      const int64_t c = s.codes[r * k + i];
      CHECK(c >= q.qmin);
      CHECK(c <= q.qmax);
      CHECK((c - q.qmin) % q.qstep == 0);
      CHECK(s.weights[r * k + i] == q.dequantized(c, static_cast<size_t>(r)));  // as stored
      th[i] = s.weights[r * k + i];
    }
    th[k] = s.bias[r];
    const double base = L.row_loss(th, r);
    const double tol = 1e-9 * std::fabs(base) + 1e-9;
    // Every other level of every single weight is no better.
    for (int64_t i = 0; i < k; ++i) {
      const double keep = th[i];
      for (int64_t c = q.qmin; c <= q.qmax; c += q.qstep) {
        th[i] = q.dequantized(c, static_cast<size_t>(r));
        CHECK(L.row_loss(th, r) >= base - tol);
      }
      th[i] = keep;
    }
    // The bias is (to float precision) at its optimum: moving it either way does not help.
    for (double step : {-1e-3, 1e-3}) {
      th[k] = s.bias[r] + step;
      CHECK(L.row_loss(th, r) >= base - tol);
    }
  }
}

TEST_CASE("code descent gives the same codes with one thread or two, and stops at max_sweeps") {
  DenseLayer L;
  const Quantizer q0 = Quantizer::for_weights(GridKind::kSymmetric, 3, WeightRange::kOdd);
  AdmmOptions o;
  o.iterations = 20;
  o.descent_sweeps = 50;
  std::unique_ptr<Backend> one = create_backend("cpu", 1), two = create_backend("cpu", 2);
  const LayerSolution a = solve_admm(*one, L.st, L.st, L.w, L.b, 1.0, q0, o);
  const LayerSolution b = solve_admm(*two, L.st, L.st, L.w, L.b, 1.0, q0, o);
  CHECK(a.codes == b.codes);
  CHECK(a.bias == b.bias);
  CHECK(a.descent_moves == b.descent_moves);
  o.descent_sweeps = 1;
  const LayerSolution c = solve_admm(*one, L.st, L.st, L.w, L.b, 1.0, q0, o);
  CHECK(c.descent_sweeps == 1);
  CHECK(c.loss_after <= c.loss_admm);
  CHECK(c.loss_after >= a.loss_after);
}
