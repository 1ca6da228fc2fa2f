#include "infer/sliding_window.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace efq {

std::vector<float> importance_map(const std::vector<int64_t>& roi, bool gaussian,
                                  double sigma_scale) {
  const int64_t n = roi[0] * roi[1] * roi[2];
  std::vector<float> map(static_cast<size_t>(n), 1.f);
  if (!gaussian) return map;
  std::vector<float> g[3];
  for (int d = 0; d < 3; ++d) {
    const float sigma = static_cast<float>(roi[d] * sigma_scale);
    for (int64_t k = 0; k < roi[d]; ++k) {
      const float x = -(roi[d] - 1) / 2.0f + static_cast<float>(k);
      g[d].push_back(std::exp(x * x / (-2.f * sigma * sigma)));
    }
  }
  float mn = INFINITY;
  for (int64_t a = 0; a < roi[0]; ++a)
    for (int64_t b = 0; b < roi[1]; ++b)
      for (int64_t c = 0; c < roi[2]; ++c) {
        float v = g[0][a] * g[1][b] * g[2][c];
        map[(a * roi[1] + b) * roi[2] + c] = v;
        mn = std::min(mn, v);
      }
  const float floor_v = std::max(mn, 1e-3f);
  for (float& v : map) v = std::max(v, floor_v);
  return map;
}

std::vector<int64_t> window_starts(int64_t size, int64_t roi, double overlap) {
  int64_t interval = roi;
  if (roi != size) interval = std::max<int64_t>(static_cast<int64_t>(roi * (1.0 - overlap)), 1);
  const int64_t num = (size + interval - 1) / interval;
  int64_t scan = 1;
  for (int64_t d = 0; d < num; ++d)
    if (d * interval + roi >= size) {
      scan = d + 1;
      break;
    }
  std::vector<int64_t> starts;
  for (int64_t k = 0; k < scan; ++k) {
    int64_t s = k * interval;
    s -= std::max<int64_t>(s + roi - size, 0);
    starts.push_back(s);
  }
  return starts;
}

Tensor sliding_window(const Tensor& x, const SlidingWindowOptions& opt,
                      const std::function<Tensor(Tensor&&)>& net,
                      const std::function<bool(int, int)>& on_window) {
  if (x.rank() != 5 || x.shape[0] != 1)
    fail(ErrorCode::kInvalidArgument, "sliding window needs a [1,C,D,H,W] input, got " +
                                          shape_str(x.shape));
  if (opt.roi.size() != 3)
    fail(ErrorCode::kInvalidArgument, "the ROI must have 3 sizes (D,H,W)");
  for (int64_t r : opt.roi)
    if (r < 1 || r > 4096) fail(ErrorCode::kInvalidArgument, "ROI " + shape_str(opt.roi) +
                                                                 " out of range");
  if (!(opt.overlap >= 0.0 && opt.overlap < 1.0))
    fail(ErrorCode::kInvalidArgument, "overlap must lie in [0, 1)");
  const int64_t C = x.shape[1];
  int64_t size[3], pad_lo[3];
  for (int d = 0; d < 3; ++d) {
    const int64_t diff = std::max<int64_t>(opt.roi[d] - x.shape[2 + d], 0);
    pad_lo[d] = diff / 2;
    size[d] = x.shape[2 + d] + diff;
  }
  std::vector<int64_t> starts[3];
  for (int d = 0; d < 3; ++d) starts[d] = window_starts(size[d], opt.roi[d], opt.overlap);
  const std::vector<float> imp = importance_map(opt.roi, opt.gaussian, opt.sigma_scale);
  const int64_t rd = opt.roi[0], rh = opt.roi[1], rw = opt.roi[2];
  const int64_t pvol = size[0] * size[1] * size[2];
  Tensor acc;          // [K, padded volume]
  std::vector<float> wsum(static_cast<size_t>(pvol), 0.f);
  int64_t K = -1;
  const int total = static_cast<int>(starts[0].size() * starts[1].size() * starts[2].size());
  int done = 0;
  Tensor patch = Tensor::zeros({1, C, rd, rh, rw});
  for (int64_t s0 : starts[0])
    for (int64_t s1 : starts[1])
      for (int64_t s2 : starts[2]) {
        // Gather the patch from the (virtually zero-padded) input.
        patch.resize({1, C, rd, rh, rw});
        for (int64_t c = 0; c < C; ++c)
          for (int64_t a = 0; a < rd; ++a)
            for (int64_t b = 0; b < rh; ++b) {
              float* dst = patch.data() + ((c * rd + a) * rh + b) * rw;
              const int64_t za = s0 + a - pad_lo[0], zb = s1 + b - pad_lo[1];
              const bool in_ab = za >= 0 && za < x.shape[2] && zb >= 0 && zb < x.shape[3];
              for (int64_t k = 0; k < rw; ++k) {
                const int64_t zc = s2 + k - pad_lo[2];
                dst[k] = (in_ab && zc >= 0 && zc < x.shape[4])
                             ? x.f[((c * x.shape[2] + za) * x.shape[3] + zb) * x.shape[4] + zc]
                             : 0.f;
              }
            }
        Tensor y = net(std::move(patch));
        if (y.rank() != 5 || y.shape[0] != 1 || y.shape[2] != rd || y.shape[3] != rh ||
            y.shape[4] != rw)
          fail(ErrorCode::kUnsupported,
               "the network maps a " + shape_str({1, C, rd, rh, rw}) + " window to " +
                   shape_str(y.shape) + "; sliding-window inference needs the same spatial size");
        if (K < 0) {
          K = y.shape[1];
          acc = Tensor::zeros({K, pvol});
        }
        for (int64_t a = 0; a < rd; ++a)
          for (int64_t b = 0; b < rh; ++b) {
            const int64_t row = ((s0 + a) * size[1] + (s1 + b)) * size[2] + s2;
            const float* w = imp.data() + (a * rh + b) * rw;
            for (int64_t k = 0; k < rw; ++k) wsum[row + k] += w[k];
            for (int64_t c = 0; c < K; ++c) {
              const float* src = y.data() + ((c * rd + a) * rh + b) * rw;
              float* dst = acc.data() + c * pvol + row;
              for (int64_t k = 0; k < rw; ++k) dst[k] += w[k] * src[k];
            }
          }
        patch = Tensor();
        ++done;
        if (on_window && !on_window(done, total))
          fail(ErrorCode::kCancelled, "inference cancelled");
      }
  // Normalise and crop the padding away.
  Tensor out = Tensor::zeros({1, K, x.shape[2], x.shape[3], x.shape[4]});
  for (int64_t c = 0; c < K; ++c)
    for (int64_t a = 0; a < x.shape[2]; ++a)
      for (int64_t b = 0; b < x.shape[3]; ++b) {
        const int64_t row = ((a + pad_lo[0]) * size[1] + (b + pad_lo[1])) * size[2] + pad_lo[2];
        float* dst = out.data() + ((c * x.shape[2] + a) * x.shape[3] + b) * x.shape[4];
        const float* src = acc.data() + c * pvol + row;
        for (int64_t k = 0; k < x.shape[4]; ++k) dst[k] = src[k] / wsum[row + k];
      }
  return out;
}

}  // namespace efq
