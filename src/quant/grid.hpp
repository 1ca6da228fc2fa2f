// Quantization grids and scale fitting (METHOD.md §2).
//
//  - kFaithful: the reference's grid — L = 2^bits levels spread evenly over [−α, α] for weights
//    (no zero level for even L) and over [0, α] for activations. Stored as integer codes
//    q ∈ {−(L−1), −(L−3), …, L−1} with step = α/(L−1) (weights) or q ∈ [0, L−1] (activations).
//  - kSymmetric: signed codes with zero point 0, value = s·q, per channel by default, over one
//    of three code sets (WeightRange; activations always use the narrow range):
//      odd:    the 2^b odd integers in ±(2^b−1) (no zero level; the faithful grid's codes);
//      full:   the 2^b integers −2^{b−1} … 2^{b−1}−1;
//      narrow: the 2^b−1 integers in ±(2^{b−1}−1) (a 2-bit "W2" is ternary {−1, 0, 1}).
//    8-bit weights use the narrow range whatever the choice (−127..127, the int8 weight range
//    of the real int8 kernels; odd 8-bit codes would not fit int8).
//  - kAsymmetric: q ∈ [0, 2^b−1] with an integer zero point z, value = s·(q − z).
// Every grid is "value = scale·(q − zero_point)" with q restricted to a set; faithful weights are
// the odd integers in ±(L−1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/backend.hpp"

namespace efq::quant {

/// Round half to even (as torch.round / ONNX Round / nearbyint in the default mode) without a
/// libm call: adding and subtracting 1.5·2^52 leaves the nearest integer under the default
/// rounding mode. Valid for |x| < 2^51 (codes here are within ±2^16).
inline double round_half_even(double x) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5 · 2^52
  return (x + kMagic) - kMagic;  // not folded: we never build with -ffast-math
}

enum class GridKind { kFaithful, kSymmetric, kAsymmetric };

GridKind parse_grid(const std::string& s);
std::string to_string(GridKind g);

/// The code set of the symmetric weight grid (see above).
enum class WeightRange { kOdd, kFull, kNarrow };

WeightRange parse_weight_range(const std::string& s);
std::string to_string(WeightRange r);

/// One quantizer: the integer code set and the fitted scale(s)/zero point(s).
struct Quantizer {
  GridKind kind = GridKind::kSymmetric;
  int bits = 8;
  bool is_signed = true;    // activations: whether negative values are representable
  int64_t qmin = 0, qmax = 0, qstep = 1;  // codes qmin, qmin+qstep, …, qmax
  std::vector<double> scale;              // one per channel (or one)
  std::vector<int64_t> zero_point;        // same size as scale

  /// Builds the code set for weights (signed; `range` matters for kSymmetric only) or
  /// activations.
  static Quantizer for_weights(GridKind kind, int bits, WeightRange range);
  static Quantizer for_activations(GridKind kind, int bits, bool is_signed);

  int64_t code(double v, size_t ch) const;          // nearest code (half to even), clamped
  int64_t levels() const { return (qmax - qmin) / qstep + 1; }
  double value(int64_t q, size_t ch) const { return scale[ch] * static_cast<double>(q - zero_point[ch]); }
  /// The stored weight of code `q` as DequantizeLinear computes it (float(q − z) · float(scale)),
  /// so QDQ exports and the packed format reproduce it bit for bit in any runtime.
  float dequantized(int64_t q, size_t ch) const {
    return static_cast<float>(q - zero_point[ch]) * static_cast<float>(scale[ch]);
  }
};

/// Alternating least squares fit of one scale (METHOD §2.2) for values v (zero point fixed 0
/// for faithful/symmetric). Returns the scale; `iterations_out` the iteration count. Never
/// throws: non-convergence keeps the last value; all-zero input gives scale 1.
double fit_scale_als(const float* v, int64_t n, int64_t stride, const Quantizer& q,
                     int* iterations_out = nullptr, double initial_scale = 0);

/// Min-max scale (round-to-nearest baseline).
double fit_scale_minmax(const float* v, int64_t n, int64_t stride, const Quantizer& q);

/// Asymmetric grid: min-max range then integer zero point; with `als`, refine the scale by ALS.
void fit_asymmetric(const float* v, int64_t n, int64_t stride, Quantizer& q, size_t ch, bool als);

/// Fits the quantizer's scales to `v` (rows × cols row-major; per_channel = one scale per row).
/// method: "als" (MSE-optimal) or "minmax".
/// `warm` (optional, one per group): ALS starts from these scales instead of mean|v| (the
/// reference always cold-starts; warm starts reach the same fixed points in far fewer steps
/// when v changes little, as between ADMM iterations).
/// Groups run in parallel on `be`'s threads (Backend::parallel_for); each group's arithmetic is
/// the same whatever the thread count.
void fit(Backend& be, Quantizer& q, const float* v, int64_t rows, int64_t cols, bool per_channel,
         const std::string& method, const std::vector<double>* warm = nullptr);

/// Projects v onto the grid in place (fake quant), writing the codes when `codes` is not null.
/// Rows run in parallel on `be`'s threads.
void project(Backend& be, const Quantizer& q, float* v, int64_t rows, int64_t cols,
             int64_t* codes = nullptr);

}  // namespace efq::quant
