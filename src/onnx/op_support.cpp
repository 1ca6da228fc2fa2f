#include "onnx/op_support.hpp"

#include <map>
#include <set>

#include "core/error.hpp"

namespace efq {

namespace {

using AttrSet = std::set<std::string>;

const std::map<std::string, AttrSet>& table() {
  static const std::map<std::string, AttrSet> t = {
      {"Conv", {"kernel_shape", "strides", "pads", "dilations", "auto_pad", "group"}},
      {"ConvTranspose",
       {"kernel_shape", "strides", "pads", "dilations", "auto_pad", "group", "output_padding",
        "output_shape"}},
      {"BatchNormalization", {"epsilon", "momentum", "spatial", "training_mode"}},
      {"InstanceNormalization", {"epsilon"}},
      {"Relu", {}},
      {"LeakyRelu", {"alpha"}},
      {"PRelu", {}},
      {"Elu", {"alpha"}},
      {"Sigmoid", {}},
      {"Tanh", {}},
      {"Softmax", {"axis"}},
      {"Clip", {"min", "max"}},
      {"MaxPool", {"kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode",
                   "storage_order"}},
      {"AveragePool", {"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode",
                       "count_include_pad"}},
      {"GlobalAveragePool", {}},
      {"ReduceMean", {"axes", "keepdims"}},
      {"Concat", {"axis"}},
      {"Add", {}}, {"Sub", {}}, {"Mul", {}}, {"Div", {}}, {"Pow", {}},
      {"Sqrt", {}}, {"Exp", {}}, {"Neg", {}}, {"Abs", {}}, {"Reciprocal", {}}, {"Erf", {}},
      {"Floor", {}}, {"Round", {}}, {"Max", {}}, {"Min", {}},
      {"Resize", {"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a",
                  "exclude_outside", "extrapolation_value"}},
      {"Upsample", {"mode"}},
      {"Identity", {}}, {"Dropout", {"seed", "ratio"}}, {"Constant", {"value", "value_float",
       "value_floats", "value_int", "value_ints"}},
      {"Shape", {"start", "end"}}, {"Gather", {"axis"}}, {"Unsqueeze", {"axes"}},
      {"Squeeze", {"axes"}}, {"Slice", {"starts", "ends", "axes"}}, {"Cast", {"to"}},
      {"Reshape", {"allowzero"}}, {"Flatten", {"axis"}}, {"ConstantOfShape", {"value"}},
      {"Transpose", {"perm"}},
      {"QuantizeLinear", {"axis", "saturate"}}, {"DequantizeLinear", {"axis"}},
  };
  return t;
}

void reject(const Node& n, const std::string& where, const std::string& msg) {
  fail(ErrorCode::kUnsupported, where + ": " + n.describe() + ": " + msg);
}

}  // namespace

bool is_supported_op(const std::string& op) { return table().count(op) != 0; }

void check_node_supported(const Node& n, int64_t /*opset*/, const std::string& where) {
  auto it = table().find(n.op);
  if (it == table().end()) reject(n, where, "operator '" + n.op + "' is not supported");
  for (const auto& kv : n.attrs)
    if (!it->second.count(kv.first))
      reject(n, where, "attribute '" + kv.first + "' is not supported");
  const std::string ap = n.attr_string("auto_pad", "NOTSET");
  if (ap != "NOTSET" && ap != "VALID" && ap != "SAME_UPPER" && ap != "SAME_LOWER")
    reject(n, where, "attribute 'auto_pad' value '" + ap + "' is not supported");
  if (n.op == "Resize" || n.op == "Upsample") {
    const std::string mode = n.attr_string("mode", "nearest");
    if (mode != "nearest" && mode != "linear")
      reject(n, where, "attribute 'mode' value '" + mode + "' is not supported (nearest, linear)");
    const std::string ct = n.attr_string("coordinate_transformation_mode", "half_pixel");
    if (ct != "half_pixel" && ct != "pytorch_half_pixel" && ct != "align_corners" &&
        ct != "asymmetric")
      reject(n, where, "attribute 'coordinate_transformation_mode' value '" + ct +
                           "' is not supported");
  }
  if (n.op == "BatchNormalization" && n.attr_int("training_mode", 0) != 0)
    reject(n, where, "attribute 'training_mode' = 1 (training) is not supported");
  if (n.op == "MaxPool" && n.outputs.size() > 1)
    reject(n, where, "the Indices output is not supported");
}

}  // namespace efq
