// Greedy coordinate descent on the weight codes after ADMM (an option, off in the faithful mode).
//
// With the scales fixed, the layer's reconstruction loss of one output row θ = [w | b] is the
// quadratic θᵀAθ − 2Bθ + const of the Gram statistics. Moving one weight to another grid level
// changes it by a·d² + 2·d·g_i (a = A_ii, d = the value's change, g = Aθ − B), so the best level
// for that weight alone is the grid level nearest to θ_i − g_i/a, and the change is exact. A sweep
// visits every weight of a row once and moves it when that lowers the loss, then sets the bias to
// its optimum; the gradient g is updated after each move (one column of A). Sweeps repeat until
// none moves a code or `max_sweeps` is reached. The loss never increases: each accepted move
// lowers it. Rows are independent (the scale is fixed), so they run in parallel on the backend's
// threads, each with the same arithmetic whatever the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/backend.hpp"
#include "quant/grid.hpp"

namespace efq::quant {

struct DescentResult {
  int sweeps = 0;         // the most sweeps any row ran (the last one moved nothing, or hit the cap)
  int64_t moves = 0;      // codes changed in all rows
  double loss_before = -1;  // the loss of the codes it started from, normalised as gram_loss (gram_loss_from)
                            // (from the descent's own θ·A: no second product; -1 when it did not run)
};

/// Improves `codes` (c2 × k, row-major), `weights` (their dequantized values, kept consistent)
/// and `bias` (c2) in place for the loss of `stats` (k1 = k + 1; the last coordinate is the
/// bias), with the scales of `q` fixed (per row when q.scale has c2 entries, else one).
DescentResult code_descent(Backend& be, const GramStats& stats, const Quantizer& q,
                           std::vector<int64_t>& codes, std::vector<float>& weights,
                           std::vector<float>& bias, int max_sweeps);

}  // namespace efq::quant
