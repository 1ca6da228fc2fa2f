#include "onnx/export.hpp"

#include <onnx/onnx_pb.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <set>

#include "core/error.hpp"

namespace efq {

namespace {

void fill_tensor(onnx::TensorProto* t, const Tensor& v, const std::string& name) {
  t->set_name(name);
  for (int64_t d : v.shape) t->add_dims(d);
  if (v.dtype == DType::kInt64) {
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

std::string export_onnx_bytes(const Graph& g) {
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
  for (int id : needed)
    if (g.values[id].constant) fill_tensor(gp->add_initializer(), g.values[id].data, names[id]);
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
    auto* np = gp->add_node();
    np->set_op_type(n.op);
    np->set_name(n.name);
    for (int in : n.inputs) np->add_input(in >= 0 ? names[in] : "");
    for (int out : n.outputs) np->add_output(names[out]);
    for (const auto& kv : n.attrs) add_attribute(np, kv.first, kv.second);
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes)) fail(ErrorCode::kInternal, "ONNX serialization failed");
  return bytes;
}

void export_onnx_file(const Graph& g, const std::string& path) {
  const std::string bytes = export_onnx_bytes(g);
  std::random_device rd;
  const std::string tmp = path + ".tmp-" + std::to_string(rd());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) fail(ErrorCode::kIo, path + ": cannot create the output file");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      fail(ErrorCode::kIo, path + ": write failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail(ErrorCode::kIo, path + ": cannot rename the temporary file into place");
  }
}

}  // namespace efq
