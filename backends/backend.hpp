// The device-backend interface: the operations the executor dispatches, at the granularity the
// pipeline needs (not a general op graph). The CPU backend (oneDNN + plain C++) is always built and
// is the oracle every other backend is checked against. Tensors are host tensors (NCDHW, float32);
// a device backend copies in and out (later issues add device-resident buffers).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace efq {

/// Geometry of a convolution, transposed convolution or pooling over N spatial dims (1..3).
struct WindowParams {
  std::vector<int64_t> kernel, stride, dilation;  // size = spatial rank
  std::vector<int64_t> pad_begin, pad_end;        // size = spatial rank
  std::vector<int64_t> output_padding;            // ConvTranspose only
  int64_t group = 1;
  bool transposed = false;                        // set for ConvTranspose geometry
};

enum class PoolKind { kMax, kAverageIncludePad, kAverageExcludePad };

enum class UnaryKind { kRelu, kLeakyRelu, kElu, kSigmoid, kTanh, kClip, kFloor, kExp, kSqrt,
                       kNeg, kAbs, kReciprocal, kErf, kRound };

enum class BinaryKind { kAdd, kSub, kMul, kDiv, kPow, kMax, kMin };

enum class ResizeMode { kNearest, kLinear };
enum class ResizeCoord { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric };
enum class ResizeNearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct ResizeParams {
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  ResizeNearest nearest = ResizeNearest::kRoundPreferFloor;
  std::vector<double> scales;  // per axis (all axes); output/input
};

/// Streamed second-moment statistics of one convolution layer's least-squares problem
/// (METHOD.md §3.2), accumulated in double across tiles of output positions:
///   A += Σ_j h_j x̃_j x̃_jᵀ   ((K+1)×(K+1), x̃_j = receptive field of output j plus a 1)
///   B += Σ_j h_j y_j x̃_jᵀ   (C_out×(K+1))
///   yy += Σ_j h_j ||y_j||²,  hsum += Σ_j h_j,  count += #positions
struct GramStats {
  int64_t k1 = 0, c2 = 0;
  std::vector<double> A, B;  // row-major
  double yy = 0, hsum = 0;
  int64_t count = 0;
  void reset(int64_t k1_, int64_t c2_) {
    k1 = k1_;
    c2 = c2_;
    A.assign(static_cast<size_t>(k1 * k1), 0.0);
    B.assign(static_cast<size_t>(c2 * k1), 0.0);
    yy = hsum = 0;
    count = 0;
  }
};

/// One layer's ADMM system on backend-owned buffers (DESIGN §5, METHOD §5): the W-step
///   [W | b] = argmin Σ_j h_j ||[W|b] x̃_j − y_j||² + (η/2)||[W|b] − Θ0||² + (ρ/2)||W − V||²
/// and the monitoring loss, for one layer (c2 rows of k weights and a bias). The bias coordinate
/// is eliminated (a Schur complement), so each ρ value is one k×k system, prepared once in
/// double precision; the iterations are single-precision products against it. A backend keeps
/// the big matrices resident across iterations; at most one system per backend at a time.
class AdmmSystem {
 public:
  virtual ~AdmmSystem() = default;
  /// Prepares the W-step for ρ. `factored_rho` (≥ ρ) is the value whose system gets factored:
  /// equal to ρ normally (once per distinct value); larger for a ρ that serves a single
  /// iteration, whose W-step the backend may then solve by conjugate gradients preconditioned
  /// with the larger value's factorization (to single precision) instead of factoring twice.
  virtual void set_rho(double rho, double factored_rho) = 0;
  /// W-step for V = Z − U (c2×k, row-major): writes W (c2×k) and the bias b (c2).
  virtual void w_step(const float* v, float* w, float* b) = 0;
  /// Mean loss Σ_j h_j ||[Z|b] x̃_j − y_j||² / (count·c2) under the *select* statistics, for
  /// grid weights Z (c2×k) whose row o is row_scale[o] times integers (codes minus zero point):
  /// between iterations only a few codes change, so a backend may update Z·G by rows of G.
  virtual double loss(const float* z, const double* row_scale, const float* b) = 0;
};

/// A convolution whose weights and input are integer codes (real int8 inference):
///   y[o] = x_scale · w_scale[o] · Σ q_x · q_w + bias[o]
/// with q_x = clamp(round(x / x_scale), 0..255 or −127..127) computed by the backend.
struct Int8Conv {
  Shape weight_shape;               // [O, I, k...]
  std::vector<int8_t> codes;        // weight codes, zero point 0
  std::vector<float> weight_scale;  // per output channel
  std::vector<float> bias;          // per output channel (float)
  float x_scale = 1.f;
  bool x_unsigned = true;           // u8 activations (else s8)
  int64_t x_qmin = 0, x_qmax = 255;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  /// y = conv(x, w) + b. x: [N,C,spatial...], w: [O, C/group, k...], b: [O] or null.
  /// `key` identifies the layer so a backend may cache prepared weights across calls; the weights
  /// behind a key must not change while it is cached (call forget() after changing them).
  virtual void conv(const void* key, const WindowParams& p, const Tensor& x, const Tensor& w,
                    const Tensor* b, Tensor& y) = 0;
  /// Real int8 convolution (see Int8Conv); x is float and quantized on the way in.
  virtual void conv_int8(const void* key, const WindowParams& p, const Tensor& x,
                         const Int8Conv& w, Tensor& y) = 0;
  /// Transposed convolution, w: [C, O/group, k...] (ONNX layout).
  virtual void conv_transpose(const void* key, const WindowParams& p, const Tensor& x,
                              const Tensor& w, const Tensor* b, Tensor& y) = 0;
  virtual void pool(PoolKind kind, const WindowParams& p, const Tensor& x, Tensor& y) = 0;
  virtual void unary(UnaryKind kind, float alpha, float beta, const Tensor& x, Tensor& y) = 0;
  /// Numpy-broadcasting elementwise op on float tensors.
  virtual void binary(BinaryKind kind, const Tensor& a, const Tensor& b, Tensor& y) = 0;
  /// y = x * slope where x < 0 (slope broadcast numpy-style).
  virtual void prelu(const Tensor& x, const Tensor& slope, Tensor& y) = 0;
  /// Per-channel affine y = x * scale[c] + shift[c] (standalone BatchNormalization).
  virtual void channel_affine(const Tensor& x, const std::vector<float>& scale,
                              const std::vector<float>& shift, Tensor& y) = 0;
  /// InstanceNormalization over the spatial dims of each (n, c).
  virtual void instance_norm(const Tensor& x, const Tensor& scale, const Tensor& bias, float eps,
                             Tensor& y) = 0;
  virtual void softmax(const Tensor& x, int64_t axis, Tensor& y) = 0;
  virtual void resize(const ResizeParams& p, const Tensor& x, const Shape& out_shape,
                      Tensor& y) = 0;
  virtual void concat(const std::vector<const Tensor*>& xs, int64_t axis, Tensor& y) = 0;
  /// Mean over the given axes (keepdims): ReduceMean, GlobalAveragePool.
  virtual void reduce_mean(const Tensor& x, const std::vector<int64_t>& axes, Tensor& y) = 0;

  /// Accumulates GramStats for conv(x, ·) against target y ([N, C_out, out spatial...]) with
  /// voxel weights h (one per output position, n-major then spatial; null = all ones).
  /// Dilation supported; group must be 1. Never materialises the whole im2col.
  /// With p.transposed (ConvTranspose), x̃_j holds x[c, (j + pad − t·dil)/stride] for each input
  /// channel c and kernel tap t (zero where that is not an integer inside the input), so row o of
  /// Θ is W[:, o, :] flattened over (c, t).
  virtual void gram_accumulate(const WindowParams& p, const Tensor& x, const Tensor& y,
                               const float* h, GramStats& stats) = 0;
  /// The ADMM system of one layer: `solve` defines the objective, `select` the monitoring loss
  /// (the same object unless the faithful best-iterate rule is on); w0 (c2×k) and b0 (c2) are Θ0;
  /// `eta` the regularizer weight. The statistics must outlive the system. Results must not
  /// depend on the thread count.
  virtual std::unique_ptr<AdmmSystem> admm_system(const GramStats& solve, const GramStats& select,
                                                  const float* w0, const float* b0,
                                                  double eta) = 0;
  /// Σ_o θ_o A θ_oᵀ over the `rows` rows θ_o of `theta` (rows × n, row-major) for the symmetric
  /// n×n matrix `a` (GramStats::A), in double: the quadratic part of a layer's exact loss
  /// (baselines, the final ADMM iterate). The result must not depend on the thread count.
  virtual double gram_quadratic(const std::vector<double>& a, int64_t n, const double* theta,
                                int64_t rows) = 0;

  /// Drop anything cached for `key` (weights changed, layer gone).
  virtual void forget(const void* key) = 0;
};

/// Names of the compiled-in backends ("cpu", ...).
std::vector<std::string> backend_names();
/// Create a backend by name ("" or "cpu" = the CPU backend). `threads` <= 0 = library default.
/// Throws efq::Error(kUnsupported) for an unknown or unavailable device.
std::unique_ptr<Backend> create_backend(const std::string& name, int threads);

}  // namespace efq
