#include "quant/fp_reference.hpp"

#include <chrono>
#include <set>

#include "infer/executor.hpp"

namespace efq::quant {

Tensor probabilities(Backend& be, Tensor y, Activation act) {
  if (act == Activation::kSoftmax) be.softmax(y, 1, y);
  if (act == Activation::kSigmoid) be.unary(UnaryKind::kSigmoid, 0, 0, y, y);
  return y;
}

FpReference compute_fp_reference(const Graph& g, Backend& be, const Tensor& calib,
                                 const Tensor* body, const Conventions& conv,
                                 const QuantOptions& opt, const std::vector<LayerPlan>& plan) {
  using Clock = std::chrono::steady_clock;
  FpReference ref;
  std::set<int> wanted;
  for (const auto& p : plan) wanted.insert(g.nodes[p.node].outputs[0]);
  Tensor logits;
  {
    const auto t0 = Clock::now();
    Executor ex(g, be);
    ex.observer = [&](int node, const Tensor& out) {
      const int v = g.nodes[node].outputs[0];
      if (wanted.count(v)) ref.targets[v] = out;
    };
    std::vector<Tensor> in{calib};
    logits = std::move(ex.run(std::move(in)).at(0));
    ref.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  AttentionOptions aopt;
  aopt.faithful_pyramid = opt.faithful_pyramid;
  aopt.body = body;
  {
    const Node& first = g.nodes[plan.front().node];
    auto st = first.attr_ints("strides", {1, 1, 1});
    if (st.size() == 3) aopt.init_stride = st;
  }
  if (opt.act_scale == ActScaleRule::kNetworkError)
    ref.probabilities = probabilities(be, logits, conv.activation);
  if (opt.attention && opt.method == Method::kEfficientQ)
    ref.attention = std::make_unique<Attention>(logits, conv.activation, aopt);
  return ref;
}

}  // namespace efq::quant
