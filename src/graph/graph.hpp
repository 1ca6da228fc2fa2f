// The graph IR: values (activations and constants) and nodes in execution order. Op names and
// attribute names are ONNX's; the IR is deliberately thin so import and export stay lossless.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace efq {

struct Attribute {
  enum class Kind { kInt, kFloat, kInts, kFloats, kString, kTensor } kind = Kind::kInt;
  int64_t i = 0;
  float f = 0.f;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::string s;
  Tensor t;
};

struct Node {
  std::string name, op;
  std::vector<int> inputs;   // value ids; -1 = omitted optional input
  std::vector<int> outputs;  // value ids
  std::map<std::string, Attribute> attrs;

  bool has(const std::string& a) const { return attrs.count(a) != 0; }
  int64_t attr_int(const std::string& a, int64_t dflt) const;
  float attr_float(const std::string& a, float dflt) const;
  std::vector<int64_t> attr_ints(const std::string& a, std::vector<int64_t> dflt = {}) const;
  std::string attr_string(const std::string& a, const std::string& dflt) const;
  /// "node 'NAME' (OP)" for error messages.
  std::string describe() const;
};

struct Value {
  std::string name;
  bool constant = false;  // an initializer or folded constant; `data` holds it
  Tensor data;
  Shape declared_shape;   // from the model's input/output declarations; -1 = dynamic
};

/// How a layer's weights were quantized (kept for deployable export and the report).
struct WeightQuant {
  int bits = 0;
  std::string grid;                 // faithful | symmetric | asymmetric
  int axis = 0;                     // the channel axis of the scales (0 for Conv, 1 for ConvTranspose)
  std::vector<double> scale;        // per channel, or one
  std::vector<int64_t> zero_point;  // same size as scale
  int64_t qmin = 0, qmax = 0, qstep = 1;  // codes qmin, qmin+qstep, …, qmax
  std::vector<int64_t> codes;       // integer codes in weight order (may be empty)
};

struct Graph {
  std::vector<Value> values;
  std::vector<Node> nodes;  // topological (execution) order
  std::vector<int> inputs, outputs;
  std::map<std::string, std::string> metadata;  // ONNX metadata_props
  int64_t opset = 0;
  int64_t ir_version = 0;
  std::string producer;
  std::map<std::string, WeightQuant> weight_quant;  // by node name, filled by the quantizer

  int add_value(const std::string& name);
  int find_value(const std::string& name) const;  // -1 if absent
  const Tensor& constant(int id, const Node& user) const;  // throws if not constant
  int64_t parameter_count() const;
};

/// Rewires Identity/Dropout away, turns Constant nodes into constant values, folds every
/// BatchNormalization that directly follows a Conv/ConvTranspose (sole consumer) into it,
/// and drops nodes whose outputs nobody uses.
void simplify(Graph& g);

/// Nodes whose weights the quantizer can own: Conv/ConvTranspose with constant weights.
std::vector<int> quantizable_nodes(const Graph& g);

}  // namespace efq
