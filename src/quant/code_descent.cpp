#include "quant/code_descent.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "quant/solver.hpp"

namespace efq::quant {

namespace {

// Rows [o0, o1): `theta` and `g` hold each row's θ and Aθ − B (k1 each). Each row runs the same
// operations in the same order as it would alone (its sweeps, its coordinates in order, the bias
// at the end of a sweep), so the result does not depend on how rows are blocked. The loops run
// coordinate-major inside a block, so that column i of A (A is symmetric: row i) is read from
// memory once for all the block's rows: a row-by-row order streamed all of A per row and move,
// which made the descent memory-bound on large layers.
void descend_block(const GramStats& st, const Quantizer& q, int64_t o0, int64_t o1, double* theta,
                   double* g, int64_t* codes, int max_sweeps, int* sweeps, int64_t* moves) {
  const int64_t k1 = st.k1, k = k1 - 1;
  const double* A = st.A.data();
  const bool per_channel = q.scale.size() > 1;
  std::vector<int64_t> active;
  for (int64_t o = o0; o < o1; ++o) active.push_back(o);
  std::vector<int64_t> moved(static_cast<size_t>(o1 - o0));
  for (int sweep = 1; sweep <= max_sweeps && !active.empty(); ++sweep) {
    for (int64_t o : active) moved[o - o0] = 0;
    for (int64_t i = 0; i < k; ++i) {
      const double a = A[i * k1 + i];
      if (!(a > 0)) continue;  // a weight whose input was always zero: its value does not matter
      const double* ai = A + i * k1;
      for (int64_t o : active) {
        const size_t ch = per_channel ? static_cast<size_t>(o) : 0;
        double* th = theta + o * k1;
        double* go = g + o * k1;
        int64_t& code = codes[o * k + i];
        const int64_t c = q.code(th[i] - go[i] / a, ch);
        if (c == code) continue;
        const double d = static_cast<double>(q.dequantized(c, ch)) - th[i];
        if (a * d * d + 2 * d * go[i] >= 0) continue;  // rounding ties and no gain
        code = c;
        th[i] += d;
        for (int64_t r = 0; r < k1; ++r) go[r] += d * ai[r];
        ++moved[o - o0];
      }
    }
    const double ab = A[k * k1 + k];
    const double* ak = A + k * k1;
    std::vector<int64_t> still;
    for (int64_t o : active) {
      double* th = theta + o * k1;
      double* go = g + o * k1;
      if (ab > 0) {  // the bias to its optimum for these codes
        const double d = -go[k] / ab;
        th[k] += d;
        for (int64_t r = 0; r < k1; ++r) go[r] += d * ak[r];
      }
      moves[o] += moved[o - o0];
      sweeps[o] = sweep;
      if (moved[o - o0] > 0) still.push_back(o);
    }
    active.swap(still);
  }
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
  // The starting loss θAθᵀ − 2Bθ + yy from the same product (the report's loss before the descent).
  double quad = 0, lin = 0;
  for (size_t i = 0; i < theta.size(); ++i) {
    quad += ta[i] * theta[i];
    lin += st.B[i] * theta[i];
  }
  r.loss_before = gram_loss_from(st, quad, lin);
  std::vector<double>& g = ta;  // g = θ·A − B, in place
  for (int64_t o = 0; o < c2; ++o)
    for (int64_t j = 0; j < st.k1; ++j) g[o * st.k1 + j] -= st.B[o * st.k1 + j];
  std::vector<int> sweeps(static_cast<size_t>(c2), 0);
  std::vector<int64_t> moves(static_cast<size_t>(c2), 0);
  // Blocks of up to 16 rows: A's rows are read once per block (see descend_block).
  const int64_t block = 16, blocks = (c2 + block - 1) / block;
  be.parallel_for(blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b)
      descend_block(st, q, b * block, std::min(c2, (b + 1) * block), theta.data(), g.data(),
                    codes.data(), max_sweeps, sweeps.data(), moves.data());
  });
  for (int64_t o = 0; o < c2; ++o) {
    const size_t ch = q.scale.size() > 1 ? static_cast<size_t>(o) : 0;
    for (int64_t i = 0; i < k; ++i) weights[o * k + i] = q.dequantized(codes[o * k + i], ch);
    bias[o] = static_cast<float>(theta[o * st.k1 + k]);
  }
  for (int64_t o = 0; o < c2; ++o) {
    r.sweeps = std::max(r.sweeps, sweeps[o]);
    r.moves += moves[o];
  }
  return r;
}

}  // namespace efq::quant
