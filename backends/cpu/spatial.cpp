// Resize, concatenation, instance normalization and mean reductions of the CPU backend.
#include <algorithm>
#include <cmath>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/resize_map.hpp"
#include "backends/cpu/threads.hpp"
#include "core/error.hpp"

namespace efq {

namespace {

// Below this many elements an OpenMP fork/join costs more than the work.
constexpr int64_t kParallelMin = 1 << 16;

double source_coord(const ResizeParams& p, int64_t xo, int64_t in, int64_t out, double scale) {
  switch (p.coord) {
    case ResizeCoord::kHalfPixel: return (xo + 0.5) / scale - 0.5;
    case ResizeCoord::kPytorchHalfPixel: return out > 1 ? (xo + 0.5) / scale - 0.5 : 0.0;
    case ResizeCoord::kAlignCorners:
      return out > 1 ? xo * static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
    case ResizeCoord::kAsymmetric: return xo / scale;
  }
  return 0.0;
}

}  // namespace

AxisMap axis_map(const ResizeParams& p, int64_t in, int64_t out, double scale) {
  AxisMap m;
  m.i0.resize(out);
  m.i1.resize(out);
  m.w1.resize(out);
  for (int64_t xo = 0; xo < out; ++xo) {
    double xi = source_coord(p, xo, in, out, scale);
    if (p.mode == ResizeMode::kLinear) {
      xi = std::min(std::max(xi, 0.0), static_cast<double>(in - 1));
      int64_t f = static_cast<int64_t>(std::floor(xi));
      m.i0[xo] = f;
      m.i1[xo] = std::min(f + 1, in - 1);
      m.w1[xo] = static_cast<float>(xi - f);
    } else {
      double r;
      switch (p.nearest) {
        case ResizeNearest::kRoundPreferFloor:
          r = (xi - std::floor(xi) == 0.5) ? std::floor(xi) : std::round(xi);
          break;
        case ResizeNearest::kRoundPreferCeil:
          r = (xi - std::floor(xi) == 0.5) ? std::ceil(xi) : std::round(xi);
          break;
        case ResizeNearest::kFloor: r = std::floor(xi); break;
        default: r = std::ceil(xi); break;
      }
      m.i0[xo] = std::min(std::max<int64_t>(static_cast<int64_t>(r), 0), in - 1);
      m.i1[xo] = m.i0[xo];
      m.w1[xo] = 0.f;
    }
  }
  return m;
}

void CpuBackend::resize(const ResizeParams& p, const Tensor& x, const Shape& out_shape,
                        Tensor& y) {
  const ScopedThreads scope(threads_);
  const int64_t r = x.rank();
  if (r < 3 || r > 5 || static_cast<int64_t>(out_shape.size()) != r)
    fail(ErrorCode::kUnsupported, "Resize of a rank-" + std::to_string(r) + " tensor");
  if (out_shape[0] != x.shape[0] || out_shape[1] != x.shape[1])
    fail(ErrorCode::kUnsupported, "Resize that changes the batch or channel axis");
  y.resize(out_shape);
  // View as [NC, D, H, W] with missing spatial axes of size 1.
  int64_t in3[3] = {1, 1, 1}, out3[3] = {1, 1, 1};
  double sc3[3] = {1, 1, 1};
  for (int64_t k = 2; k < r; ++k) {
    in3[k - 2 + (5 - r)] = x.shape[k];
    out3[k - 2 + (5 - r)] = out_shape[k];
    sc3[k - 2 + (5 - r)] = p.scales[k];
  }
  AxisMap md = axis_map(p, in3[0], out3[0], sc3[0]);
  AxisMap mh = axis_map(p, in3[1], out3[1], sc3[1]);
  AxisMap mw = axis_map(p, in3[2], out3[2], sc3[2]);
  const int64_t nc = x.shape[0] * x.shape[1];
  const int64_t in_vol = in3[0] * in3[1] * in3[2], out_vol = out3[0] * out3[1] * out3[2];
  const bool linear = p.mode == ResizeMode::kLinear;
#pragma omp parallel for collapse(2) schedule(static) if (y.numel() > kParallelMin)
  for (int64_t c = 0; c < nc; ++c)
    for (int64_t d = 0; d < out3[0]; ++d) {
      const float* src = x.data() + c * in_vol;
      float* dst = y.data() + c * out_vol + d * out3[1] * out3[2];
      const float wd = md.w1[d];
      const float* s0 = src + md.i0[d] * in3[1] * in3[2];
      const float* s1 = src + md.i1[d] * in3[1] * in3[2];
      for (int64_t h = 0; h < out3[1]; ++h) {
        const float wh = mh.w1[h];
        const int64_t h0 = mh.i0[h] * in3[2], h1 = mh.i1[h] * in3[2];
        for (int64_t w = 0; w < out3[2]; ++w) {
          const int64_t w0 = mw.i0[w], w1i = mw.i1[w];
          if (!linear) {
            dst[h * out3[2] + w] = s0[h0 + w0];
            continue;
          }
          const float ww = mw.w1[w];
          auto lerp = [&](const float* s, int64_t hh) {
            return s[hh + w0] * (1.f - ww) + s[hh + w1i] * ww;
          };
          float a = lerp(s0, h0) * (1.f - wh) + lerp(s0, h1) * wh;
          float b = lerp(s1, h0) * (1.f - wh) + lerp(s1, h1) * wh;
          dst[h * out3[2] + w] = a * (1.f - wd) + b * wd;
        }
      }
    }
}

void CpuBackend::concat(const std::vector<const Tensor*>& xs, int64_t axis, Tensor& y) {
  const ScopedThreads scope(threads_);
  Shape out = xs.at(0)->shape;
  out[axis] = 0;
  for (const Tensor* t : xs) {
    if (t->rank() != static_cast<int64_t>(out.size()))
      fail(ErrorCode::kInvalidArgument, "Concat inputs of different rank");
    for (int64_t k = 0; k < t->rank(); ++k)
      if (k != axis && t->shape[k] != out[k])
        fail(ErrorCode::kInvalidArgument, "Concat inputs " + shape_str(xs[0]->shape) + " and " +
                                              shape_str(t->shape) + " differ off the axis");
    out[axis] += t->shape[axis];
  }
  y.resize(out);
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= out[k];
  for (size_t k = axis + 1; k < out.size(); ++k) inner *= out[k];
  const int64_t row = out[axis] * inner;
  int64_t off = 0;
  for (const Tensor* t : xs) {
    const int64_t chunk = t->shape[axis] * inner;
#pragma omp parallel for schedule(static) if (y.numel() > kParallelMin)
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(t->data() + o * chunk, chunk, y.data() + o * row + off);
    off += chunk;
  }
}

void CpuBackend::instance_norm(const Tensor& x, const Tensor& scale, const Tensor& bias, float eps,
                               Tensor& y) {
  const ScopedThreads scope(threads_);
  y.resize(x.shape);
  const int64_t n = x.shape[0], c = x.shape[1];
  const int64_t inner = x.numel() / std::max<int64_t>(n * c, 1);
#pragma omp parallel for collapse(2) schedule(static) if (x.numel() > kParallelMin)
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* in = x.data() + (b * c + ch) * inner;
      float* out = y.data() + (b * c + ch) * inner;
      double s = 0;
      for (int64_t i = 0; i < inner; ++i) s += in[i];
      const double mean = s / inner;
      double v = 0;
      for (int64_t i = 0; i < inner; ++i) v += (in[i] - mean) * (in[i] - mean);
      const double inv = 1.0 / std::sqrt(v / inner + eps);
      const float a = static_cast<float>(scale.f[ch] * inv);
      const float sh = static_cast<float>(bias.f[ch] - mean * scale.f[ch] * inv);
      for (int64_t i = 0; i < inner; ++i) out[i] = in[i] * a + sh;
    }
}

void CpuBackend::reduce_mean(const Tensor& x, const std::vector<int64_t>& axes, Tensor& y) {
  const ScopedThreads scope(threads_);
  Shape out = x.shape;
  std::vector<bool> red(x.shape.size(), false);
  for (int64_t a : axes) {
    red[a] = true;
    out[a] = 1;
  }
  y = Tensor::zeros(out);
  std::vector<double> acc(static_cast<size_t>(y.numel()), 0.0);
  const int64_t n = x.numel();
  const size_t r = x.shape.size();
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (size_t k = 0; k < r; ++k) o = o * out[k] + (red[k] ? 0 : idx[k]);
    acc[o] += x.f[i];
    for (size_t k = r; k-- > 0;) {
      if (++idx[k] < x.shape[k]) break;
      idx[k] = 0;
    }
  }
  const double cnt = static_cast<double>(n) / std::max<int64_t>(y.numel(), 1);
  for (size_t o = 0; o < acc.size(); ++o) y.f[o] = static_cast<float>(acc[o] / cnt);
}

}  // namespace efq
