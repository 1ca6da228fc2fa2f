#include "infer/executor.hpp"

#include <algorithm>
#include <mutex>

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

std::vector<Tensor> Executor::execute(std::vector<Tensor> inputs, bool shapes_only,
                                      std::vector<Shape>* shapes_out) {
  if (inputs.size() != g_.inputs.size())
    fail(ErrorCode::kInvalidArgument, "the model takes " + std::to_string(g_.inputs.size()) +
                                          " input(s), got " + std::to_string(inputs.size()));
  std::vector<Tensor> vals(g_.values.size());
  std::vector<bool> ready(g_.values.size(), false);
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
    OpContext ctx{g_, n, be_, {}, {}, shapes_only};
    for (int in : n.inputs) {
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
    if (before && !shapes_only) {
      before(static_cast<int>(k), ctx.in);
      // The hook may have added inputs (a bias) or replaced constants.
      ctx.in.resize(n.inputs.size(), nullptr);
      for (size_t i = 0; i < n.inputs.size(); ++i)
        if (n.inputs[i] >= 0 && g_.values[n.inputs[i]].constant)
          ctx.in[i] = &g_.values[n.inputs[i]].data;
    }
    std::vector<Tensor> outs(n.outputs.size());
    for (Tensor& t : outs) ctx.out.push_back(&t);
    try {
      fns_[k](ctx);
    } catch (const Error&) {
      throw;
    } catch (const std::bad_alloc&) {
      fail(ErrorCode::kOutOfMemory, n.describe() + ": out of memory");
    } catch (const std::exception& e) {
      fail(ErrorCode::kBackend, n.describe() + ": " + e.what());
    }
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      vals[n.outputs[o]] = std::move(outs[o]);
      ready[n.outputs[o]] = true;
      if (shapes_out) (*shapes_out)[n.outputs[o]] = vals[n.outputs[o]].shape;
    }
    if (observer && !shapes_only) observer(static_cast<int>(k), vals[n.outputs[0]]);
    for (int in : n.inputs)
      if (in >= 0 && !g_.values[in].constant && last_use_[in] == static_cast<int>(k)) {
        vals[in] = Tensor();
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
