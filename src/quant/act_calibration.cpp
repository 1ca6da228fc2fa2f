// calibrate_activation (act_quantizers.hpp): the activation scale searches (ActScaleRule).
#include <cmath>
#include <cstdio>
#include <functional>

#include "core/activation_quant.hpp"
#include "core/error.hpp"
#include "infer/executor.hpp"
#include "quant/act_quantizers.hpp"

namespace efq::quant {

namespace {

// The layer's FP output error when its input is fake-quantized with `q` (the arithmetic of the
// EfqFakeQuant op, ops_quant.cpp), weighted by h (one weight per output position) when given.
double output_error(Backend& be, const Graph& g, const Node& layer, const Tensor& x,
                    const Tensor& y, const std::vector<float>& h, const Quantizer& q) {
  Tensor xq = Tensor::zeros(x.shape);
  const float sf = static_cast<float>(q.scale[0]);
  const double lo = static_cast<double>(q.qmin), hi = static_cast<double>(q.qmax);
  const int64_t n = x.numel();
  be.parallel_for(n, int64_t{1} << 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) xq.f[i] = activation_fake_quant(x.f[i], sf, 0.0, lo, hi);
  });
  const Tensor& w = g.values[layer.inputs[1]].data;
  const Tensor* b = layer.inputs.size() > 2 && layer.inputs[2] >= 0 ? &g.values[layer.inputs[2]].data : nullptr;
  const WindowParams wp = conv_window(g, layer, x.shape);
  Tensor out;
  int key = 0;  // a fresh cache key: the backend may keep the reordered weights under it
  if (layer.op == "ConvTranspose") be.conv_transpose(&key, wp, xq, w, b, out);
  else be.conv(&key, wp, xq, w, b, out);
  be.forget(&key);
  if (out.shape != y.shape) fail(ErrorCode::kInternal, layer.describe() + ": output shape mismatch in the activation search");
  const int64_t per = y.numel() / (y.shape[0] * y.shape[1]);
  double e = 0;
  for (int64_t bn = 0; bn < y.shape[0]; ++bn)
    for (int64_t c = 0; c < y.shape[1]; ++c) {
      const float* a = out.data() + (bn * y.shape[1] + c) * per;
      const float* t = y.data() + (bn * y.shape[1] + c) * per;
      for (int64_t v = 0; v < per; ++v) {
        const double d = static_cast<double>(a[v]) - t[v];
        e += (h.empty() ? 1.0 : static_cast<double>(h[bn * per + v])) * d * d;
      }
    }
  return e;
}

// The MSE-optimal scale `q` (already fitted), the min-max scale and three geometric steps
// between them; keeps in `q` the scale with the smallest error(scale). Returns the rule for the
// report: "als" when min-max is no wider, else "<kind>: als", "<kind>: minmax" or
// "<kind>: als*(minmax/als)^t".
std::string search_activation_scale(Backend& be, const Tensor& x, Quantizer& q,
                                    const std::string& kind,
                                    const std::function<double(double)>& error) {
  Quantizer mm = q;
  fit(be, mm, x.data(), 1, x.numel(), false, "minmax");
  const double s0 = q.scale[0], s1 = mm.scale[0];
  if (!(s1 > s0 * 1.0001)) return "als";
  double best_e = error(s0), best_s = s0, best_t = 0;
  for (double t : {0.25, 0.5, 0.75, 1.0}) {
    const double s = s0 * std::pow(s1 / s0, t);
    const double e = error(s);
    if (e < best_e) best_e = e, best_s = s, best_t = t;
  }
  q.scale[0] = best_s;
  if (best_t == 0) return kind + ": als";
  if (best_t == 1.0) return kind + ": minmax";
  char buf[64];
  std::snprintf(buf, sizeof buf, ": als*(minmax/als)^%.2f", best_t);
  return kind + buf;
}

// The network output's error, on the calibration crop, with the layers before this activation
// quantizer already quantized, the quantizer at scale `scale` and the rest of the network FP:
// the (attention-weighted) mean squared difference of its probabilities from the FP network's.
double network_error(Graph& g, Backend& be, const Tensor& calib, Node& fq, double scale,
                     const Tensor& fp_prob, const std::vector<float>& h, Activation act) {
  fq.attrs["scale"].f = static_cast<float>(scale);
  fq.attrs["zero_point"].i = 0;
  fq.attrs["calibrated"].i = 1;
  Executor ex(g, be);
  std::vector<Tensor> in{calib};
  const Tensor out = probabilities(be, std::move(ex.run(std::move(in)).at(0)), act);
  fq.attrs["calibrated"].i = 0;
  const int64_t n = out.shape[0], k = out.shape[1], per = out.numel() / (n * k);
  double e = 0;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t c = 0; c < k; ++c)
      for (int64_t v = 0; v < per; ++v) {
        const double d = out.f[(b * k + c) * per + v] - fp_prob.f[(b * k + c) * per + v];
        e += (h.empty() ? 1.0 : static_cast<double>(h[b * per + v])) * d * d;
      }
  return e;
}

}  // namespace

ActCalibration calibrate_activation(Graph& g, Backend& be, int fq_index, const Tensor& x,
                                    const LayerPlan& p, const FpReference& ref,
                                    const Tensor& calib, const Conventions& conv,
                                    const QuantOptions& opt) {
  Node& n = g.nodes[fq_index];
  Quantizer aq = Quantizer::for_activations(opt.grid, p.abits, p.act_signed);
  ActCalibration out;
  out.rule = opt.method == Method::kRtn ? "minmax" : "als";
  fit(be, aq, x.data(), 1, x.numel(), false, out.rule);
  if (opt.act_scale != ActScaleRule::kAls && opt.method == Method::kEfficientQ &&
      opt.grid != GridKind::kFaithful && aq.zero_point[0] == 0) {
    const Attention* att = ref.attention.get();
    if (opt.act_scale == ActScaleRule::kLayerError) {
      const Node& layer = g.nodes[fq_index + 1];
      const Tensor& y = ref.targets.at(layer.outputs[0]);
      std::vector<float> h;
      if (att) h = att->weights_for(y.shape);
      out.rule = search_activation_scale(be, x, aq, "layer", [&](double s) {
        Quantizer c = aq;
        c.scale[0] = s;
        return output_error(be, g, layer, x, y, h, c);
      });
    } else {
      std::vector<float> h;
      if (att) h = att->weights_for(ref.probabilities.shape);
      out.rule = search_activation_scale(be, x, aq, "network", [&](double s) {
        return network_error(g, be, calib, n, s, ref.probabilities, h, conv.activation);
      });
    }
  }
  n.attrs["scale"].f = static_cast<float>(aq.scale[0]);
  n.attrs["zero_point"].i = aq.zero_point[0];
  n.attrs["calibrated"].i = 1;
  out.scale = aq.scale[0];
  out.zero_point = aq.zero_point[0];
  return out;
}

}  // namespace efq::quant
