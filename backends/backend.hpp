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
};

enum class PoolKind { kMax, kAverageIncludePad, kAverageExcludePad };

enum class UnaryKind { kRelu, kLeakyRelu, kElu, kSigmoid, kTanh, kClip, kFloor, kExp, kSqrt,
                       kNeg, kAbs, kReciprocal, kErf };

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

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  /// y = conv(x, w) + b. x: [N,C,spatial...], w: [O, C/group, k...], b: [O] or null.
  /// `key` identifies the layer so a backend may cache prepared weights across calls; the weights
  /// behind a key must not change while it is cached (call forget() after changing them).
  virtual void conv(const void* key, const WindowParams& p, const Tensor& x, const Tensor& w,
                    const Tensor* b, Tensor& y) = 0;
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

  /// Drop anything cached for `key` (weights changed, layer gone).
  virtual void forget(const void* key) = 0;
};

/// Names of the compiled-in backends ("cpu", ...).
std::vector<std::string> backend_names();
/// Create a backend by name ("" or "cpu" = the CPU backend). `threads` <= 0 = library default.
/// Throws efq::Error(kUnsupported) for an unknown or unavailable device.
std::unique_ptr<Backend> create_backend(const std::string& name, int threads);

}  // namespace efq
