#include "graph/graph.hpp"

#include "core/error.hpp"

namespace efq {

int64_t Node::attr_int(const std::string& a, int64_t dflt) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? dflt : it->second.i;
}

float Node::attr_float(const std::string& a, float dflt) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? dflt : it->second.f;
}

std::vector<int64_t> Node::attr_ints(const std::string& a, std::vector<int64_t> dflt) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? dflt : it->second.ints;
}

std::string Node::attr_string(const std::string& a, const std::string& dflt) const {
  auto it = attrs.find(a);
  return it == attrs.end() ? dflt : it->second.s;
}

std::string Node::describe() const { return "node '" + name + "' (" + op + ")"; }

int Graph::add_value(const std::string& name) {
  values.push_back(Value{});
  values.back().name = name;
  return static_cast<int>(values.size()) - 1;
}

int Graph::find_value(const std::string& name) const {
  for (size_t k = 0; k < values.size(); ++k)
    if (values[k].name == name) return static_cast<int>(k);
  return -1;
}

const Tensor& Graph::constant(int id, const Node& user) const {
  if (id < 0 || !values[id].constant)
    fail(ErrorCode::kUnsupported, user.describe() + ": input '" +
                                      (id < 0 ? std::string("?") : values[id].name) +
                                      "' must be a constant (initializer)");
  return values[id].data;
}

int64_t Graph::parameter_count() const {
  int64_t n = 0;
  for (const Value& v : values)
    if (v.constant && v.data.dtype == DType::kFloat32) n += v.data.numel();
  return n;
}

std::vector<int> quantizable_nodes(const Graph& g) {
  std::vector<int> out;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& n = g.nodes[k];
    if ((n.op == "Conv" || n.op == "ConvTranspose") && n.inputs.size() >= 2 &&
        n.inputs[1] >= 0 && g.values[n.inputs[1]].constant)
      out.push_back(static_cast<int>(k));
  }
  return out;
}

}  // namespace efq
