// The device-backend interface: the operations the executor dispatches, at the granularity the
// pipeline needs (not a general op graph). The CPU backend (oneDNN + plain C++) is always built and
// is the oracle every other backend is checked against. Tensors are host tensors (NCDHW, float32);
// a device backend copies in and out (later issues add device-resident buffers).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
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

/// Extent of the dilated window along spatial axis d: dilation·(kernel − 1) + 1.
inline int64_t window_extent(const WindowParams& p, size_t d) {
  return p.dilation[d] * (p.kernel[d] - 1) + 1;
}

/// Output size along spatial axis d for an input of size `in` of a convolution, pooling (floor
/// mode) or im2col: (in + pads − extent) / stride + 1. The one place this formula is written.
inline int64_t conv_output_size(const WindowParams& p, size_t d, int64_t in) {
  return (in + p.pad_begin[d] + p.pad_end[d] - window_extent(p, d)) / p.stride[d] + 1;
}

/// Output size along spatial axis d of a transposed convolution (ConvTranspose):
/// (in − 1)·stride − pads + extent + output_padding.
inline int64_t conv_transpose_output_size(const WindowParams& p, size_t d, int64_t in) {
  const int64_t op = p.output_padding.empty() ? 0 : p.output_padding[d];
  return (in - 1) * p.stride[d] - p.pad_begin[d] - p.pad_end[d] + window_extent(p, d) + op;
}

/// [N, channels, output spatial...] for an input x of shape [N, C, spatial...]: conv_output_size,
/// or conv_transpose_output_size when `transposed`.
inline Shape conv_output_shape(const WindowParams& p, const Shape& x, int64_t channels,
                               bool transposed = false) {
  Shape y{x[0], channels};
  for (size_t d = 0; d < p.kernel.size(); ++d)
    y.push_back(transposed ? conv_transpose_output_size(p, d, x[2 + d])
                           : conv_output_size(p, d, x[2 + d]));
  return y;
}

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
  /// The rows √h_j·x̃_j themselves (count × k1, row-major), which a backend keeps while there are
  /// few of them (4·count ≤ k1: deep layers on a small crop, where A has rank ≤ count). Then the
  /// ADMM system can work in the count-dimensional sample space instead of factoring k×k
  /// matrices. Usable only when complete: rows.size() == count·k1.
  std::vector<float> rows;
  bool has_rows() const { return count > 0 && static_cast<int64_t>(rows.size()) == count * k1; }
  void reset(int64_t k1_, int64_t c2_) {
    k1 = k1_;
    c2 = c2_;
    A.assign(static_cast<size_t>(k1 * k1), 0.0);
    B.assign(static_cast<size_t>(c2 * k1), 0.0);
    yy = hsum = 0;
    count = 0;
    rows.clear();
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
  /// How the W-step is solved, for the report (e.g. "dense", "sample space (1152 rows)").
  virtual std::string kind() const { return "dense"; }
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

/// What a backend reports about itself (efq_build_info, the report's "threads").
struct BackendInfo {
  std::string name;                  // "cpu", ...
  std::vector<std::string> devices;  // the devices it runs on, e.g. {"cpu"}
  int threads = 1;                   // host threads each call of this backend uses
  /// Libraries it is built on, (name, version), e.g. {"oneDNN", "2.6.3"}.
  std::vector<std::pair<std::string, std::string>> versions;
};

/// The body of a parallel loop: handles the indices [begin, end).
using RangeFn = std::function<void(int64_t begin, int64_t end)>;

/// A backend keeps its thread count to itself: every call runs with the count it was created with
/// and leaves the caller's threading state as it found it (DESIGN §5).
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  /// Name, devices, thread count and library versions of this backend instance.
  virtual BackendInfo info() const = 0;

  /// Runs fn over [0, n) split into contiguous ranges of at least `grain` indices, on the
  /// backend's host threads (a sequential call when n <= grain or with one thread). The caller
  /// must make each index's work independent of the split, so results never depend on the
  /// thread count. An exception thrown by fn is rethrown here (the first one, once all finish).
  virtual void parallel_for(int64_t n, int64_t grain, const RangeFn& fn) = 0;

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
  /// out = θ·A (rows × n, row-major) for the symmetric n×n matrix `a`, in double: the gradient
  /// part of each row's loss (code descent, quant/code_descent.hpp). The result must not depend
  /// on the thread count.
  virtual void gram_product(const std::vector<double>& a, int64_t n, const double* theta,
                            int64_t rows, double* out) = 0;

  /// Drop anything cached for `key` (weights changed, layer gone).
  virtual void forget(const void* key) = 0;
};

/// One device a backend can run on (efq_device_get_info, `efficientq --version`).
struct DeviceInfo {
  std::string id;       // what --device / EFQ_PARAM_DEVICE / EFQ_DEVICE accept: "cpu", "opencl:0"
  std::string backend;  // "cpu", "opencl"
  std::string name, vendor;
  uint64_t memory_bytes = 0;  // physical memory (cpu) or the device's global memory (OpenCL)
};

/// Every device found, the CPU first, then each OpenCL device in discovery order.
std::vector<DeviceInfo> list_devices();

/// Names of the compiled-in backends ("cpu", ...).
std::vector<std::string> backend_names();
/// info() of each compiled-in backend created with the default thread count, in backend_names()
/// order (efq_build_info, `efficientq --version`).
std::vector<BackendInfo> backend_infos();
/// Create a backend for a device: "cpu", "opencl" (= "opencl:0") or "opencl:N"; "" = the
/// environment variable EFQ_DEVICE when set and not empty, else "cpu". `threads` <= 0 = library
/// default. Throws efq::Error(kUnsupported) for an unknown or unavailable device, naming it, where
/// the name came from, and the devices found.
std::unique_ptr<Backend> create_backend(const std::string& name, int threads);

}  // namespace efq
