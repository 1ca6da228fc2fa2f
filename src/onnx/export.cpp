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
  auto* gp = m.mutable_graph();
  gp->set_name("efficientq");
  // Unique, non-empty names for every value.
  std::vector<std::string> names(g.values.size());
  std::set<std::string> used;
  for (size_t k = 0; k < g.values.size(); ++k) {
    std::string n = g.values[k].name.empty() ? "v" + std::to_string(k) : g.values[k].name;
    while (used.count(n)) n += "_";
    used.insert(n);
    names[k] = n;
  }
  std::set<int> needed;
  for (const Node& n : g.nodes)
    for (int in : n.inputs)
      if (in >= 0) needed.insert(in);
  for (int o : g.outputs) needed.insert(o);
  std::set<int> dropped_weights;  // float weights replaced by int8 codes + DequantizeLinear
  std::vector<int> const_ids;
  for (int id : needed)
    if (g.values[id].constant) const_ids.push_back(id);
  for (int id : g.inputs) {
    Value v = g.values[id];
    v.name = names[id];
    fill_value_info(gp->add_input(), v);
  }
  for (int id : g.outputs) {
    Value v = g.values[id];
    v.name = names[id];
    fill_value_info(gp->add_output(), v);
  }
  int aux = 0;
  auto add_const = [&](const std::string& base, const Tensor& t) {
    std::string n = base + "_c" + std::to_string(aux++);
    fill_tensor(gp->add_initializer(), t, n);
    return n;
  };
  for (const Node& n : g.nodes) {
    if (n.op == "EfqFakeQuant") {
      if (g.opset < 11)
        fail(ErrorCode::kUnsupported, "exporting activation quantization needs opset >= 11 (model has " +
                                          std::to_string(g.opset) + ")");
      const std::string x = names[n.inputs[0]], y = names[n.outputs[0]];
      if (!n.attr_int("calibrated", 0)) {
        auto* id = gp->add_node();
        id->set_op_type("Identity");
        id->set_name(n.name);
        id->add_input(x);
        id->add_output(y);
        continue;
      }
      Tensor s = Tensor::zeros({});
      s.f[0] = n.attr_float("scale", 1.f);
      if (qdq) {
        const int64_t qmin = n.attr_int("qmin", 0), qmax = n.attr_int("qmax", 255);
        const int64_t zpv = n.attr_int("zero_point", 0);
        const bool u8 = qmin >= 0;
        const int64_t cmin = u8 ? 0 : -128, cmax = u8 ? 255 : 127;
        const std::string sn = add_const(n.name + "/scale", s);
        Tensor zt = Tensor::from_ints(Shape{}, {zpv});
        zt.onnx_type = u8 ? 2 : 3;
        const std::string zn = add_const(n.name + "/zero_point", zt);
        std::string src = x;
        if (qmin != cmin || qmax != cmax) {
          // QuantizeLinear saturates at the container's range; keep b-bit codes exactly.
          Tensor lo = Tensor::zeros({}), hi = Tensor::zeros({});
          lo.f[0] = static_cast<float>(qmin - zpv) * s.f[0];
          hi.f[0] = static_cast<float>(qmax - zpv) * s.f[0];
          auto* cp = gp->add_node();
          cp->set_op_type("Clip");
          cp->set_name(n.name + "/Clip");
          cp->add_input(x);
          cp->add_input(add_const(n.name + "/lo", lo));
          cp->add_input(add_const(n.name + "/hi", hi));
          cp->add_output(y + "/clipped");
          src = y + "/clipped";
        }
        auto* qp = gp->add_node();
        qp->set_op_type("QuantizeLinear");
        qp->set_name(n.name + "/QuantizeLinear");
        qp->add_input(src);
        qp->add_input(sn);
        qp->add_input(zn);
        qp->add_output(y + "/quantized");
        auto* dp = gp->add_node();
        dp->set_op_type("DequantizeLinear");
        dp->set_name(n.name + "/DequantizeLinear");
        dp->add_input(y + "/quantized");
        dp->add_input(sn);
        dp->add_input(zn);
        dp->add_output(y);
        continue;
      }
      const float z = static_cast<float>(n.attr_int("zero_point", 0));
      Tensor lo = Tensor::zeros({}), hi = Tensor::zeros({}), zt = Tensor::zeros({});
      lo.f[0] = static_cast<float>(n.attr_int("qmin", 0)) - z;
      hi.f[0] = static_cast<float>(n.attr_int("qmax", 255)) - z;
      zt.f[0] = z;
      // y = clip(round(x / s), qmin − z, qmax − z) · s  (≡ (clip(round(x/s)+z) − z)·s)
      const std::string sn = add_const(n.name + "/scale", s);
      auto chain = [&](const std::string& op_type, std::vector<std::string> ins, const std::string& out) {
        auto* np = gp->add_node();
        np->set_op_type(op_type);
        np->set_name(n.name + "/" + op_type);
        for (auto& i : ins) np->add_input(i);
        np->add_output(out);
      };
      chain("Div", {x, sn}, y + "/div");
      chain("Round", {y + "/div"}, y + "/round");
      chain("Clip", {y + "/round", add_const(n.name + "/lo", lo), add_const(n.name + "/hi", hi)}, y + "/clip");
      chain("Mul", {y + "/clip", sn}, y);
      continue;
    }
    std::vector<std::string> inputs;
    for (int in : n.inputs) inputs.push_back(in >= 0 ? names[in] : "");
    auto wq = g.weight_quant.find(n.name);
    if (qdq && wq != g.weight_quant.end() && n.inputs.size() >= 2) {
      const WeightQuant& q = wq->second;
      const Tensor& w = g.values[n.inputs[1]].data;
      const bool fits_u8 = q.qmin >= 0 && q.qmax <= 255;
      bool fits_s8 = q.qmin >= -128 && q.qmax <= 127;
      for (int64_t z : q.zero_point) fits_s8 &= z >= -128 && z <= 127;
      if (q.codes.size() != static_cast<size_t>(w.numel()) || !(fits_u8 || fits_s8)) {
        if (notes)
          notes->push_back(n.name + ": weights kept as float (codes " + std::to_string(q.qmin) +
                           ".." + std::to_string(q.qmax) + " do not fit an 8-bit container)");
      } else {
        const bool u8 = !fits_s8;
        Tensor codes = Tensor::from_ints(w.shape, q.codes);
        codes.onnx_type = u8 ? 2 : 3;
        const bool per_channel = q.scale.size() > 1;
        Tensor sc = Tensor::zeros(per_channel ? Shape{static_cast<int64_t>(q.scale.size())} : Shape{});
        for (size_t c = 0; c < q.scale.size(); ++c) sc.f[c] = static_cast<float>(q.scale[c]);
        Tensor zp = Tensor::from_ints(per_channel ? Shape{static_cast<int64_t>(q.zero_point.size())} : Shape{},
                                      q.zero_point);
        zp.onnx_type = codes.onnx_type;
        const std::string base = inputs[1];
        auto* dq = gp->add_node();
        dq->set_op_type("DequantizeLinear");
        dq->set_name(n.name + "/weight_dequant");
        dq->add_input(add_const(base + "_quantized", codes));
        dq->add_input(add_const(base + "_scale", sc));
        dq->add_input(add_const(base + "_zero_point", zp));
        dq->add_output(base + "_dequantized");
        if (per_channel) {
          Attribute ax;
          ax.kind = Attribute::Kind::kInt;
          ax.i = q.axis;
          add_attribute(dq, "axis", ax);
        }
        inputs[1] = base + "_dequantized";
        dropped_weights.insert(n.inputs[1]);
      }
    }
    auto* np = gp->add_node();
    np->set_op_type(n.op);
    np->set_name(n.name);
    for (const auto& in : inputs) np->add_input(in);
    for (int out : n.outputs) np->add_output(names[out]);
    for (const auto& kv : n.attrs) add_attribute(np, kv.first, kv.second);
  }
  for (int id : const_ids) {
    if (omit && std::find(omit->begin(), omit->end(), id) != omit->end()) continue;
    bool used_elsewhere = false;  // a replaced weight may still feed another node
    if (dropped_weights.count(id)) {
      for (const auto& np : gp->node())
        for (const auto& in : np.input()) used_elsewhere |= in == names[id];
      if (!used_elsewhere) continue;
    }
    fill_tensor(gp->add_initializer(), g.values[id].data, names[id]);
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes)) fail(ErrorCode::kInternal, "ONNX serialization failed");
  return bytes;
}

void export_onnx_file(const Graph& g, const std::string& path, OnnxFormat format,
                      std::vector<std::string>* notes) {
  write_file_atomically(path, export_onnx_bytes(g, format, notes));
}

}  // namespace efq
