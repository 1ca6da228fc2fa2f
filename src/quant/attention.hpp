// The self-adaptive attention (METHOD.md §4): class weights from the FP prediction's class
// frequencies, w_k = (max n / n_k)^p, turned into one voxel-weight map per layer resolution.
#pragma once

#include <vector>

#include "core/tensor.hpp"
#include "infer/conventions.hpp"

namespace efq::quant {

struct AttentionOptions {
  double power = 0.5;
  bool faithful_pyramid = false;  // METHOD pyramid (init stride, then ×2 per level, 5 levels)
  std::vector<int64_t> init_stride = {1, 1, 1};
  int levels = 5;
  const Tensor* body = nullptr;   // optional [N,1,D,H,W] mask (nonzero = body); h = 1 outside
};

class Attention {
 public:
  /// `logits`: the FP network output [N, K, D, H, W] on the calibration crop.
  Attention(const Tensor& logits, Activation act, const AttentionOptions& opt);

  /// Voxel weights for a layer whose output has shape [N, C, d, h, w] (n-major, then d, h, w),
  /// or an empty vector when no map matches (faithful pyramid) — meaning h ≡ 1.
  std::vector<float> weights_for(const Shape& out_shape) const;

  const std::vector<double>& class_weights() const { return class_w_; }
  const std::vector<int64_t>& class_counts() const { return counts_; }

 private:
  std::vector<float> map_at(const Shape& spatial) const;
  Tensor logits_;
  Activation act_;
  AttentionOptions opt_;
  std::vector<double> class_w_;
  std::vector<int64_t> counts_;
};

/// Labels of a logits tensor per the METHOD's rules (softmax/none: argmax; sigmoid: 0, then
/// 1/2/3… where channel 0/1/2… is on, later channels win).
std::vector<int> predict_labels(const Tensor& logits, Activation act);

/// Average-pools [N, K, D, H, W] to the given spatial size (adaptive: each output voxel averages
/// its block floor(i·in/out) … ceil((i+1)·in/out)).
Tensor adaptive_avg_pool(const Tensor& x, const Shape& spatial);

}  // namespace efq::quant
