#include "quant/code_descent.hpp"

#include <algorithm>
#include <atomic>

#include "core/error.hpp"

namespace efq::quant {

namespace {

// One row: returns the sweeps run and adds its moves to `moves`. `ta` is the row's θ·A (from
// Backend::gram_product, for the codes and bias given).
int descend_row(const GramStats& st, const Quantizer& q, size_t ch, int64_t o, const double* ta,
                int64_t* codes, float* weights, float& bias, int max_sweeps, int64_t& moves) {
  const int64_t k1 = st.k1, k = k1 - 1;
  const double* A = st.A.data();
  const double* B = st.B.data() + o * k1;
  std::vector<double> theta(static_cast<size_t>(k1)), g(static_cast<size_t>(k1));
  for (int64_t i = 0; i < k; ++i) theta[i] = q.dequantized(codes[i], ch);
  theta[k] = bias;
  for (int64_t r = 0; r < k1; ++r) g[r] = ta[r] - B[r];  // g = Aθ − B (A is symmetric)
  auto move = [&](int64_t i, double d) {
    theta[i] += d;
    const double* ai = A + i * k1;
    for (int64_t r = 0; r < k1; ++r) g[r] += d * ai[r];
  };
  int sweep = 0;
  while (sweep < max_sweeps) {
    ++sweep;
    int64_t moved = 0;
    for (int64_t i = 0; i < k; ++i) {
      const double a = A[i * k1 + i];
      if (!(a > 0)) continue;  // a weight whose input was always zero: its value does not matter
      const int64_t c = q.code(theta[i] - g[i] / a, ch);
      if (c == codes[i]) continue;
      const double d = static_cast<double>(q.dequantized(c, ch)) - theta[i];
      if (a * d * d + 2 * d * g[i] >= 0) continue;  // rounding ties and no gain
      codes[i] = c;
      move(i, d);
      ++moved;
    }
    const double ab = A[k * k1 + k];
    if (ab > 0) move(k, -g[k] / ab);  // the bias to its optimum for these codes
    moves += moved;
    if (moved == 0) break;
  }
  for (int64_t i = 0; i < k; ++i) weights[i] = q.dequantized(codes[i], ch);
  bias = static_cast<float>(theta[k]);
  return sweep;
}

}  // namespace

DescentResult code_descent(Backend& be, const GramStats& st, const Quantizer& q,
                           std::vector<int64_t>& codes, std::vector<float>& weights,
                           std::vector<float>& bias, int max_sweeps) {
  const int64_t c2 = st.c2, k = st.k1 - 1;
  if (static_cast<int64_t>(codes.size()) != c2 * k || static_cast<int64_t>(weights.size()) != c2 * k ||
      static_cast<int64_t>(bias.size()) != c2 ||
      static_cast<int64_t>(st.A.size()) != st.k1 * st.k1 || static_cast<int64_t>(st.B.size()) != c2 * st.k1)
    fail(ErrorCode::kInternal, "code_descent: sizes do not match the Gram statistics");
  if (q.scale.size() != 1 && static_cast<int64_t>(q.scale.size()) != c2)
    fail(ErrorCode::kInternal, "code_descent: one scale per row or one in all expected");
  DescentResult r;
  if (max_sweeps <= 0 || c2 == 0) return r;
  // Every row's θ·A in one product on the backend: the only O(c2·k1²) part.
  std::vector<double> theta(static_cast<size_t>(c2 * st.k1)), ta(theta.size());
  for (int64_t o = 0; o < c2; ++o) {
    const size_t ch = q.scale.size() > 1 ? static_cast<size_t>(o) : 0;
    for (int64_t i = 0; i < k; ++i) theta[o * st.k1 + i] = q.dequantized(codes[o * k + i], ch);
    theta[o * st.k1 + k] = bias[o];
  }
  be.gram_product(st.A, st.k1, theta.data(), c2, ta.data());
  std::vector<int> sweeps(static_cast<size_t>(c2), 0);
  std::vector<int64_t> moves(static_cast<size_t>(c2), 0);
  be.parallel_for(c2, 1, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      const size_t ch = q.scale.size() > 1 ? static_cast<size_t>(o) : 0;
      sweeps[o] = descend_row(st, q, ch, o, ta.data() + o * st.k1, codes.data() + o * k,
                              weights.data() + o * k, bias[o], max_sweeps, moves[o]);
    }
  });
  for (int64_t o = 0; o < c2; ++o) {
    r.sweeps = std::max(r.sweeps, sweeps[o]);
    r.moves += moves[o];
  }
  return r;
}

}  // namespace efq::quant
