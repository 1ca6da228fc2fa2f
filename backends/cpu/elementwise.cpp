// Memory-bound elementwise operations of the CPU backend (plain C++, OpenMP).
#include <algorithm>
#include <cmath>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/threads.hpp"
#include "core/error.hpp"

namespace efq {

namespace {

// Below this many elements an OpenMP fork/join costs more than the work.
constexpr int64_t kParallelMin = 1 << 16;

float apply_unary(UnaryKind k, float v, float alpha, float beta) {
  switch (k) {
    case UnaryKind::kRelu: return v > 0.f ? v : 0.f;
    case UnaryKind::kLeakyRelu: return v >= 0.f ? v : v * alpha;
    case UnaryKind::kElu: return v > 0.f ? v : alpha * (std::exp(v) - 1.f);
    case UnaryKind::kSigmoid: return 1.f / (1.f + std::exp(-v));
    case UnaryKind::kTanh: return std::tanh(v);
    case UnaryKind::kClip: return std::min(std::max(v, alpha), beta);
    case UnaryKind::kFloor: return std::floor(v);
    case UnaryKind::kExp: return std::exp(v);
    case UnaryKind::kSqrt: return std::sqrt(v);
    case UnaryKind::kNeg: return -v;
    case UnaryKind::kAbs: return std::fabs(v);
    case UnaryKind::kReciprocal: return 1.f / v;
    case UnaryKind::kErf: return std::erf(v);
    case UnaryKind::kRound: return std::nearbyint(v);  // half to even, as ONNX Round
  }
  return v;
}

float apply_binary(BinaryKind k, float a, float b) {
  switch (k) {
    case BinaryKind::kAdd: return a + b;
    case BinaryKind::kSub: return a - b;
    case BinaryKind::kMul: return a * b;
    case BinaryKind::kDiv: return a / b;
    case BinaryKind::kPow: return std::pow(a, b);
    case BinaryKind::kMax: return std::max(a, b);
    case BinaryKind::kMin: return std::min(a, b);
  }
  return a;
}

// Numpy broadcasting: output shape and, per input, the strides to use (0 on broadcast axes).
Shape broadcast_shape(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t k = 0; k < r; ++k) {
    int64_t da = k + a.size() >= r ? a[k + a.size() - r] : 1;
    int64_t db = k + b.size() >= r ? b[k + b.size() - r] : 1;
    if (da != db && da != 1 && db != 1)
      fail(ErrorCode::kInvalidArgument,
           "shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast");
    out[k] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t acc = 1;
  for (size_t k = 0; k < s.size(); ++k) {
    size_t o = out.size() - 1 - k;
    size_t i = s.size() - 1 - k;
    st[o] = s[i] == 1 ? 0 : acc;
    acc *= s[i];
  }
  return st;
}

// Calls f(out_index, a_index, b_index) over the broadcast output, innermost axis contiguous.
template <typename F>
void for_broadcast(const Shape& out, const std::vector<int64_t>& sa,
                   const std::vector<int64_t>& sb, F f) {
  const size_t r = out.size();
  if (r == 0) {
    f(0, 0, 0);
    return;
  }
  const int64_t inner = out[r - 1];
  const int64_t outer = shape_numel(out) / std::max<int64_t>(inner, 1);
#pragma omp parallel for schedule(static) if (outer * inner > kParallelMin)
  for (int64_t o = 0; o < outer; ++o) {
    int64_t rem = o, ia = 0, ib = 0;
    for (size_t k = r - 1; k-- > 0;) {
      int64_t idx = rem % out[k];
      rem /= out[k];
      ia += idx * sa[k];
      ib += idx * sb[k];
    }
    for (int64_t i = 0; i < inner; ++i) f(o * inner + i, ia + i * sa[r - 1], ib + i * sb[r - 1]);
  }
}

}  // namespace

void CpuBackend::unary(UnaryKind kind, float alpha, float beta, const Tensor& x, Tensor& y) {
  const ScopedThreads scope(threads_);
  y.resize(x.shape);
  const int64_t n = x.numel();
  const float* in = x.data();
  float* out = y.data();
#pragma omp parallel for schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) out[i] = apply_unary(kind, in[i], alpha, beta);
}

void CpuBackend::binary(BinaryKind kind, const Tensor& a, const Tensor& b, Tensor& y) {
  const ScopedThreads scope(threads_);
  Shape out = broadcast_shape(a.shape, b.shape);
  Tensor tmp;
  Tensor& dst = (&y == &a || &y == &b) ? tmp : y;
  dst.resize(out);
  const float* pa = a.data();
  const float* pb = b.data();
  float* py = dst.data();
  if (a.shape == b.shape) {
    const int64_t n = dst.numel();
#pragma omp parallel for schedule(static) if (n > kParallelMin)
    for (int64_t i = 0; i < n; ++i) py[i] = apply_binary(kind, pa[i], pb[i]);
  } else {
    for_broadcast(out, broadcast_strides(a.shape, out), broadcast_strides(b.shape, out),
                  [&](int64_t o, int64_t ia, int64_t ib) {
                    py[o] = apply_binary(kind, pa[ia], pb[ib]);
                  });
  }
  if (&dst == &tmp) y = std::move(tmp);
}

void CpuBackend::prelu(const Tensor& x, const Tensor& slope, Tensor& y) {
  const ScopedThreads scope(threads_);
  Shape out = broadcast_shape(x.shape, slope.shape);
  if (out != x.shape)
    fail(ErrorCode::kInvalidArgument, "PRelu slope " + shape_str(slope.shape) +
                                          " does not broadcast to input " + shape_str(x.shape));
  y.resize(out);
  const float* px = x.data();
  const float* ps = slope.data();
  float* py = y.data();
  for_broadcast(out, broadcast_strides(x.shape, out), broadcast_strides(slope.shape, out),
                [&](int64_t o, int64_t ia, int64_t ib) {
                  float v = px[ia];
                  py[o] = v < 0.f ? v * ps[ib] : v;
                });
}

void CpuBackend::channel_affine(const Tensor& x, const std::vector<float>& scale,
                                const std::vector<float>& shift, Tensor& y) {
  const ScopedThreads scope(threads_);
  y.resize(x.shape);
  const int64_t n = x.shape[0], c = x.shape[1];
  const int64_t inner = x.numel() / std::max<int64_t>(n * c, 1);
#pragma omp parallel for collapse(2) schedule(static) if (x.numel() > kParallelMin)
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* in = x.data() + (b * c + ch) * inner;
      float* out = y.data() + (b * c + ch) * inner;
      for (int64_t i = 0; i < inner; ++i) out[i] = in[i] * scale[ch] + shift[ch];
    }
}

void CpuBackend::softmax(const Tensor& x, int64_t axis, Tensor& y) {
  const ScopedThreads scope(threads_);
  y.resize(x.shape);
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= x.shape[k];
  for (int64_t k = axis + 1; k < x.rank(); ++k) inner *= x.shape[k];
  const int64_t n = x.shape[axis];
#pragma omp parallel for collapse(2) schedule(static) if (x.numel() > kParallelMin)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float* in = x.data() + o * n * inner + i;
      float* out = y.data() + o * n * inner + i;
      float m = in[0];
      for (int64_t c = 1; c < n; ++c) m = std::max(m, in[c * inner]);
      double s = 0;
      for (int64_t c = 0; c < n; ++c) {
        out[c * inner] = std::exp(in[c * inner] - m);
        s += out[c * inner];
      }
      const float inv = static_cast<float>(1.0 / s);
      for (int64_t c = 0; c < n; ++c) out[c * inner] *= inv;
    }
}

}  // namespace efq
