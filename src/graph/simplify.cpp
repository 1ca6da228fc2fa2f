// Graph clean-up passes run after import: constants, aliases, BatchNorm folding, dead code.
#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.hpp"
#include "graph/graph.hpp"

namespace efq {

namespace {


void replace_uses(Graph& g, int from, int to) {
  for (Node& n : g.nodes)
    for (int& in : n.inputs)
      if (in == from) in = to;
  for (int& o : g.outputs)
    if (o == from) o = to;
}

int count_uses(const Graph& g, int v) {
  int c = 0;
  for (const Node& n : g.nodes)
    for (int in : n.inputs) c += in == v;
  for (int o : g.outputs) c += o == v;
  return c;
}

void fold_constant_nodes(Graph& g) {
  for (Node& n : g.nodes) {
    if (n.op != "Constant") continue;
    Value& v = g.values[n.outputs.at(0)];
    const auto& a = n.attrs;
    if (a.count("value")) {
      v.data = a.at("value").t;
    } else if (a.count("value_float")) {
      v.data = Tensor::zeros({});
      v.data.f[0] = a.at("value_float").f;
    } else if (a.count("value_floats")) {
      v.data = Tensor::zeros({static_cast<int64_t>(a.at("value_floats").floats.size())});
      v.data.f = a.at("value_floats").floats;
    } else if (a.count("value_int")) {
      v.data = Tensor::from_ints({}, {a.at("value_int").i});
    } else if (a.count("value_ints")) {
      v.data = Tensor::from_ints(a.at("value_ints").ints);
    } else {
      fail(ErrorCode::kUnsupported, n.describe() + ": unsupported Constant attribute");
    }
    v.constant = true;
    n.op = "";  // mark for removal
  }
}

// y = (x − zero_point) · scale per tensor or along `axis`.
Tensor dequantize(const Tensor& x, const Tensor& scale, const Tensor* zp, int64_t axis) {
  Tensor y = Tensor::zeros(x.shape);
  const int64_t n = x.numel();
  const int64_t r = static_cast<int64_t>(x.shape.size());
  if (axis < 0) axis += r;
  int64_t inner = 1;
  for (int64_t k = axis + 1; k < r; ++k) inner *= x.shape[k];
  const int64_t ch = r > 0 ? x.shape[axis] : 1;
  const bool per_axis = scale.numel() > 1;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = per_axis ? (i / inner) % ch : 0;
    const double q = x.dtype == DType::kInt64 ? static_cast<double>(x.i[i]) : x.f[i];
    const double z = zp ? static_cast<double>(zp->dtype == DType::kInt64 ? zp->i[c] : zp->f[c]) : 0.0;
    y.f[i] = static_cast<float>((q - z) * scale.f[c]);
  }
  return y;
}

int consumer_of(const Graph& g, int value, int* input_index) {
  int found = -1, uses = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k)
    for (size_t i = 0; i < g.nodes[k].inputs.size(); ++i)
      if (g.nodes[k].inputs[i] == value && !g.nodes[k].op.empty()) {
        found = static_cast<int>(k);
        if (input_index) *input_index = static_cast<int>(i);
        ++uses;
      }
  return uses == 1 ? found : -1;
}

bool scalar_const(const Graph& g, int v, double* out) {
  if (v < 0 || !g.values[v].constant || g.values[v].data.numel() != 1) return false;
  const Tensor& t = g.values[v].data;
  *out = t.dtype == DType::kInt64 ? static_cast<double>(t.i[0]) : t.f[0];
  return true;
}

int producer_index(const Graph& g, int v) {
  for (size_t k = 0; k < g.nodes.size(); ++k)
    if (!g.nodes[k].op.empty())
      for (int o : g.nodes[k].outputs)
        if (o == v) return static_cast<int>(k);
  return -1;
}

// "X/input_quant/Mul" -> "X/input_quant": the name our exports derived the chain from.
std::string base_name(const std::string& name, const std::string& suffix) {
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return name.substr(0, name.size() - suffix.size());
  return name + "/quant";
}

Node make_fake_quant(const std::string& name, int in, int out, double scale, int64_t qmin,
                     int64_t qmax, int64_t zp) {
  Node fq;
  fq.op = "EfqFakeQuant";
  fq.name = name;
  fq.inputs = {in};
  fq.outputs = {out};
  auto int_attr = [](int64_t v) {
    Attribute a;
    a.kind = Attribute::Kind::kInt;
    a.i = v;
    return a;
  };
  fq.attrs["calibrated"] = int_attr(1);
  fq.attrs["qmin"] = int_attr(qmin);
  fq.attrs["qmax"] = int_attr(qmax);
  fq.attrs["zero_point"] = int_attr(zp);
  Attribute f;
  f.kind = Attribute::Kind::kFloat;
  f.f = static_cast<float>(scale);
  fq.attrs["scale"] = f;
  return fq;
}

// Recognises the activation quantizers our exports write — Div→Round→Clip→Mul (fake-quant,
// .efq) and [Clip→]QuantizeLinear→DequantizeLinear (QDQ, per tensor) — and turns them back into
// one EfqFakeQuant node (same arithmetic), so a reloaded model runs int8 where it can.
void fuse_activation_quantizers(Graph& g) {
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    Node& mul = g.nodes[k];
    if (mul.op == "Mul" && mul.inputs.size() == 2) {
      double s1, s2, lo, hi;
      const int clip_i = producer_index(g, mul.inputs[0]);
      if (clip_i < 0 || !scalar_const(g, mul.inputs[1], &s2)) continue;
      Node& clip = g.nodes[clip_i];
      if (clip.op != "Clip" || clip.inputs.size() < 3 || !scalar_const(g, clip.inputs[1], &lo) ||
          !scalar_const(g, clip.inputs[2], &hi) || consumer_of(g, clip.outputs[0], nullptr) < 0)
        continue;
      const int round_i = producer_index(g, clip.inputs[0]);
      if (round_i < 0 || g.nodes[round_i].op != "Round" || consumer_of(g, g.nodes[round_i].outputs[0], nullptr) < 0)
        continue;
      const int div_i = producer_index(g, g.nodes[round_i].inputs[0]);
      if (div_i < 0 || g.nodes[div_i].op != "Div" || !scalar_const(g, g.nodes[div_i].inputs[1], &s1) ||
          s1 != s2 || consumer_of(g, g.nodes[div_i].outputs[0], nullptr) < 0 ||
          lo != std::floor(lo) || hi != std::floor(hi))
        continue;
      const int in = g.nodes[div_i].inputs[0];
      Node fq = make_fake_quant(base_name(mul.name, "/Mul"), in, mul.outputs[0], s1,
                                static_cast<int64_t>(lo), static_cast<int64_t>(hi), 0);
      for (int v : {g.nodes[div_i].outputs[0], g.nodes[round_i].outputs[0], clip.outputs[0]})
        g.values[v].name.clear();  // dead intermediates: keep their names free for re-export
      g.nodes[div_i].op = g.nodes[round_i].op = clip.op = "";
      mul = fq;
    } else if (mul.op == "DequantizeLinear") {
      Node& dq = mul;
      double s, z = 0, s2, z2 = 0;
      const int q_i = producer_index(g, dq.inputs.at(0));
      if (q_i < 0 || g.nodes[q_i].op != "QuantizeLinear" || !scalar_const(g, dq.inputs.at(1), &s)) continue;
      Node& q = g.nodes[q_i];
      if (!scalar_const(g, q.inputs.at(1), &s2) || s != s2) continue;
      if (dq.inputs.size() > 2 && dq.inputs[2] >= 0 && !scalar_const(g, dq.inputs[2], &z)) continue;
      if (q.inputs.size() > 2 && q.inputs[2] >= 0 && !scalar_const(g, q.inputs[2], &z2)) continue;
      if (z != z2 || consumer_of(g, q.outputs[0], nullptr) < 0) continue;
      const bool s8 = q.inputs.size() > 2 && q.inputs[2] >= 0 && g.values[q.inputs[2]].data.onnx_type == 3;
      int64_t qmin = s8 ? -128 : 0, qmax = s8 ? 127 : 255;
      int in = q.inputs[0];
      // A Clip right before (our exports' b-bit range) narrows the codes.
      const int clip_i = producer_index(g, in);
      double lo, hi;
      if (clip_i >= 0 && g.nodes[clip_i].op == "Clip" && g.nodes[clip_i].inputs.size() >= 3 &&
          scalar_const(g, g.nodes[clip_i].inputs[1], &lo) && scalar_const(g, g.nodes[clip_i].inputs[2], &hi) &&
          consumer_of(g, g.nodes[clip_i].outputs[0], nullptr) >= 0) {
        const double clo = std::nearbyint(lo / s) + z, chi = std::nearbyint(hi / s) + z;
        if (std::fabs(clo * s - z * s - lo) < 1e-6 * std::fabs(lo) + 1e-30 &&
            std::fabs(chi * s - z * s - hi) < 1e-6 * std::fabs(hi) + 1e-30) {
          qmin = std::max<int64_t>(qmin, static_cast<int64_t>(clo));
          qmax = std::min<int64_t>(qmax, static_cast<int64_t>(chi));
          in = g.nodes[clip_i].inputs[0];
          g.values[g.nodes[clip_i].outputs[0]].name.clear();
          g.nodes[clip_i].op = "";
        }
      }
      Node fq = make_fake_quant(base_name(dq.name, "/DequantizeLinear"), in, dq.outputs[0], s, qmin,
                                qmax, static_cast<int64_t>(z));
      g.values[q.outputs[0]].name.clear();
      q.op = "";
      dq = fq;
    }
  }
}

void fold_constant_dequantize(Graph& g) {
  for (Node& n : g.nodes) {
    if (n.op != "DequantizeLinear") continue;
    bool all_const = true;
    for (int in : n.inputs) all_const &= in < 0 || g.values[in].constant;
    if (!all_const) continue;
    const Tensor& x = g.values[n.inputs.at(0)].data;
    const Tensor& s = g.values[n.inputs.at(1)].data;
    const Tensor* z = n.inputs.size() > 2 && n.inputs[2] >= 0 ? &g.values[n.inputs[2]].data : nullptr;
    if (s.dtype != DType::kFloat32)
      fail(ErrorCode::kFormat, n.describe() + ": scale must be float");
    Value& out = g.values[n.outputs.at(0)];
    out.data = dequantize(x, s, z, n.attr_int("axis", 1));
    out.constant = true;
    // Integer weight codes feeding a convolution: remember them (real int8 inference, re-export).
    int idx = -1;
    const int user = consumer_of(g, n.outputs[0], &idx);
    if (user >= 0 && idx == 1 && (g.nodes[user].op == "Conv" || g.nodes[user].op == "ConvTranspose") &&
        x.dtype == DType::kInt64 && (x.onnx_type == 2 || x.onnx_type == 3)) {
      WeightQuant wq;
      wq.bits = 8;
      wq.grid = x.onnx_type == 3 ? "symmetric" : "asymmetric";
      int64_t axis = n.attr_int("axis", 1);
      if (axis < 0) axis += static_cast<int64_t>(x.shape.size());
      wq.axis = s.numel() > 1 ? static_cast<int>(axis) : 0;
      for (int64_t c = 0; c < s.numel(); ++c) {
        wq.scale.push_back(s.f[c]);
        wq.zero_point.push_back(z ? (z->dtype == DType::kInt64 ? z->i[c] : static_cast<int64_t>(z->f[c])) : 0);
      }
      wq.qmin = x.onnx_type == 3 ? -128 : 0;
      wq.qmax = x.onnx_type == 3 ? 127 : 255;
      wq.codes = x.i;
      g.weight_quant[g.nodes[user].name] = std::move(wq);
    }
    n.op = "";
  }
}

void remove_aliases(Graph& g) {
  for (Node& n : g.nodes) {
    if (n.op != "Identity" && n.op != "Dropout") continue;
    int in = n.inputs.at(0), out = n.outputs.at(0);
    bool is_graph_output = false;
    for (int o : g.outputs) is_graph_output |= o == out;
    bool is_graph_input = false;
    for (int i : g.inputs) is_graph_input |= i == in;
    if (is_graph_output && !g.values[in].constant && !is_graph_input) {
      // Keep the model's output name: let the producer of `in` write `out` directly.
      for (Node& p : g.nodes)
        for (int& po : p.outputs)
          if (po == in) po = out;
      for (Node& c : g.nodes)
        for (int& ci : c.inputs)
          if (ci == in) ci = out;
    } else {
      replace_uses(g, out, in);
    }
    n.op = "";
  }
}

void fold_batchnorm(Graph& g) {
  for (Node& bn : g.nodes) {
    if (bn.op != "BatchNormalization") continue;
    int x = bn.inputs.at(0);
    Node* conv = nullptr;
    for (Node& p : g.nodes)
      if ((p.op == "Conv" || p.op == "ConvTranspose") && p.outputs.at(0) == x) conv = &p;
    if (!conv || count_uses(g, x) != 1 || !g.values[conv->inputs.at(1)].constant) continue;
    bool all_const = true;
    for (int k = 1; k <= 4; ++k) all_const &= bn.inputs.at(k) >= 0 && g.values[bn.inputs[k]].constant;
    if (!all_const) continue;
    const auto& scale = g.values[bn.inputs[1]].data.f;
    const auto& beta = g.values[bn.inputs[2]].data.f;
    const auto& mean = g.values[bn.inputs[3]].data.f;
    const auto& var = g.values[bn.inputs[4]].data.f;
    const double eps = bn.attr_float("epsilon", 1e-5f);
    Tensor w = g.values[conv->inputs[1]].data;  // copy: the initializer may be shared
    const bool transposed = conv->op == "ConvTranspose";
    const int64_t group = conv->attr_int("group", 1);
    const int64_t outc = transposed ? w.shape[1] * group : w.shape[0];
    if (static_cast<int64_t>(scale.size()) != outc) continue;
    int64_t ksz = 1;
    for (size_t d = 2; d < w.shape.size(); ++d) ksz *= w.shape[d];
    std::vector<double> s(outc);
    for (int64_t o = 0; o < outc; ++o) s[o] = scale[o] / std::sqrt(var[o] + eps);
    if (!transposed) {
      for (int64_t o = 0; o < outc; ++o)
        for (int64_t i = 0; i < w.numel() / outc; ++i)
          w.f[o * (w.numel() / outc) + i] = static_cast<float>(w.f[o * (w.numel() / outc) + i] * s[o]);
    } else {
      const int64_t cin = w.shape[0], cout_g = w.shape[1], cin_g = cin / group;
      for (int64_t i = 0; i < cin; ++i)
        for (int64_t og = 0; og < cout_g; ++og) {
          int64_t o = (i / cin_g) * cout_g + og;
          float* p = w.f.data() + (i * cout_g + og) * ksz;
          for (int64_t k = 0; k < ksz; ++k) p[k] = static_cast<float>(p[k] * s[o]);
        }
    }
    Tensor b = Tensor::zeros({outc});
    const bool has_bias = conv->inputs.size() >= 3 && conv->inputs[2] >= 0;
    for (int64_t o = 0; o < outc; ++o) {
      double b0 = has_bias ? g.values[conv->inputs[2]].data.f.at(o) : 0.0;
      b.f[o] = static_cast<float>((b0 - mean[o]) * s[o] + beta[o]);
    }
    int wid = g.add_value(g.values[conv->inputs[1]].name + "_bnfolded");
    g.values[wid].constant = true;
    g.values[wid].data = std::move(w);
    int bid = g.add_value(conv->name + ".bias_bnfolded");
    g.values[bid].constant = true;
    g.values[bid].data = std::move(b);
    conv->inputs.resize(3);
    conv->inputs[1] = wid;
    conv->inputs[2] = bid;
    conv->outputs[0] = bn.outputs.at(0);
    bn.op = "";
  }
}

void remove_dead(Graph& g) {
  std::vector<Node> kept;
  std::set<int> live(g.outputs.begin(), g.outputs.end());
  for (size_t k = g.nodes.size(); k-- > 0;) {
    Node& n = g.nodes[k];
    if (n.op.empty()) continue;
    bool used = false;
    for (int o : n.outputs) used |= live.count(o) != 0;
    if (!used) continue;
    for (int in : n.inputs)
      if (in >= 0) live.insert(in);
    kept.push_back(std::move(n));
  }
  g.nodes.assign(kept.rbegin(), kept.rend());
}

}  // namespace

void simplify(Graph& g) {
  fold_constant_nodes(g);
  fold_constant_dequantize(g);
  fuse_activation_quantizers(g);
  remove_aliases(g);
  remove_dead(g);
  fold_batchnorm(g);
  remove_dead(g);
}

}  // namespace efq
