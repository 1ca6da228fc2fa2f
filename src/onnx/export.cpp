#include "onnx/export.hpp"

#include "core/atomic_file.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include "core/error.hpp"

namespace efq {

namespace {

void fill_tensor(onnx::TensorProto* t, const Tensor& v, const std::string& name) {
  t->set_name(name);
  for (int64_t d : v.shape) t->add_dims(d);
  if (v.dtype == DType::kInt64 && (v.onnx_type == onnx::TensorProto::INT8 ||
                                   v.onnx_type == onnx::TensorProto::UINT8)) {
    t->set_data_type(v.onnx_type);
    std::string raw(v.i.size(), '\0');
    for (size_t k = 0; k < v.i.size(); ++k)
      raw[k] = static_cast<char>(static_cast<uint8_t>(v.i[k] & 0xff));
    t->set_raw_data(raw);
  } else if (v.dtype == DType::kInt64) {
    t->set_data_type(onnx::TensorProto::INT64);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.i.data()), v.i.size() * 8));
  } else {
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.f.data()), v.f.size() * 4));
  }
}

void fill_value_info(onnx::ValueInfoProto* vi, const Value& v) {
  vi->set_name(v.name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tt->mutable_shape();
  const char* names[] = {"N", "C", "D", "H", "W"};
  for (size_t k = 0; k < v.declared_shape.size(); ++k) {
    auto* d = shape->add_dim();
    if (v.declared_shape[k] >= 0) d->set_dim_value(v.declared_shape[k]);
    else d->set_dim_param(k < 5 ? names[k] : "dim" + std::to_string(k));
  }
}

void add_attribute(onnx::NodeProto* np, const std::string& name, const Attribute& a) {
  auto* ap = np->add_attribute();
  ap->set_name(name);
  switch (a.kind) {
    case Attribute::Kind::kInt: ap->set_type(onnx::AttributeProto::INT); ap->set_i(a.i); break;
    case Attribute::Kind::kFloat: ap->set_type(onnx::AttributeProto::FLOAT); ap->set_f(a.f); break;
    case Attribute::Kind::kInts:
      ap->set_type(onnx::AttributeProto::INTS);
      for (int64_t x : a.ints) ap->add_ints(x);
      break;
    case Attribute::Kind::kFloats:
      ap->set_type(onnx::AttributeProto::FLOATS);
      for (float x : a.floats) ap->add_floats(x);
      break;
    case Attribute::Kind::kString: ap->set_type(onnx::AttributeProto::STRING); ap->set_s(a.s); break;
    case Attribute::Kind::kTensor:
      ap->set_type(onnx::AttributeProto::TENSOR);
      fill_tensor(ap->mutable_t(), a.t, "");
      break;
  }
}

// What the export steps share: the graph being written, each value's unique name, and a counter
// for the names of added constants.
struct Writer {
  const Graph& g;
  onnx::GraphProto* gp;
  std::vector<std::string> names;
  int aux = 0;

  std::string add_const(const std::string& base, const Tensor& t) {
    std::string n = base + "_c" + std::to_string(aux++);
    fill_tensor(gp->add_initializer(), t, n);
    return n;
  }
  void add_node(const std::string& op_type, const std::string& name, const std::vector<std::string>& ins,
                const std::string& out) {
    auto* np = gp->add_node();
    np->set_op_type(op_type);
    np->set_name(name);
    for (const auto& in : ins) np->add_input(in);
    np->add_output(out);
  }
};

// Unique, non-empty names for every value.
std::vector<std::string> unique_value_names(const Graph& g) {
  std::vector<std::string> names(g.values.size());
  std::set<std::string> used;
  for (size_t k = 0; k < g.values.size(); ++k) {
    std::string n = g.values[k].name.empty() ? "v" + std::to_string(k) : g.values[k].name;
    while (used.count(n)) n += "_";
    used.insert(n);
    names[k] = n;
  }
  return names;
}

void write_header(onnx::ModelProto& m, const Graph& g) {
  m.set_ir_version(std::max<int64_t>(g.ir_version, 7));
  m.set_producer_name("libefficientq");
  m.set_producer_version(EFQ_VERSION_STRING_BUILD);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(g.opset);
  for (const auto& kv : g.metadata) {
    auto* p = m.add_metadata_props();
    p->set_key(kv.first);
    p->set_value(kv.second);
  }
}

// A calibrated activation quantizer as QuantizeLinear/DequantizeLinear (a Clip first where the
// b-bit range is narrower than the 8-bit container: QuantizeLinear saturates at the container).
void write_activation_qdq(Writer& w, const Node& n, const std::string& x, const std::string& y,
                          const Tensor& s) {
  const int64_t qmin = n.attr_int("qmin", 0), qmax = n.attr_int("qmax", 255);
  const int64_t zpv = n.attr_int("zero_point", 0);
  const bool u8 = qmin >= 0;
  const int64_t cmin = u8 ? 0 : -128, cmax = u8 ? 255 : 127;
  const std::string sn = w.add_const(n.name + "/scale", s);
  Tensor zt = Tensor::from_ints(Shape{}, {zpv});
  zt.onnx_type = u8 ? 2 : 3;
  const std::string zn = w.add_const(n.name + "/zero_point", zt);
  std::string src = x;
  if (qmin != cmin || qmax != cmax) {
    Tensor lo = Tensor::zeros({}), hi = Tensor::zeros({});
    lo.f[0] = static_cast<float>(qmin - zpv) * s.f[0];
    hi.f[0] = static_cast<float>(qmax - zpv) * s.f[0];
    const std::string lon = w.add_const(n.name + "/lo", lo);
    const std::string hin = w.add_const(n.name + "/hi", hi);
    w.add_node("Clip", n.name + "/Clip", {x, lon, hin}, y + "/clipped");
    src = y + "/clipped";
  }
  w.add_node("QuantizeLinear", n.name + "/QuantizeLinear", {src, sn, zn}, y + "/quantized");
  w.add_node("DequantizeLinear", n.name + "/DequantizeLinear", {y + "/quantized", sn, zn}, y);
}

// A calibrated activation quantizer in plain ops:
// y = clip(round(x / s), qmin − z, qmax − z) · s  (≡ (clip(round(x/s)+z) − z)·s)
void write_activation_fakequant(Writer& w, const Node& n, const std::string& x, const std::string& y,
                                const Tensor& s) {
  const float z = static_cast<float>(n.attr_int("zero_point", 0));
  Tensor lo = Tensor::zeros({}), hi = Tensor::zeros({}), zt = Tensor::zeros({});
  lo.f[0] = static_cast<float>(n.attr_int("qmin", 0)) - z;
  hi.f[0] = static_cast<float>(n.attr_int("qmax", 255)) - z;
  zt.f[0] = z;
  const std::string sn = w.add_const(n.name + "/scale", s);
  w.add_node("Div", n.name + "/Div", {x, sn}, y + "/div");
  w.add_node("Round", n.name + "/Round", {y + "/div"}, y + "/round");
  const std::string lon = w.add_const(n.name + "/lo", lo);
  const std::string hin = w.add_const(n.name + "/hi", hi);
  w.add_node("Clip", n.name + "/Clip", {y + "/round", lon, hin}, y + "/clip");
  w.add_node("Mul", n.name + "/Mul", {y + "/clip", sn}, y);
}

// An EfqFakeQuant node: Identity until calibrated, else QDQ or plain ops.
void write_activation_quantizer(Writer& w, const Node& n, bool qdq) {
  if (w.g.opset < 11)
    fail(ErrorCode::kUnsupported, "exporting activation quantization needs opset >= 11 (model has " +
                                      std::to_string(w.g.opset) + ")");
  const std::string x = w.names[n.inputs[0]], y = w.names[n.outputs[0]];
  if (!n.attr_int("calibrated", 0)) {
    w.add_node("Identity", n.name, {x}, y);
    return;
  }
  Tensor s = Tensor::zeros({});
  s.f[0] = n.attr_float("scale", 1.f);
  if (qdq) write_activation_qdq(w, n, x, y, s);
  else write_activation_fakequant(w, n, x, y, s);
}

// QDQ: the layer's weight as 8-bit codes + DequantizeLinear; returns the name of the dequantized
// weight, or "" when the codes do not fit an 8-bit container (the float weight stays; a note).
std::string write_weight_dequant(Writer& w, const Node& n, const WeightQuant& q, const std::string& base,
                                 std::vector<std::string>* notes) {
  const Tensor& wt = w.g.values[n.inputs[1]].data;
  const bool fits_u8 = q.qmin >= 0 && q.qmax <= 255;
  bool fits_s8 = q.qmin >= -128 && q.qmax <= 127;
  for (int64_t z : q.zero_point) fits_s8 &= z >= -128 && z <= 127;
  if (q.codes.size() != static_cast<size_t>(wt.numel()) || !(fits_u8 || fits_s8)) {
    if (notes)
      notes->push_back(n.name + ": weights kept as float (codes " + std::to_string(q.qmin) + ".." +
                       std::to_string(q.qmax) + " do not fit an 8-bit container)");
    return "";
  }
  const bool u8 = !fits_s8;
  Tensor codes = Tensor::from_ints(wt.shape, q.codes);
  codes.onnx_type = u8 ? 2 : 3;
  const bool per_channel = q.scale.size() > 1;
  Tensor sc = Tensor::zeros(per_channel ? Shape{static_cast<int64_t>(q.scale.size())} : Shape{});
  for (size_t c = 0; c < q.scale.size(); ++c) sc.f[c] = static_cast<float>(q.scale[c]);
  Tensor zp = Tensor::from_ints(per_channel ? Shape{static_cast<int64_t>(q.zero_point.size())} : Shape{},
                                q.zero_point);
  zp.onnx_type = codes.onnx_type;
  const std::string cn = w.add_const(base + "_quantized", codes);
  const std::string sn = w.add_const(base + "_scale", sc);
  const std::string zn = w.add_const(base + "_zero_point", zp);
  w.add_node("DequantizeLinear", n.name + "/weight_dequant", {cn, sn, zn}, base + "_dequantized");
  if (per_channel) {
    Attribute ax;
    ax.kind = Attribute::Kind::kInt;
    ax.i = q.axis;
    add_attribute(w.gp->mutable_node(w.gp->node_size() - 1), "axis", ax);
  }
  return base + "_dequantized";
}

// Any other node, its weight dequantized in QDQ when it has one. Returns the dropped weight's
// value id (−1: none).
int write_node(Writer& w, const Node& n, bool qdq, std::vector<std::string>* notes) {
  std::vector<std::string> inputs;
  for (int in : n.inputs) inputs.push_back(in >= 0 ? w.names[in] : "");
  int dropped = -1;
  auto wq = w.g.weight_quant.find(n.name);
  if (qdq && wq != w.g.weight_quant.end() && n.inputs.size() >= 2) {
    const std::string dq = write_weight_dequant(w, n, wq->second, inputs[1], notes);
    if (!dq.empty()) {
      inputs[1] = dq;
      dropped = n.inputs[1];
    }
  }
  auto* np = w.gp->add_node();
  np->set_op_type(n.op);
  np->set_name(n.name);
  for (const auto& in : inputs) np->add_input(in);
  for (int out : n.outputs) np->add_output(w.names[out]);
  for (const auto& kv : n.attrs) add_attribute(np, kv.first, kv.second);
  return dropped;
}

// The constants the nodes use (the graph's order by value id), except `omit` and the float weights
// replaced by codes that no other node still reads.
void write_initializers(Writer& w, const std::set<int>& dropped_weights, const std::vector<int>* omit) {
  std::set<int> needed;
  for (const Node& n : w.g.nodes)
    for (int in : n.inputs)
      if (in >= 0) needed.insert(in);
  for (int o : w.g.outputs) needed.insert(o);
  for (int id : needed) {
    if (!w.g.values[id].constant) continue;
    if (omit && std::find(omit->begin(), omit->end(), id) != omit->end()) continue;
    bool used_elsewhere = false;  // a replaced weight may still feed another node
    if (dropped_weights.count(id)) {
      for (const auto& np : w.gp->node())
        for (const auto& in : np.input()) used_elsewhere |= in == w.names[id];
      if (!used_elsewhere) continue;
    }
    fill_tensor(w.gp->add_initializer(), w.g.values[id].data, w.names[id]);
  }
}

}  // namespace

std::string export_onnx_bytes(const Graph& g, OnnxFormat format, std::vector<std::string>* notes,
                              const std::vector<int>* omit) {
  const bool qdq = format == OnnxFormat::kQdq;
  if (qdq && g.opset < 13)
    fail(ErrorCode::kUnsupported, "QDQ export needs opset >= 13 (per-channel DequantizeLinear); the "
                                  "model has opset " + std::to_string(g.opset) +
                                  ": re-export it from PyTorch with opset_version=13 or use the "
                                  "fake-quant format");
  onnx::ModelProto m;
  write_header(m, g);
  Writer w{g, m.mutable_graph(), unique_value_names(g)};
  w.gp->set_name("efficientq");
  for (int id : g.inputs) {
    Value v = g.values[id];
    v.name = w.names[id];
    fill_value_info(w.gp->add_input(), v);
  }
  for (int id : g.outputs) {
    Value v = g.values[id];
    v.name = w.names[id];
    fill_value_info(w.gp->add_output(), v);
  }
  std::set<int> dropped_weights;  // float weights replaced by codes + DequantizeLinear
  for (const Node& n : g.nodes) {
    if (n.op == "EfqFakeQuant") {
      write_activation_quantizer(w, n, qdq);
      continue;
    }
    const int dropped = write_node(w, n, qdq, notes);
    if (dropped >= 0) dropped_weights.insert(dropped);
  }
  write_initializers(w, dropped_weights, omit);
  std::string bytes;
  if (!m.SerializeToString(&bytes)) fail(ErrorCode::kInternal, "ONNX serialization failed");
  return bytes;
}

void export_onnx_file(const Graph& g, const std::string& path, OnnxFormat format,
                      std::vector<std::string>* notes) {
  write_file_atomically(path, export_onnx_bytes(g, format, notes));
}

}  // namespace efq
