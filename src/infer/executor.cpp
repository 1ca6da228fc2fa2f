#include "infer/executor.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include "core/memory_budget.hpp"

#include "core/error.hpp"

namespace efq {

std::map<std::string, OpFn>& op_registry() {
  static std::map<std::string, OpFn> r;
  return r;
}

const Tensor& OpContext::input(size_t k) const {
  if (!has_input(k)) error("missing input #" + std::to_string(k));
  return *in[k];
}

void OpContext::error(const std::string& msg) const {
  fail(ErrorCode::kInvalidArgument, n.describe() + ": " + msg);
}

void OpContext::unsupported(const std::string& msg) const {
  fail(ErrorCode::kUnsupported, n.describe() + ": " + msg);
}

Executor::Executor(const Graph& g, Backend& backend) : g_(g), be_(backend) {
  static std::once_flag once;
  std::call_once(once, [] {
    register_nn_ops();
    register_tensor_ops();
  });
  last_use_.assign(g.values.size(), -1);
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    for (int in : g.nodes[k].inputs)
      if (in >= 0) last_use_[in] = static_cast<int>(k);
    auto it = op_registry().find(g.nodes[k].op);
    if (it == op_registry().end())
      fail(ErrorCode::kUnsupported, g.nodes[k].describe() + ": operator not implemented");
    fns_.push_back(it->second);
  }
  for (int o : g.outputs) last_use_[o] = static_cast<int>(g.nodes.size());
}

int Executor::sole_producer_for(int value, const std::string& op) const {
  int producer = -1, consumers = 0;
  for (size_t j = 0; j < g_.nodes.size(); ++j) {
    const Node& m = g_.nodes[j];
    if (m.outputs.size() == 1 && m.outputs[0] == value) producer = static_cast<int>(j);
    for (int in : m.inputs) consumers += in == value;
  }
  if (producer < 0 || consumers != 1 || g_.nodes[producer].op != op) return -1;
  if (std::find(g_.outputs.begin(), g_.outputs.end(), value) != g_.outputs.end()) return -1;
  const int in = g_.nodes[producer].inputs.empty() ? -1 : g_.nodes[producer].inputs[0];
  return in >= 0 && !g_.values[in].constant ? producer : -1;
}

Executor::Executor(Graph& g, Backend& backend) : Executor(static_cast<const Graph&>(g), backend) {
  mutable_g_ = &g;
}

int Executor::enable_int8() {
  int64_t count = 0;
  for (size_t k = 0; k < g_.nodes.size(); ++k) {
    const Node& n = g_.nodes[k];
    auto wq = g_.weight_quant.find(n.name);
    if (n.op != "Conv" || wq == g_.weight_quant.end() || n.attr_int("group", 1) != 1) continue;
    const WeightQuant& q = wq->second;
    const Tensor& w = g_.values[n.inputs.at(1)].data;
    if (q.codes.size() != static_cast<size_t>(w.numel()) || q.qmin < -127 || q.qmax > 127 || q.axis != 0)
      continue;
    bool zero = true;
    for (int64_t z : q.zero_point) zero &= z == 0;
    if (!zero) continue;
    // The input must come straight from a calibrated activation quantizer with zero point 0.
    const Node* fq = nullptr;
    size_t fq_index = 0;
    for (size_t j = 0; j < g_.nodes.size(); ++j)
      if (g_.nodes[j].op == "EfqFakeQuant" && g_.nodes[j].outputs.at(0) == n.inputs.at(0)) {
        fq = &g_.nodes[j];
        fq_index = j;
      }
    if (!fq || !fq->attr_int("calibrated", 0) || fq->attr_int("zero_point", 0) != 0) continue;
    const int64_t lo = fq->attr_int("qmin", 0), hi = fq->attr_int("qmax", 255);
    if (!((lo >= 0 && hi <= 255) || (lo >= -127 && hi <= 127))) continue;
    Int8Conv c;
    c.weight_shape = w.shape;
    c.codes.resize(q.codes.size());
    for (size_t i = 0; i < q.codes.size(); ++i) c.codes[i] = static_cast<int8_t>(q.codes[i]);
    const int64_t co = w.shape[0];
    for (int64_t o = 0; o < co; ++o)
      c.weight_scale.push_back(static_cast<float>(q.scale.size() == 1 ? q.scale[0] : q.scale.at(o)));
    c.bias.assign(static_cast<size_t>(co), 0.f);
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) c.bias = g_.values[n.inputs[2]].data.f;
    c.x_scale = fq->attr_float("scale", 1.f);
    c.x_unsigned = lo >= 0;
    c.x_qmin = lo;
    c.x_qmax = hi;
    int8_[static_cast<int>(k)] = std::move(c);
    ++count;
    // Skip the quantizer when this convolution is its only consumer and it is no graph output.
    const int q_out = fq->outputs[0], q_in = fq->inputs.at(0);
    int consumers = 0;
    for (const Node& m : g_.nodes)
      for (int in : m.inputs) consumers += in == q_out;
    const bool is_output = std::find(g_.outputs.begin(), g_.outputs.end(), q_out) != g_.outputs.end();
    if (consumers == 1 && !is_output && q_in >= 0 && !g_.values[q_in].constant) {
      if (skipped_.size() != g_.nodes.size()) skipped_.assign(g_.nodes.size(), false);
      skipped_[fq_index] = true;
      int source = q_in;
      // A Relu feeding only this quantizer changes no code when the codes are unsigned: a
      // negative input rounds to a code ≤ 0 and clamps to 0, as Relu's 0 does. Skip it as well.
      const int relu = lo >= 0 ? sole_producer_for(q_in, "Relu") : -1;
      if (relu >= 0) {
        skipped_[relu] = true;
        source = g_.nodes[relu].inputs.at(0);
      }
      int8_source_[static_cast<int>(k)] = source;
      last_use_[source] = std::max(last_use_[source], static_cast<int>(k));
    }
  }
  return static_cast<int>(count);
}

std::vector<Tensor> Executor::run(std::vector<Tensor> inputs) {
  return execute(std::move(inputs), false, nullptr);
}

std::vector<Shape> Executor::infer_shapes(const std::vector<Shape>& input_shapes) {
  std::vector<Tensor> ins(input_shapes.size());
  for (size_t k = 0; k < ins.size(); ++k) ins[k].shape = input_shapes[k];
  std::vector<Shape> shapes(g_.values.size());
  execute(std::move(ins), true, &shapes);
  return shapes;
}

int64_t Executor::peak_activation_bytes(const std::vector<Shape>& shapes) const {
  auto bytes = [&](int id) {
    int64_t n = 4;
    if (id < 0 || static_cast<size_t>(id) >= shapes.size()) return int64_t{0};
    for (int64_t d : shapes[id]) n = mul_sat(n, std::max<int64_t>(d, 0));
    return n;
  };
  int64_t live = 0, peak = 0;
  for (int id : g_.inputs) live = add_sat(live, bytes(id));
  for (size_t k = 0; k < g_.nodes.size(); ++k) {
    const Node& n = g_.nodes[k];
    for (int o : n.outputs) live = add_sat(live, bytes(o));
    peak = std::max(peak, live);
    std::set<int> freed;
    for (int in : n.inputs)
      if (in >= 0 && !g_.values[in].constant && last_use_[in] == static_cast<int>(k) && freed.insert(in).second)
        live -= std::min(live, bytes(in));
  }
  return peak;
}

void Executor::plan_buffers(const std::vector<Tensor>& inputs) {
  std::vector<Shape> key;
  for (const Tensor& t : inputs) key.push_back(t.shape);
  if (key == plan_key_ && !plan_shapes_.empty()) return;
  plan_key_ = key;
  plan_shapes_.clear();
  pool_.reset(0);
  try {
    plan_shapes_ = infer_shapes(key);
    pool_.reset(static_cast<size_t>(peak_activation_bytes(plan_shapes_) / 4));
  } catch (const Error&) {
    plan_shapes_.clear();  // no plan, no pooling: the run itself reports what is wrong
  }
}

std::vector<Tensor> Executor::execute(std::vector<Tensor> inputs, bool shapes_only,
                                      std::vector<Shape>* shapes_out) {
  if (inputs.size() != g_.inputs.size())
    fail(ErrorCode::kInvalidArgument, "the model takes " + std::to_string(g_.inputs.size()) +
                                          " input(s), got " + std::to_string(inputs.size()));
  if (!shapes_only) plan_buffers(inputs);
  std::vector<Tensor> vals(g_.values.size());
  std::vector<bool> ready(g_.values.size(), false);
  auto live_floats = [&] {
    size_t n = 0;
    for (const Tensor& t : vals) n += t.f.capacity();
    return n;
  };
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Value& v = g_.values[g_.inputs[k]];
    const Shape& ds = v.declared_shape;
    bool ok = ds.empty() || ds.size() == inputs[k].shape.size();
    for (size_t d = 0; ok && d < ds.size(); ++d)
      ok = ds[d] < 0 || ds[d] == inputs[k].shape[d];
    if (!ok)
      fail(ErrorCode::kInvalidArgument, "input '" + v.name + "' expects shape " + shape_str(ds) +
                                            " (-1 = any), got " + shape_str(inputs[k].shape));
    vals[g_.inputs[k]] = std::move(inputs[k]);
    ready[g_.inputs[k]] = true;
  }
  for (size_t k = 0; k < g_.nodes.size(); ++k) {
    const Node& n = g_.nodes[k];
    if (!shapes_only && !skipped_.empty() && skipped_[k]) continue;  // folded into an int8 conv
    OpContext ctx{g_, n, be_, {}, {}, shapes_only};
    auto i8 = int8_.find(static_cast<int>(k));
    if (i8 != int8_.end()) ctx.int8 = &i8->second;
    std::vector<int> used = n.inputs;  // the value ids actually read
    if (!shapes_only) {
      auto src = int8_source_.find(static_cast<int>(k));
      if (src != int8_source_.end()) used.at(0) = src->second;
    }
    for (int in : used) {
      if (in < 0) {
        ctx.in.push_back(nullptr);
      } else if (g_.values[in].constant) {
        ctx.in.push_back(&g_.values[in].data);
      } else {
        if (!ready[in])
          fail(ErrorCode::kInternal, n.describe() + ": input '" + g_.values[in].name +
                                         "' was not computed");
        ctx.in.push_back(&vals[in]);
      }
    }
    if (before && !shapes_only) before(static_cast<int>(k), ctx.in);
    if (rewrite && !shapes_only) {
      if (!mutable_g_)
        fail(ErrorCode::kInternal, "Executor: a rewrite hook on an executor of a const graph");
      rewrite(static_cast<int>(k), *mutable_g_, ctx.in);
      // The hook may have added inputs (a bias) or replaced constants.
      ctx.in.resize(n.inputs.size(), nullptr);
      for (size_t i = 0; i < n.inputs.size(); ++i)
        if (n.inputs[i] >= 0 && g_.values[n.inputs[i]].constant)
          ctx.in[i] = &g_.values[n.inputs[i]].data;
    }
    std::vector<Tensor> outs(n.outputs.size());
    if (!shapes_only)
      for (size_t o = 0; o < outs.size(); ++o)
        if (plan_shapes_.size() == g_.values.size())
          outs[o].f = pool_.take(static_cast<size_t>(std::max<int64_t>(shape_numel(plan_shapes_[n.outputs[o]]), 0)),
                                 live_floats());
    for (Tensor& t : outs) ctx.out.push_back(&t);
    try {
      fns_[k](ctx);
    } catch (...) {  // a foreign exception here came from a backend kernel
      const Error e = current_exception_as_error(ErrorCode::kBackend);
      const std::string msg = e.what();
      if (msg.find("node '") != std::string::npos) throw e;
      const bool shape_hint = e.code() != ErrorCode::kOutOfMemory && e.code() != ErrorCode::kBackend &&
                              (n.op == "Add" || n.op == "Concat" || n.op == "Mul");
      fail(e.code(), n.describe() + ": " + msg +
                         (shape_hint ? " (is the input size a multiple of the network's downsampling? "
                                       "set a sliding-window ROI, EFQ_PARAM_ROI_D/H/W)"
                                     : ""));
    }
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      vals[n.outputs[o]] = std::move(outs[o]);
      ready[n.outputs[o]] = true;
      if (shapes_out) (*shapes_out)[n.outputs[o]] = vals[n.outputs[o]].shape;
    }
    if (observer && !shapes_only) observer(static_cast<int>(k), vals[n.outputs[0]]);
    for (int in : used)
      if (in >= 0 && !g_.values[in].constant && last_use_[in] == static_cast<int>(k)) {
        std::vector<float> buf = std::move(vals[in].f);
        vals[in] = Tensor();
        pool_.give(std::move(buf), live_floats());
      }
  }
  std::vector<Tensor> result;
  for (int o : g_.outputs) {
    if (g_.values[o].constant) {
      result.push_back(g_.values[o].data);
    } else {
      // Move out; a value listed twice as an output gets a copy the second time.
      bool again = false;
      for (size_t r = 0; r < result.size(); ++r) again |= g_.outputs[r] == o;
      result.push_back(again ? result[std::find(g_.outputs.begin(), g_.outputs.end(), o) -
                                      g_.outputs.begin()]
                             : std::move(vals[o]));
    }
  }
  return result;
}

}  // namespace efq
