// Graph clean-up passes run after import: constants, aliases, BatchNorm folding, dead code.
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
  remove_aliases(g);
  remove_dead(g);
  fold_batchnorm(g);
  remove_dead(g);
}

}  // namespace efq
