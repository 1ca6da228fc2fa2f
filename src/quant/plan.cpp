#include "quant/plan.hpp"

#include <set>
#include <string>

#include "core/error.hpp"

namespace efq::quant {

namespace {

int producer_of(const Graph& g, int value) {
  for (size_t k = 0; k < g.nodes.size(); ++k)
    for (int o : g.nodes[k].outputs)
      if (o == value) return static_cast<int>(k);
  return -1;
}

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

std::vector<LayerPlan> plan_layers(const Graph& g, const QuantOptions& opt) {
  const std::vector<int> qnodes = quantizable_nodes(g);
  if (qnodes.empty()) fail(ErrorCode::kUnsupported, "the model has no quantizable layer");
  for (const auto& kv : opt.overrides) {
    bool found = false;
    for (int k : qnodes) found |= g.nodes[k].name == kv.first;
    if (!found)
      fail(ErrorCode::kInvalidArgument,
           "layer override: no quantizable layer named '" + kv.first + "'");
  }
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
  return plan;
}

}  // namespace efq::quant
