#include "onnx/import.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "graph/finite_constants.hpp"
#include "onnx/op_support.hpp"

namespace efq {

namespace {

constexpr int64_t kMaxModelBytes = int64_t{2} << 30;  // protobuf's own hard limit

/// Bytes per element of the data types convert_tensor reads; 0 for the others.
int64_t element_bytes(int dt) {
  switch (dt) {
    case onnx::TensorProto::FLOAT: case onnx::TensorProto::INT32: return 4;
    case onnx::TensorProto::DOUBLE: case onnx::TensorProto::INT64: return 8;
    case onnx::TensorProto::INT8: case onnx::TensorProto::UINT8: case onnx::TensorProto::BOOL: return 1;
    default: return 0;
  }
}

Tensor convert_tensor(const onnx::TensorProto& t, const std::string& where) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    // Never opened: a location is a path chosen by whoever wrote the file ("../../etc/passwd").
    std::string location;
    for (const auto& kv : t.external_data())
      if (kv.key() == "location") location = kv.value();
    fail(ErrorCode::kUnsupported, where + ": tensor '" + t.name() + "' uses external data ('" +
                                      location + "', not read); save the model as one file");
  }
  // The shape comes from the file: validate it and the data it claims before allocating.
  Shape shape(t.dims().begin(), t.dims().end());
  if (shape.size() > 8)
    fail(ErrorCode::kFormat, where + ": tensor '" + t.name() + "' has rank " + std::to_string(shape.size()));
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      fail(ErrorCode::kFormat, where + ": tensor '" + t.name() + "' has a negative dimension in shape " +
                                   shape_str(shape));
    n = mul_sat(n, d);
  }
  // The stored bytes plus the converted copy (float32 for float/double, int64 for integers).
  const int64_t elem = element_bytes(t.data_type());
  const bool floating = t.data_type() == onnx::TensorProto::FLOAT || t.data_type() == onnx::TensorProto::DOUBLE;
  if (elem > 0)
    check_memory(mul_sat(n, elem + (floating ? 4 : 8)),
                 where + ": tensor '" + t.name() + "' of shape " + shape_str(shape));
  const std::string& raw = t.raw_data();
  auto check_size = [&](int64_t have, const char* type) {
    if (have != n)
      fail(ErrorCode::kFormat, where + ": tensor '" + t.name() + "' (" + type + ", shape " +
                                   shape_str(shape) + ") holds " + std::to_string(have) +
                                   " values, expected " + std::to_string(n));
  };
  if (!raw.empty() && elem > 0 && static_cast<int64_t>(raw.size()) != mul_sat(n, elem))
    fail(ErrorCode::kFormat, where + ": tensor '" + t.name() + "' (shape " + shape_str(shape) +
                                 ") holds " + std::to_string(raw.size()) + " bytes of raw data, expected " +
                                 std::to_string(mul_sat(n, elem)));
  Tensor out;
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: {
      out.shape = shape;
      if (!raw.empty()) {
        check_size(static_cast<int64_t>(raw.size() / 4), "float");
        out.f.resize(n);
        std::memcpy(out.f.data(), raw.data(), n * 4);
      } else {
        check_size(t.float_data_size(), "float");
        out.f.assign(t.float_data().begin(), t.float_data().end());
      }
      return out;
    }
    case onnx::TensorProto::DOUBLE: {
      out.shape = shape;
      check_size(raw.empty() ? t.double_data_size() : static_cast<int64_t>(raw.size() / 8), "double");
      out.f.resize(n);
      if (!raw.empty()) {
        for (int64_t k = 0; k < n; ++k) {
          double d;
          std::memcpy(&d, raw.data() + 8 * k, 8);
          out.f[k] = static_cast<float>(d);
        }
      } else {
        for (int64_t k = 0; k < n; ++k) out.f[k] = static_cast<float>(t.double_data(k));
      }
      return out;
    }
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: {
      const int dt = t.data_type();
      const size_t width = dt == onnx::TensorProto::INT64   ? 8
                           : dt == onnx::TensorProto::INT32 ? 4
                                                            : 1;
      if (!raw.empty()) check_size(static_cast<int64_t>(raw.size() / width), "integer");
      else if (dt == onnx::TensorProto::INT64) check_size(t.int64_data_size(), "int64");
      else check_size(t.int32_data_size(), "int32");
      std::vector<int64_t> v(static_cast<size_t>(n));
      if (!raw.empty()) {
        for (int64_t k = 0; k < n; ++k) {
          if (width == 8) {
            int64_t x;
            std::memcpy(&x, raw.data() + 8 * k, 8);
            v[k] = x;
          } else if (width == 4) {
            int32_t x;
            std::memcpy(&x, raw.data() + 4 * k, 4);
            v[k] = x;
          } else {
            v[k] = dt == onnx::TensorProto::INT8 ? static_cast<int8_t>(raw[k])
                                                 : static_cast<uint8_t>(raw[k]);
          }
        }
      } else if (dt == onnx::TensorProto::INT64) {
        v.assign(t.int64_data().begin(), t.int64_data().end());
      } else {
        v.assign(t.int32_data().begin(), t.int32_data().end());
      }
      Tensor r = Tensor::from_ints(shape, std::move(v));
      r.onnx_type = dt;
      return r;
    }
    default:
      fail(ErrorCode::kUnsupported, where + ": tensor '" + t.name() + "' has data type " +
                                        std::to_string(t.data_type()) +
                                        " (supported: float, double, int64, int32, int8, uint8)");
  }
}

Attribute convert_attribute(const onnx::AttributeProto& a, const std::string& where) {
  Attribute out;
  switch (a.type()) {
    case onnx::AttributeProto::INT: out.kind = Attribute::Kind::kInt; out.i = a.i(); break;
    case onnx::AttributeProto::FLOAT: out.kind = Attribute::Kind::kFloat; out.f = a.f(); break;
    case onnx::AttributeProto::INTS:
      out.kind = Attribute::Kind::kInts;
      out.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case onnx::AttributeProto::FLOATS:
      out.kind = Attribute::Kind::kFloats;
      out.floats.assign(a.floats().begin(), a.floats().end());
      break;
    case onnx::AttributeProto::STRING: out.kind = Attribute::Kind::kString; out.s = a.s(); break;
    case onnx::AttributeProto::TENSOR:
      out.kind = Attribute::Kind::kTensor;
      out.t = convert_tensor(a.t(), where);
      break;
    default:
      fail(ErrorCode::kUnsupported,
           where + ": attribute '" + a.name() + "' has an unsupported type (graph/sparse)");
  }
  return out;
}

/// The ONNX type of the attributes the operators read (the schemas agree across opsets 7-21): a
/// wrong one (kernel_shape as a string) is a corrupt file, refused naming node and attribute.
void check_attribute_kind(const Node& n, const std::string& name, const std::string& what) {
  using K = Attribute::Kind;
  static const std::map<std::string, K> kKinds = {
      {"kernel_shape", K::kInts}, {"pads", K::kInts}, {"strides", K::kInts},
      {"dilations", K::kInts}, {"output_padding", K::kInts}, {"output_shape", K::kInts},
      {"perm", K::kInts}, {"group", K::kInt}, {"axis", K::kInt}, {"keepdims", K::kInt},
      {"ceil_mode", K::kInt}, {"count_include_pad", K::kInt}, {"num_groups", K::kInt},
      {"alpha", K::kFloat}, {"beta", K::kFloat}, {"epsilon", K::kFloat}, {"momentum", K::kFloat},
      {"mode", K::kString}, {"auto_pad", K::kString}, {"coordinate_transformation_mode", K::kString},
      {"nearest_mode", K::kString}};
  static const char* kNames[] = {"int", "float", "ints", "floats", "string", "tensor"};
  auto it = kKinds.find(name);
  const K have = n.attrs.at(name).kind;
  if (it != kKinds.end() && have != it->second)
    fail(ErrorCode::kFormat, what + ": " + n.describe() + ": attribute '" + name + "' is of type " +
                                 kNames[static_cast<int>(have)] + ", expected " +
                                 kNames[static_cast<int>(it->second)]);
}

Shape declared_shape(const onnx::ValueInfoProto& vi) {
  Shape s;
  if (!vi.type().has_tensor_type()) return s;
  for (const auto& d : vi.type().tensor_type().shape().dim())
    s.push_back(d.has_dim_value() ? d.dim_value() : -1);
  return s;
}

}  // namespace

Graph import_onnx_bytes(const std::string& bytes, const std::string& what) {
  onnx::ModelProto m;
  if (bytes.empty() || !m.ParseFromString(bytes))
    fail(ErrorCode::kFormat, what + ": not a valid ONNX model (protobuf parse failed; the file "
                                    "is truncated or not ONNX)");
  return import_onnx_model(m, what);
}

Graph import_onnx_model(onnx::ModelProto& m, const std::string& what) {
  if (!m.has_graph() || m.graph().node_size() == 0)
    fail(ErrorCode::kFormat, what + ": ONNX model has no graph nodes");
  Graph g;
  g.ir_version = m.ir_version();
  g.producer = m.producer_name() + " " + m.producer_version();
  for (const auto& op : m.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") g.opset = op.version();
  // Other domains may be declared (onnxruntime's tools add ai.onnx.ml, com.microsoft); only a node
  // that actually uses one is an error (checked per node below).
  if (g.opset < 7 || g.opset > 21)
    fail(ErrorCode::kUnsupported, what + ": opset " + std::to_string(g.opset) + " unsupported");
  for (const auto& kv : m.metadata_props()) g.metadata[kv.key()] = kv.value();

  const auto& gp = m.graph();
  std::map<std::string, int> ids;
  auto id_of = [&](const std::string& name) {
    auto it = ids.find(name);
    if (it != ids.end()) return it->second;
    int id = g.add_value(name);
    ids[name] = id;
    return id;
  };
  // All initializers together, from their declared shapes, before converting any.
  int64_t declared_bytes = 0;
  for (const auto& init : gp.initializer()) {
    int64_t n = 1;
    Shape shape(init.dims().begin(), init.dims().end());
    for (int64_t d : shape) n = mul_sat(n, std::max<int64_t>(d, 0));
    check_memory(mul_sat(n, 8), what + ": initializer '" + init.name() + "' of shape " + shape_str(shape));
    declared_bytes = add_sat(declared_bytes, mul_sat(n, 8));
  }
  check_memory(declared_bytes, what + ": the initializers (" + std::to_string(gp.initializer_size()) + " tensors)");
  for (int k = 0; k < gp.initializer_size(); ++k) {
    const auto& init = gp.initializer(k);
    int id = id_of(init.name());
    g.values[id].constant = true;
    g.values[id].data = convert_tensor(init, what + ": initializer");
    std::string().swap(*m.mutable_graph()->mutable_initializer(k)->mutable_raw_data());  // converted
  }
  for (const auto& in : gp.input()) {
    if (ids.count(in.name()) && g.values[ids[in.name()]].constant) continue;
    int id = id_of(in.name());
    g.values[id].declared_shape = declared_shape(in);
    g.inputs.push_back(id);
  }
  std::set<std::string> produced;
  for (int id : g.inputs) produced.insert(g.values[id].name);
  for (const auto& init : gp.initializer()) produced.insert(init.name());
  int counter = 0;
  for (const auto& np : gp.node()) {
    Node n;
    n.op = np.op_type();
    n.name = np.name().empty() ? n.op + "_" + std::to_string(counter) : np.name();
    ++counter;
    if (!np.domain().empty() && np.domain() != "ai.onnx")
      fail(ErrorCode::kUnsupported, what + ": " + n.describe() + ": domain '" + np.domain() +
                                        "' unsupported");
    for (const auto& in : np.input()) {
      if (in.empty()) {
        n.inputs.push_back(-1);
        continue;
      }
      if (!produced.count(in))
        fail(ErrorCode::kFormat, what + ": " + n.describe() + " reads '" + in +
                                     "', which no earlier node, input or initializer defines");
      n.inputs.push_back(id_of(in));
    }
    for (const auto& out : np.output()) {
      if (out.empty()) {
        n.outputs.push_back(g.add_value(""));
        continue;
      }
      if (produced.count(out))  // SSA: a second writer (or a cycle through an input) is corrupt
        fail(ErrorCode::kFormat, what + ": " + n.describe() + " writes '" + out +
                                     "', which is already defined (by an input, an initializer or an earlier node)");
      n.outputs.push_back(id_of(out));
      produced.insert(out);
    }
    for (const auto& a : np.attribute()) {
      n.attrs[a.name()] = convert_attribute(a, what + ": " + n.describe());
      check_attribute_kind(n, a.name(), what);
    }
    check_node_supported(n, g.opset, what);
    g.nodes.push_back(std::move(n));
  }
  for (const auto& out : gp.output()) {
    if (!produced.count(out.name()))
      fail(ErrorCode::kFormat, what + ": graph output '" + out.name() + "' is never produced");
    int id = id_of(out.name());
    g.values[id].declared_shape = declared_shape(out);
    g.outputs.push_back(id);
  }
  if (g.inputs.empty()) fail(ErrorCode::kFormat, what + ": the model has no non-constant input");
  // Operators whose weights/parameters are float: an integer initializer there (int32 weights
  // instead of DequantizeLinear codes) is refused here, not found by an operator reading floats.
  static const std::set<std::string> kFloatParams = {
      "Conv", "ConvTranspose", "BatchNormalization", "InstanceNormalization", "PRelu",
      "Gemm", "MatMul", "LayerNormalization", "GroupNormalization"};
  for (const Node& n : g.nodes) {
    if (!kFloatParams.count(n.op)) continue;
    for (size_t k = 1; k < n.inputs.size(); ++k) {
      const int id = n.inputs[k];
      if (id >= 0 && g.values[id].constant && g.values[id].data.dtype != DType::kFloat32)
        fail(ErrorCode::kUnsupported, what + ": " + n.describe() + " reads the integer tensor '" +
                                          g.values[id].name + "' as input " + std::to_string(k) +
                                          "; it needs float (quantized weights go through DequantizeLinear)");
    }
  }
  check_finite_constants(g, what);  // before folding: the error names the tensor as in the file
  simplify(g);
  return g;
}

Graph import_onnx_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) fail(ErrorCode::kIo, path + ": cannot open the model file");
  const std::streamoff size = f.tellg();
  if (size <= 0) fail(ErrorCode::kFormat, path + ": the model file is empty");
  if (size >= kMaxModelBytes)
    fail(ErrorCode::kUnsupported, path + ": models of 2 GiB or more (external data) unsupported");
  // The bytes, protobuf's parsed copy and our graph each hold the weights once.
  check_memory(mul_sat(size, 3), path + ": reading a model file of " + std::to_string(size) + " bytes");
  std::string bytes(static_cast<size_t>(size), '\0');
  f.seekg(0);
  if (!f.read(bytes.data(), size)) fail(ErrorCode::kIo, path + ": read error");
  return import_onnx_bytes(bytes, path);
}

}  // namespace efq
