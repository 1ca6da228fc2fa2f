#include "quant/act_quantizers.hpp"

#include <algorithm>

namespace efq::quant {

namespace {

Node fake_quant_node(Graph& g, const Node& layer, const Quantizer& aq, int bits) {
  Node fq;
  fq.op = "EfqFakeQuant";
  fq.name = layer.name + "/input_quant";
  fq.inputs = {layer.inputs[0]};
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
  a.i = bits;
  fq.attrs["bits"] = a;
  Attribute f;
  f.kind = Attribute::Kind::kFloat;
  f.f = 1.f;
  fq.attrs["scale"] = f;
  return fq;
}

}  // namespace

std::map<std::string, size_t> insert_activation_quantizers(Graph& g, std::vector<LayerPlan>& plan,
                                                           GridKind grid) {
  std::vector<Node> nodes;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    auto it = std::find_if(plan.begin(), plan.end(),
                           [&](const LayerPlan& p) { return p.node == static_cast<int>(k); });
    if (it != plan.end() && !it->skip && it->abits > 0) {
      const Quantizer aq = Quantizer::for_activations(grid, it->abits, it->act_signed);
      Node fq = fake_quant_node(g, g.nodes[k], aq, it->abits);
      g.nodes[k].inputs[0] = fq.outputs[0];
      nodes.push_back(std::move(fq));
    }
    nodes.push_back(g.nodes[k]);
  }
  g.nodes = std::move(nodes);
  // Node indices moved: re-locate the layers (in graph order, as planned).
  std::map<std::string, size_t> plan_by_name;
  size_t i = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k)
    if ((g.nodes[k].op == "Conv" || g.nodes[k].op == "ConvTranspose") && i < plan.size() &&
        g.nodes[k].inputs.size() >= 2 && g.values[g.nodes[k].inputs[1]].constant) {
      plan[i].node = static_cast<int>(k);
      plan_by_name[g.nodes[k].name] = i;
      ++i;
    }
  return plan_by_name;
}

}  // namespace efq::quant
