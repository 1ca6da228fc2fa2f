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

// The layer's FP output error when its input is fake-quantized (the arithmetic of the
// EfqFakeQuant op, ops_quant.cpp), weighted by h (one weight per output position) when given.
// One probe per layer serves every candidate scale: the quantized input and the output buffers
// are allocated once (first-touch page faults are expensive), and the backend keeps the layer's
// reordered weights under the probe's key until it is destroyed.
class LayerErrorProbe {
 public:
  LayerErrorProbe(Backend& be, const Graph& g, const Node& layer, const Tensor& x, const Tensor& y,
                  const std::vector<float>& h)
      : be_(be), g_(g), layer_(layer), x_(x), y_(y), h_(h), wp_(conv_window(g, layer, x.shape)) {
    xq_.resize(x.shape);
  }
  ~LayerErrorProbe() { be_.forget(&key_); }
  LayerErrorProbe(const LayerErrorProbe&) = delete;
  LayerErrorProbe& operator=(const LayerErrorProbe&) = delete;

  double operator()(const Quantizer& q) {
    const float sf = static_cast<float>(q.scale[0]);
    const double lo = static_cast<double>(q.qmin), hi = static_cast<double>(q.qmax);
    be_.parallel_for(x_.numel(), int64_t{1} << 16, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) xq_.f[i] = activation_fake_quant(x_.f[i], sf, 0.0, lo, hi);
    });
    const Tensor& w = g_.values[layer_.inputs[1]].data;
    const Tensor* b = layer_.inputs.size() > 2 && layer_.inputs[2] >= 0 ? &g_.values[layer_.inputs[2]].data : nullptr;
    if (layer_.op == "ConvTranspose") be_.conv_transpose(&key_, wp_, xq_, w, b, out_);
    else be_.conv(&key_, wp_, xq_, w, b, out_);
    if (out_.shape != y_.shape)
      fail(ErrorCode::kInternal, layer_.describe() + ": output shape mismatch in the activation search");
    // Σ h·(out − y)² in fixed chunks of one (batch, channel) plane each, summed in order: the
    // same number whatever the thread count.
    const int64_t per = y_.numel() / (y_.shape[0] * y_.shape[1]), planes = y_.shape[0] * y_.shape[1];
    std::vector<double> part(static_cast<size_t>(planes), 0.0);
    be_.parallel_for(planes, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t pl = p0; pl < p1; ++pl) {
        const int64_t bn = pl / y_.shape[1];
        const float* a = out_.data() + pl * per;
        const float* t = y_.data() + pl * per;
        double e = 0;
        for (int64_t v = 0; v < per; ++v) {
          const double d = static_cast<double>(a[v]) - t[v];
          e += (h_.empty() ? 1.0 : static_cast<double>(h_[bn * per + v])) * d * d;
        }
        part[pl] = e;
      }
    });
    double e = 0;
    for (double v : part) e += v;
    return e;
  }

 private:
  Backend& be_;
  const Graph& g_;
  const Node& layer_;
  const Tensor &x_, &y_;
  const std::vector<float>& h_;
  const WindowParams wp_;
  Tensor xq_, out_;
  int key_ = 0;  // the backend's cache key for this probe's weights
};

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
      LayerErrorProbe probe(be, g, layer, x, y, h);
      out.rule = search_activation_scale(be, x, aq, "layer", [&](double s) {
        Quantizer c = aq;
        c.scale[0] = s;
        return probe(c);
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
