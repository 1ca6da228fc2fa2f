#include "quant/attention.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace efq::quant {

std::vector<int> predict_labels(const Tensor& t, Activation act) {
  const int64_t n = t.shape[0], k = t.shape[1];
  const int64_t vox = t.numel() / std::max<int64_t>(n * k, 1);
  std::vector<int> labels(static_cast<size_t>(n * vox), 0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t v = 0; v < vox; ++v) {
      const float* p = t.data() + b * k * vox + v;
      int lab = 0;
      if (act == Activation::kSigmoid) {
        for (int64_t c = 0; c < k; ++c)
          if (p[c * vox] >= 0.f) lab = static_cast<int>(c + 1);  // sigmoid ≥ 0.5 ⇔ logit ≥ 0
      } else {
        for (int64_t c = 1; c < k; ++c)
          if (p[c * vox] > p[lab * vox]) lab = static_cast<int>(c);
      }
      labels[b * vox + v] = lab;
    }
  return labels;
}

Tensor adaptive_avg_pool(const Tensor& x, const Shape& sp) {
  const int64_t n = x.shape[0], k = x.shape[1];
  const int64_t in[3] = {x.shape[2], x.shape[3], x.shape[4]};
  Tensor y = Tensor::zeros({n, k, sp[0], sp[1], sp[2]});
  auto lo = [](int64_t i, int64_t a, int64_t b) { return i * a / b; };
  auto hi = [](int64_t i, int64_t a, int64_t b) { return ((i + 1) * a + b - 1) / b; };
  for (int64_t bc = 0; bc < n * k; ++bc)
    for (int64_t d = 0; d < sp[0]; ++d)
      for (int64_t h = 0; h < sp[1]; ++h)
        for (int64_t w = 0; w < sp[2]; ++w) {
          double s = 0;
          int64_t cnt = 0;
          for (int64_t a = lo(d, in[0], sp[0]); a < hi(d, in[0], sp[0]); ++a)
            for (int64_t b = lo(h, in[1], sp[1]); b < hi(h, in[1], sp[1]); ++b)
              for (int64_t c = lo(w, in[2], sp[2]); c < hi(w, in[2], sp[2]); ++c) {
                s += x.f[((bc * in[0] + a) * in[1] + b) * in[2] + c];
                ++cnt;
              }
          y.f[((bc * sp[0] + d) * sp[1] + h) * sp[2] + w] = static_cast<float>(s / std::max<int64_t>(cnt, 1));
        }
  return y;
}

Attention::Attention(const Tensor& logits, Activation act, const AttentionOptions& opt)
    : logits_(logits), act_(act), opt_(opt) {
  if (logits.rank() != 5)
    fail(ErrorCode::kUnsupported, "attention needs a 3-D segmentation output [N,K,D,H,W], got " +
                                      shape_str(logits.shape));
  const int64_t n = logits.shape[0], k = logits.shape[1];
  const int64_t vox = logits.numel() / (n * k);
  // Class counts on the full-resolution prediction, all-ones body (METHOD §4.1 / §10.5).
  if (act == Activation::kSigmoid) {
    counts_.assign(static_cast<size_t>(k + 1), 0);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t v = 0; v < vox; ++v) {
        bool any = false;
        for (int64_t c = 0; c < k; ++c)
          if (logits.f[(b * k + c) * vox + v] >= 0.f) {
            ++counts_[c + 1];
            any = true;
          }
        if (!any) ++counts_[0];
      }
  } else {
    counts_.assign(static_cast<size_t>(k), 0);
    for (int lab : predict_labels(logits, act)) ++counts_[lab];
  }
  const double mx = static_cast<double>(*std::max_element(counts_.begin(), counts_.end()));
  for (int64_t c : counts_)
    class_w_.push_back(c > 0 ? std::pow(mx / static_cast<double>(c), opt.power) : 1.0);
}

std::vector<float> Attention::map_at(const Shape& sp) const {
  Tensor pooled = (sp[0] == logits_.shape[2] && sp[1] == logits_.shape[3] && sp[2] == logits_.shape[4])
                      ? logits_
                      : adaptive_avg_pool(logits_, sp);
  std::vector<int> labels = predict_labels(pooled, act_);
  std::vector<float> h(labels.size());
  for (size_t v = 0; v < labels.size(); ++v) h[v] = static_cast<float>(class_w_.at(labels[v]));
  if (opt_.body) {
    // h = 1 outside the body (body max-pooled to this resolution: any body voxel in the block).
    Tensor body = adaptive_avg_pool(*opt_.body, sp);
    for (size_t v = 0; v < h.size(); ++v)
      if (body.f[v] <= 0.f) h[v] = 1.f;
  }
  return h;
}

std::vector<float> Attention::weights_for(const Shape& out) const {
  if (out.size() != 5) return {};
  const Shape sp{out[2], out[3], out[4]};
  if (!opt_.faithful_pyramid) return map_at(sp);
  // METHOD §4.2: pool by the init stride, then by 2 per level; first level whose shape matches.
  Shape level{logits_.shape[2] / opt_.init_stride[0], logits_.shape[3] / opt_.init_stride[1],
              logits_.shape[4] / opt_.init_stride[2]};
  for (int l = 0; l < opt_.levels; ++l) {
    if (level == sp) return map_at(sp);
    for (auto& d : level) d /= 2;
  }
  return {};
}

}  // namespace efq::quant
