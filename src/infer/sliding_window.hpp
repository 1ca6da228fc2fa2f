// Sliding-window inference with MONAI's `sliding_window_inference` semantics (sw_batch_size 1,
// constant zero padding, sigma_scale 0.125): windows of the ROI size step by ROI·(1−overlap), the
// last window flush with the end; predictions are blended with a Gaussian or constant importance
// map. Network memory is bounded by the ROI; only the blended output covers the whole volume.
#pragma once

#include <functional>
#include <vector>

#include "core/tensor.hpp"

namespace efq {

struct SlidingWindowOptions {
  std::vector<int64_t> roi;  // D,H,W
  double overlap = 0.25;     // in [0, 1)
  bool gaussian = true;
  double sigma_scale = 0.125;
};

/// x: [1, C, D, H, W]. `net` maps a [1, C, rd, rh, rw] patch to [1, K, rd, rh, rw].
/// `on_window(done, total)` reports progress; returning false cancels (throws kCancelled).
Tensor sliding_window(const Tensor& x, const SlidingWindowOptions& opt,
                      const std::function<Tensor(Tensor&&)>& net,
                      const std::function<bool(int, int)>& on_window = {});

/// The importance map of one window ([rd*rh*rw], D slowest), exposed for tests.
std::vector<float> importance_map(const std::vector<int64_t>& roi, bool gaussian,
                                  double sigma_scale);

/// Window start positions along one axis (MONAI's dense_patch_slices).
std::vector<int64_t> window_starts(int64_t size, int64_t roi, double overlap);

}  // namespace efq
