#include "quant/driver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "core/activation_quant.hpp"
#include "core/error.hpp"
#include "infer/executor.hpp"
#include "quant/attention.hpp"
#include "quant/layer_problem.hpp"
#include "quant/solver.hpp"

namespace efq::quant {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int producer_of(const Graph& g, int value) {
  for (size_t k = 0; k < g.nodes.size(); ++k)
    for (int o : g.nodes[k].outputs)
      if (o == value) return static_cast<int>(k);
  return -1;
}

// Channels [c0, c0 + count) of an [N, C, spatial...] tensor.
Tensor slice_channels(const Tensor& t, int64_t c0, int64_t count) {
  Shape s = t.shape;
  s[1] = count;
  Tensor r = Tensor::zeros(s);
  const int64_t inner = t.numel() / (t.shape[0] * t.shape[1]);
  for (int64_t b = 0; b < t.shape[0]; ++b)
    std::copy(t.f.begin() + (b * t.shape[1] + c0) * inner, t.f.begin() + (b * t.shape[1] + c0 + count) * inner,
              r.f.begin() + b * count * inner);
  return r;
}

// The layer's FP output error when its input is fake-quantized with `q` (the arithmetic of the
// EfqFakeQuant op, ops_quant.cpp), weighted by h (one weight per output position) when given.
double output_error(Backend& be, const Graph& g, const Node& layer, const Tensor& x,
                    const Tensor& y, const std::vector<float>& h, const Quantizer& q) {
  Tensor xq = Tensor::zeros(x.shape);
  const float sf = static_cast<float>(q.scale[0]);
  const double lo = static_cast<double>(q.qmin), hi = static_cast<double>(q.qmax);
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) xq.f[i] = activation_fake_quant(x.f[i], sf, 0.0, lo, hi);
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

// The activation scale searches (ActScaleRule): the MSE-optimal scale `q` (already fitted), the
// min-max scale and three geometric steps between them; keeps in `q` the scale with the smallest
// error(scale). Returns the rule for the report: "als" when min-max is no wider, else
// "<kind>: als", "<kind>: minmax" or "<kind>: als*(minmax/als)^t".
std::string search_activation_scale(const Tensor& x, Quantizer& q, const std::string& kind,
                                    const std::function<double(double)>& error) {
  Quantizer mm = q;
  fit(mm, x.data(), 1, x.numel(), false, "minmax");
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

// Probabilities of a network output [N, K, spatial...] (softmax over K, sigmoid, or as is),
// by the backend's own ops as segmentation applies them.
Tensor probabilities(Backend& be, Tensor y, Activation act) {
  if (act == Activation::kSoftmax) be.softmax(y, 1, y);
  if (act == Activation::kSigmoid) be.unary(UnaryKind::kSigmoid, 0, 0, y, y);
  return y;
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

struct LayerPlan {
  int node = -1;
  bool skip = false;
  int wbits = 0, abits = 0;
  bool act_signed = false;
};

}  // namespace

bool is_nonnegative(const Graph& g, int value) {
  if (value < 0) return false;
  const Value& v = g.values[value];
  if (v.constant) {
    for (float x : v.data.f)
      if (x < 0) return false;
    return true;
  }
  const int p = producer_of(g, value);
  if (p < 0) return false;  // a graph input: images can be negative after normalization
  const Node& n = g.nodes[p];
  static const std::set<std::string> kNonneg = {"Relu", "Sigmoid", "Softmax", "Abs", "Exp"};
  static const std::set<std::string> kPreserve = {"MaxPool", "AveragePool", "GlobalAveragePool",
                                                  "Resize", "Upsample", "Identity", "Dropout",
                                                  "Reshape", "Transpose", "Flatten", "Squeeze",
                                                  "Unsqueeze"};
  if (kNonneg.count(n.op)) return true;
  if (n.op == "Clip") {
    if (n.inputs.size() > 1 && n.inputs[1] >= 0 && g.values[n.inputs[1]].constant)
      return g.values[n.inputs[1]].data.f.at(0) >= 0;
    return n.attr_float("min", -1.f) >= 0;
  }
  if (n.op == "EfqFakeQuant") return n.attr_int("qmin", -1) >= 0 && n.attr_int("zero_point", 0) == 0;
  if (kPreserve.count(n.op)) return is_nonnegative(g, n.inputs.at(0));
  if (n.op == "Concat" || n.op == "Add" || n.op == "Max") {
    for (int in : n.inputs)
      if (!is_nonnegative(g, in)) return false;
    return true;
  }
  return false;
}

std::vector<int64_t> default_calibration_crop(const Shape& s) {
  std::vector<int64_t> c;
  for (int64_t d : s) {
    int64_t v = std::min<int64_t>(d, 192) / 64 * 64;  // METHOD §1.4
    if (v == 0) v = d >= 16 ? d / 16 * 16 : d;        // small volumes: keep pooling-friendly
    c.push_back(v);
  }
  return c;
}

Tensor center_crop(const Tensor& x, const std::vector<int64_t>& crop) {
  const int64_t n = x.shape[0], c = x.shape[1];
  Tensor y = Tensor::zeros({n, c, crop[0], crop[1], crop[2]});
  int64_t off[3];
  for (int d = 0; d < 3; ++d) off[d] = (x.shape[2 + d] - crop[d]) / 2;  // negative: pad
  for (int64_t bc = 0; bc < n * c; ++bc)
    for (int64_t a = 0; a < crop[0]; ++a)
      for (int64_t b = 0; b < crop[1]; ++b)
        for (int64_t e = 0; e < crop[2]; ++e) {
          const int64_t za = a + off[0], zb = b + off[1], ze = e + off[2];
          if (za < 0 || zb < 0 || ze < 0 || za >= x.shape[2] || zb >= x.shape[3] || ze >= x.shape[4])
            continue;
          y.f[((bc * crop[0] + a) * crop[1] + b) * crop[2] + e] =
              x.f[((bc * x.shape[2] + za) * x.shape[3] + zb) * x.shape[4] + ze];
        }
  return y;
}

QuantResult quantize_graph(Graph& g, Backend& be, const Tensor& calib, const Tensor* body,
                           const Conventions& conv, const QuantOptions& opt,
                           const QuantProgress& progress) {
  const auto t_start = Clock::now();
  QuantResult res;
  res.calibration_shape = calib.shape;
  const std::vector<int> qnodes = quantizable_nodes(g);
  if (qnodes.empty()) fail(ErrorCode::kUnsupported, "the model has no quantizable layer");
  for (const auto& kv : opt.overrides) {
    bool found = false;
    for (int k : qnodes) found |= g.nodes[k].name == kv.first;
    if (!found) fail(ErrorCode::kInvalidArgument, "--layer: no quantizable layer named '" + kv.first + "'");
  }

  // Plan: bits per layer (first/last W8 with FP input; overrides win).
  std::vector<LayerPlan> plan;
  for (size_t i = 0; i < qnodes.size(); ++i) {
    LayerPlan p;
    p.node = qnodes[i];
    const bool edge = opt.first_last_8bit && (i == 0 || i + 1 == qnodes.size());
    p.wbits = edge ? 8 : opt.wbits;
    p.abits = edge ? 0 : opt.abits;
    auto it = opt.overrides.find(g.nodes[p.node].name);
    if (it != opt.overrides.end()) {
      p.skip = it->second.skip;
      if (it->second.wbits >= 0) p.wbits = it->second.wbits;
      if (it->second.abits >= 0) p.abits = it->second.abits;
    }
    p.act_signed = !is_nonnegative(g, g.nodes[p.node].inputs[0]);
    plan.push_back(p);
  }

  // 1. FP pass: the targets Y of every layer and the network output.
  std::map<int, Tensor> targets;  // by output value id
  std::set<int> wanted;
  for (const auto& p : plan) wanted.insert(g.nodes[p.node].outputs[0]);
  Tensor logits;
  {
    const auto t0 = Clock::now();
    Executor ex(g, be);
    ex.observer = [&](int node, const Tensor& out) {
      const int v = g.nodes[node].outputs[0];
      if (wanted.count(v)) targets[v] = out;
    };
    std::vector<Tensor> in{calib};
    logits = std::move(ex.run(std::move(in)).at(0));
    res.seconds_fp = since(t0);
  }
  AttentionOptions aopt;
  aopt.faithful_pyramid = opt.faithful_pyramid;
  aopt.body = body;
  {
    const Node& first = g.nodes[qnodes.front()];
    auto st = first.attr_ints("strides", {1, 1, 1});
    if (st.size() == 3) aopt.init_stride = st;
  }
  Tensor fp_prob;  // the FP network's probabilities, for ActScaleRule::kNetworkError
  if (opt.act_scale == ActScaleRule::kNetworkError) fp_prob = probabilities(be, logits, conv.activation);
  std::unique_ptr<Attention> att;
  if (opt.attention && opt.method == Method::kEfficientQ) {
    att = std::make_unique<Attention>(logits, conv.activation, aopt);
    res.class_counts = att->class_counts();
    res.class_weights = att->class_weights();
  }

  // 2. Insert activation fake-quant nodes before every layer that quantizes its input.
  {
    std::vector<Node> nodes;
    for (size_t k = 0; k < g.nodes.size(); ++k) {
      auto it = std::find_if(plan.begin(), plan.end(), [&](const LayerPlan& p) { return p.node == static_cast<int>(k); });
      if (it != plan.end() && !it->skip && it->abits > 0) {
        Quantizer aq = Quantizer::for_activations(opt.grid, it->abits, it->act_signed);
        Node fq;
        fq.op = "EfqFakeQuant";
        fq.name = g.nodes[k].name + "/input_quant";
        fq.inputs = {g.nodes[k].inputs[0]};
        const int out = g.add_value(fq.name + ":0");
        fq.outputs = {out};
        Attribute a;
        a.kind = Attribute::Kind::kInt;
        a.i = 0;
        fq.attrs["calibrated"] = a;
        a.i = aq.qmin;
        fq.attrs["qmin"] = a;
        a.i = aq.qmax;
        fq.attrs["qmax"] = a;
        a.i = 0;
        fq.attrs["zero_point"] = a;
        a.i = it->abits;
        fq.attrs["bits"] = a;
        Attribute f;
        f.kind = Attribute::Kind::kFloat;
        f.f = 1.f;
        fq.attrs["scale"] = f;
        nodes.push_back(fq);
        g.nodes[k].inputs[0] = out;
      }
      nodes.push_back(g.nodes[k]);
    }
    g.nodes = std::move(nodes);
  }
  // Node indices moved: re-locate the layers by name.
  std::map<std::string, size_t> plan_by_name;
  {
    size_t i = 0;
    for (size_t k = 0; k < g.nodes.size(); ++k)
      if ((g.nodes[k].op == "Conv" || g.nodes[k].op == "ConvTranspose") && i < plan.size() &&
          g.nodes[k].inputs.size() >= 2 && g.values[g.nodes[k].inputs[1]].constant) {
        plan[i].node = static_cast<int>(k);
        plan_by_name[g.nodes[k].name] = i;
        ++i;
      }
  }

  // 3. The quantizing pass.
  res.layers.resize(plan.size());
  const int nlayers = static_cast<int>(plan.size());
  Executor ex(g, be);
  ex.before = [&](int k, const std::vector<const Tensor*>& in) {
    Node& n = g.nodes[k];
    if (n.op == "EfqFakeQuant") {
      const size_t li = plan_by_name.at(g.nodes[k + 1].name);
      const LayerPlan& p = plan[li];
      Quantizer aq = Quantizer::for_activations(opt.grid, p.abits, p.act_signed);
      const Tensor& x = *in.at(0);
      const std::string rule = opt.method == Method::kRtn ? "minmax" : "als";
      fit(aq, x.data(), 1, x.numel(), false, rule);
      res.layers[li].act_scale_rule = rule;
      if (opt.act_scale != ActScaleRule::kAls && opt.method == Method::kEfficientQ &&
          opt.grid != GridKind::kFaithful && aq.zero_point[0] == 0) {
        if (opt.act_scale == ActScaleRule::kLayerError) {
          const Node& layer = g.nodes[k + 1];
          const Tensor& y = targets.at(layer.outputs[0]);
          std::vector<float> h;
          if (att) h = att->weights_for(y.shape);
          res.layers[li].act_scale_rule =
              search_activation_scale(x, aq, "layer", [&](double s) {
                Quantizer c = aq;
                c.scale[0] = s;
                return output_error(be, g, layer, x, y, h, c);
              });
        } else {
          std::vector<float> h;
          if (att) h = att->weights_for(fp_prob.shape);
          res.layers[li].act_scale_rule =
              search_activation_scale(x, aq, "network", [&](double s) {
                return network_error(g, be, calib, n, s, fp_prob, h, conv.activation);
              });
        }
      }
      n.attrs["scale"].f = static_cast<float>(aq.scale[0]);
      n.attrs["zero_point"].i = aq.zero_point[0];
      n.attrs["calibrated"].i = 1;
      res.layers[li].act_scale = aq.scale[0];
      res.layers[li].act_zero_point = aq.zero_point[0];
      return;
    }
    auto pit = plan_by_name.find(n.name);
    if (pit == plan_by_name.end() || plan[pit->second].node != k) return;
    const size_t li = pit->second;
    const LayerPlan& p = plan[li];
    LayerReport& rep = res.layers[li];
    const auto t0 = Clock::now();
    rep.name = n.name;
    rep.op = n.op;
    const Tensor w = g.values[n.inputs[1]].data;  // a copy: add_value() below may reallocate
    rep.weight_shape = w.shape;
    rep.skipped = p.skip;
    rep.wbits = p.skip ? 32 : p.wbits;
    rep.abits = p.skip ? 0 : p.abits;
    rep.act_signed = p.act_signed;
    rep.grid = to_string(opt.grid);
    if (progress && !progress(static_cast<int>(li), nlayers, n.name, -1, 0))
      fail(ErrorCode::kCancelled, "quantization cancelled");
    if (p.skip) {
      rep.solver = "skipped (FP32)";
      return;
    }
    const Tensor& x = *in.at(0);
    const Tensor& y = targets.at(n.outputs[0]);
    rep.output_shape = y.shape;
    const bool transposed = n.op == "ConvTranspose";
    const int64_t group = n.attr_int("group", 1);
    const int64_t c2 = transposed ? w.shape[1] * group : w.shape[0];
    // Solver layout: one row per output channel. ConvTranspose stores [C_in, C_out, k...]:
    // transpose it to [C_out, C_in·k] (and back when writing the layer).
    const int64_t ksz = w.numel() / (w.shape[0] * w.shape[1]);
    const int64_t cin = w.shape[0];
    auto to_rows = [&](const std::vector<float>& v) {
      if (!transposed || group != 1) return v;
      std::vector<float> r(v.size());
      for (int64_t c = 0; c < cin; ++c)
        for (int64_t o = 0; o < c2; ++o)
          for (int64_t t = 0; t < ksz; ++t) r[(o * cin + c) * ksz + t] = v[(c * c2 + o) * ksz + t];
      return r;
    };
    auto from_rows = [&](const auto& r) {
      auto v = r;
      if (!transposed || group != 1) return v;
      for (int64_t c = 0; c < cin; ++c)
        for (int64_t o = 0; o < c2; ++o)
          for (int64_t t = 0; t < ksz; ++t) v[(c * c2 + o) * ksz + t] = r[(o * cin + c) * ksz + t];
      return v;
    };
    std::vector<float> w0 = to_rows(w.f);
    std::vector<float> b0(static_cast<size_t>(c2), 0.f);
    if (n.inputs.size() >= 3 && n.inputs[2] >= 0) b0 = g.values[n.inputs[2]].data.f;
    Quantizer wq = Quantizer::for_weights(opt.grid, p.wbits);
    const bool per_channel = opt.per_channel;
    LayerSolution sol;
    const bool gram_ok = group == 1 && x.rank() >= 3;
    // Grouped convolutions (non-transposed, per-channel scales): each group is an independent
    // layer-wise problem on its own input and output channels.
    const bool grouped_ok = group > 1 && !transposed && per_channel && x.rank() >= 3 &&
                            x.shape[1] % group == 0 && c2 % group == 0;
    if (grouped_ok) {
      const int64_t cig = x.shape[1] / group, cog = c2 / group;
      const int64_t k = static_cast<int64_t>(w0.size()) / c2;
      WindowParams wp = conv_window(g, n, x.shape);
      wp.group = 1;
      std::vector<float> h;
      if (att) h = att->weights_for(y.shape);
      sol.quantizer = wq;
      sol.quantizer.scale.clear();
      sol.quantizer.zero_point.clear();
      sol.weights.resize(w0.size());
      sol.codes.resize(w0.size());
      sol.bias.resize(static_cast<size_t>(c2));
      int kept_projection = 0;
      for (int64_t gi = 0; gi < group; ++gi) {
        const auto w_begin = w0.begin() + gi * cog * k;
        LayerProblem problem(wp, cog, std::vector<float>(w_begin, w_begin + cog * k),
                             std::vector<float>(b0.begin() + gi * cog, b0.begin() + (gi + 1) * cog),
                             !h.empty() && opt.select_unweighted);
        problem.add(be, slice_channels(x, gi * cig, cig), slice_channels(y, gi * cog, cog),
                    h.empty() ? nullptr : h.data());
        LayerProblem::Result r = problem.solve(be, opt, p.wbits, [&](int it, double loss) {
          return !progress || progress(static_cast<int>(li), nlayers, n.name, it, loss);
        });
        const LayerSolution& gs = r.solution;
        std::copy(gs.weights.begin(), gs.weights.end(), sol.weights.begin() + gi * cog * k);
        std::copy(gs.codes.begin(), gs.codes.end(), sol.codes.begin() + gi * cog * k);
        std::copy(gs.bias.begin(), gs.bias.end(), sol.bias.begin() + gi * cog);
        sol.quantizer.scale.insert(sol.quantizer.scale.end(), gs.quantizer.scale.begin(), gs.quantizer.scale.end());
        sol.quantizer.zero_point.insert(sol.quantizer.zero_point.end(), gs.quantizer.zero_point.begin(),
                                        gs.quantizer.zero_point.end());
        // The layer's loss is the mean over all output channels: the mean of the groups'.
        sol.loss_before += gs.loss_before / static_cast<double>(group);
        sol.loss_after += gs.loss_after / static_cast<double>(group);
        sol.iterations = std::max(sol.iterations, gs.iterations);
        sol.best_iteration = std::max(sol.best_iteration, gs.best_iteration);
        if (sol.stop_reason.empty() || gs.stop_reason == "max_iterations") sol.stop_reason = gs.stop_reason;
        sol.times += gs.times;
        rep.solver = r.solver;
        kept_projection += r.note.empty() ? 0 : 1;
      }
      rep.note = "grouped convolution: " + std::to_string(group) + " independent layer-wise problems" +
                 (kept_projection ? "; the MSE projection kept in " + std::to_string(kept_projection) : "");
      rep.loss_before = sol.loss_before;
      rep.loss_after = sol.loss_after;
    } else if (!gram_ok) {
      // Grouped ConvTranspose, or one scale for a grouped layer: MSE-optimal projection per row
      // of the ONNX weight layout (axis 0).
      Quantizer q = wq;
      std::vector<float> v = w0;
      std::vector<int64_t> codes(v.size());
      const int64_t rows = w.shape[0];
      fit(q, v.data(), rows, w.numel() / rows, per_channel,
          opt.method == Method::kRtn ? "minmax" : "als");
      project(q, v.data(), rows, w.numel() / rows, codes.data());
      sol.weights = v;
      sol.codes = codes;
      sol.bias = b0;
      sol.quantizer = q;
      rep.solver = opt.method == Method::kRtn ? "rtn" : "mse";
      rep.note = "grouped " + std::string(transposed ? "ConvTranspose" : "convolution with one scale") +
                 ": not covered by the layer-wise solver; MSE projection";
    } else {
      std::vector<float> h;
      if (att) h = att->weights_for(y.shape);
      LayerProblem problem(conv_window(g, n, x.shape), c2, w0, b0,
                           !h.empty() && opt.select_unweighted);
      problem.add(be, x, y, h.empty() ? nullptr : h.data());
      LayerProblem::Result r = problem.solve(be, opt, p.wbits, [&](int it, double loss) {
        return !progress || progress(static_cast<int>(li), nlayers, n.name, it, loss);
      });
      sol = std::move(r.solution);
      rep.solver = r.solver;
      if (!r.note.empty()) rep.note = r.note;
      rep.loss_before = sol.loss_before;
      rep.loss_after = sol.loss_after;
    }
    rep.iterations = sol.iterations;
    rep.best_iteration = sol.best_iteration;
    rep.stop_reason = sol.stop_reason;
    rep.times = sol.times;
    rep.scales = sol.quantizer.scale;
    // Write the layer: fresh constants (initializers may be shared), cached weights dropped.
    const int wid = g.add_value(n.name + ".weight_quantized");
    g.values[wid].constant = true;
    g.values[wid].data = w;
    g.values[wid].data.f = gram_ok ? from_rows(sol.weights) : sol.weights;
    const int bid = g.add_value(n.name + ".bias_quantized");
    g.values[bid].constant = true;
    g.values[bid].data = Tensor::zeros({c2});
    g.values[bid].data.f = sol.bias;
    n.inputs.resize(3, -1);
    n.inputs[1] = wid;
    n.inputs[2] = bid;
    WeightQuant wqi;
    wqi.bits = p.wbits;
    wqi.grid = to_string(opt.grid);
    wqi.axis = transposed && gram_ok ? 1 : 0;
    wqi.scale = sol.quantizer.scale;
    wqi.zero_point = sol.quantizer.zero_point;
    wqi.qmin = sol.quantizer.qmin;
    wqi.qmax = sol.quantizer.qmax;
    wqi.qstep = sol.quantizer.qstep;
    wqi.codes = gram_ok ? from_rows(sol.codes) : sol.codes;
    g.weight_quant[n.name] = std::move(wqi);
    be.forget(&n);
    targets.erase(n.outputs[0]);  // free the target
    rep.seconds = since(t0);
  };
  std::vector<Tensor> in{calib};
  ex.run(std::move(in));
  res.seconds_total = since(t_start);
  return res;
}

}  // namespace efq::quant
