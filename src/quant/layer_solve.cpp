#include "quant/layer_solve.hpp"

#include <algorithm>

#include "infer/executor.hpp"
#include "quant/layer_problem.hpp"

namespace efq::quant {

namespace {

// Channels [c0, c0 + count) of an [N, C, spatial...] tensor.
Tensor slice_channels(const Tensor& t, int64_t c0, int64_t count) {
  Shape s = t.shape;
  s[1] = count;
  Tensor r = Tensor::zeros(s);
  const int64_t inner = t.numel() / (t.shape[0] * t.shape[1]);
  for (int64_t b = 0; b < t.shape[0]; ++b)
    std::copy(t.f.begin() + (b * t.shape[1] + c0) * inner, t.f.begin() + (b * t.shape[1] + c0 + count) * inner,
              r.f.begin() + b * count * inner);
  return r;
}

// Solver layout: one row per output channel. ConvTranspose (group 1) stores [C_in, C_out, k...]:
// transposed to [C_out, C_in·k] for the solver and back for the graph.
struct RowLayout {
  bool transposed = false;
  int64_t cin = 0, c2 = 0, ksz = 0;
  template <typename V>
  V to_rows(const V& v) const {
    if (!transposed) return v;
    V r(v.size());
    for (int64_t c = 0; c < cin; ++c)
      for (int64_t o = 0; o < c2; ++o)
        for (int64_t t = 0; t < ksz; ++t) r[(o * cin + c) * ksz + t] = v[(c * c2 + o) * ksz + t];
    return r;
  }
  template <typename V>
  V from_rows(const V& r) const {
    V v = r;
    if (!transposed) return v;
    for (int64_t c = 0; c < cin; ++c)
      for (int64_t o = 0; o < c2; ++o)
        for (int64_t t = 0; t < ksz; ++t) v[(c * c2 + o) * ksz + t] = r[(o * cin + c) * ksz + t];
    return v;
  }
};

// Grouped convolutions (non-transposed, per-channel scales): each group is an independent
// layer-wise problem on its own input and output channels.
LayerSolution solve_grouped(Backend& be, const Graph& g, const Node& n, const std::vector<float>& w0,
                            const std::vector<float>& b0, int64_t group, int64_t c2, const Tensor& x,
                            const Tensor& y, const std::vector<float>& h, const QuantOptions& opt,
                            int wbits, LayerReport& rep, const std::function<bool(int, double)>& on_iter) {
  const int64_t cig = x.shape[1] / group, cog = c2 / group;
  const int64_t k = static_cast<int64_t>(w0.size()) / c2;
  WindowParams wp = conv_window(g, n, x.shape);
  wp.group = 1;
  LayerSolution sol;
  sol.quantizer = Quantizer::for_weights(opt.grid, wbits, opt.weight_range);
  sol.quantizer.scale.clear();
  sol.quantizer.zero_point.clear();
  sol.weights.resize(w0.size());
  sol.codes.resize(w0.size());
  sol.bias.resize(static_cast<size_t>(c2));
  int kept_projection = 0;
  for (int64_t gi = 0; gi < group; ++gi) {
    const auto w_begin = w0.begin() + gi * cog * k;
    LayerProblem problem(wp, cog, std::vector<float>(w_begin, w_begin + cog * k),
                         std::vector<float>(b0.begin() + gi * cog, b0.begin() + (gi + 1) * cog),
                         !h.empty() && opt.select_unweighted);
    problem.add(be, slice_channels(x, gi * cig, cig), slice_channels(y, gi * cog, cog),
                h.empty() ? nullptr : h.data());
    LayerProblem::Result r = problem.solve(be, opt, wbits, on_iter);
    const LayerSolution& gs = r.solution;
    std::copy(gs.weights.begin(), gs.weights.end(), sol.weights.begin() + gi * cog * k);
    std::copy(gs.codes.begin(), gs.codes.end(), sol.codes.begin() + gi * cog * k);
    std::copy(gs.bias.begin(), gs.bias.end(), sol.bias.begin() + gi * cog);
    sol.quantizer.scale.insert(sol.quantizer.scale.end(), gs.quantizer.scale.begin(), gs.quantizer.scale.end());
    sol.quantizer.zero_point.insert(sol.quantizer.zero_point.end(), gs.quantizer.zero_point.begin(),
                                    gs.quantizer.zero_point.end());
    // The layer's loss is the mean over all output channels: the mean of the groups'.
    sol.loss_before += gs.loss_before / static_cast<double>(group);
    sol.loss_after += gs.loss_after / static_cast<double>(group);
    sol.iterations = std::max(sol.iterations, gs.iterations);
    sol.best_iteration = std::max(sol.best_iteration, gs.best_iteration);
    if (sol.stop_reason.empty() || gs.stop_reason == "max_iterations") sol.stop_reason = gs.stop_reason;
    sol.system = gs.system;
    sol.descent_sweeps = std::max(sol.descent_sweeps, gs.descent_sweeps);
    sol.descent_moves += gs.descent_moves;
    if (gs.loss_admm >= 0) sol.loss_admm = std::max(sol.loss_admm, 0.0) + gs.loss_admm / static_cast<double>(group);
    sol.times += gs.times;
    rep.solver = r.solver;
    kept_projection += r.note.empty() ? 0 : 1;
  }
  rep.note = "grouped convolution: " + std::to_string(group) + " independent layer-wise problems" +
             (kept_projection ? "; the MSE projection kept in " + std::to_string(kept_projection) : "");
  rep.loss_before = sol.loss_before;
  rep.loss_after = sol.loss_after;
  return sol;
}

// Grouped ConvTranspose, or one scale for a grouped layer: MSE-optimal projection per row of the
// ONNX weight layout (axis 0).
LayerSolution solve_projection(Backend& be, const Tensor& w, const std::vector<float>& b0,
                               bool transposed, const QuantOptions& opt, int wbits,
                               LayerReport& rep) {
  LayerSolution sol;
  Quantizer q = Quantizer::for_weights(opt.grid, wbits, opt.weight_range);
  std::vector<float> v = w.f;
  std::vector<int64_t> codes(v.size());
  const int64_t rows = w.shape[0];
  fit(be, q, v.data(), rows, w.numel() / rows, opt.per_channel, opt.method == Method::kRtn ? "minmax" : "als");
  project(be, q, v.data(), rows, w.numel() / rows, codes.data());
  sol.weights = v;
  sol.codes = codes;
  sol.bias = b0;
  sol.quantizer = q;
  rep.solver = opt.method == Method::kRtn ? "rtn" : "mse";
  rep.note = "grouped " + std::string(transposed ? "ConvTranspose" : "convolution with one scale") +
             ": not covered by the layer-wise solver; MSE projection";
  return sol;
}

}  // namespace

SolvedLayer solve_layer(Backend& be, const Graph& g, const Node& n, const Tensor& w,
                        const Tensor& x, const Tensor& y, const Attention* att,
                        const QuantOptions& opt, const LayerPlan& p, LayerReport& rep,
                        const std::function<bool(int, double)>& on_iter) {
  const bool transposed = n.op == "ConvTranspose";
  const int64_t group = n.attr_int("group", 1);
  SolvedLayer out;
  const int64_t c2 = out.c_out = transposed ? w.shape[1] * group : w.shape[0];
  const RowLayout layout{transposed && group == 1, w.shape[0], c2, w.numel() / (w.shape[0] * w.shape[1])};
  std::vector<float> b0(static_cast<size_t>(c2), 0.f);
  if (n.inputs.size() >= 3 && n.inputs[2] >= 0) b0 = g.values[n.inputs[2]].data.f;
  const bool gram_ok = group == 1 && x.rank() >= 3;
  const bool grouped_ok = group > 1 && !transposed && opt.per_channel && x.rank() >= 3 &&
                          x.shape[1] % group == 0 && c2 % group == 0;
  std::vector<float> h;
  if (att && (gram_ok || grouped_ok)) h = att->weights_for(y.shape);
  if (grouped_ok) {
    out.solution = solve_grouped(be, g, n, w.f, b0, group, c2, x, y, h, opt, p.wbits, rep, on_iter);
  } else if (!gram_ok) {
    out.solution = solve_projection(be, w, b0, transposed, opt, p.wbits, rep);
  } else {
    LayerProblem problem(conv_window(g, n, x.shape), c2, layout.to_rows(w.f), b0,
                         !h.empty() && opt.select_unweighted);
    problem.add(be, x, y, h.empty() ? nullptr : h.data());
    LayerProblem::Result r = problem.solve(be, opt, p.wbits, on_iter);
    out.solution = std::move(r.solution);
    rep.solver = r.solver;
    if (!r.note.empty()) rep.note = r.note;
    rep.loss_before = out.solution.loss_before;
    rep.loss_after = out.solution.loss_after;
    out.solution.weights = layout.from_rows(out.solution.weights);
    out.solution.codes = layout.from_rows(out.solution.codes);
    out.axis = transposed ? 1 : 0;
  }
  return out;
}

void write_back_layer(Graph& g, Backend& be, Node& n, const Tensor& w, const SolvedLayer& s,
                      int wbits, GridKind grid) {
  const LayerSolution& sol = s.solution;
  const int wid = g.add_value(n.name + ".weight_quantized");
  g.values[wid].constant = true;
  g.values[wid].data = w;
  g.values[wid].data.f = sol.weights;
  const int bid = g.add_value(n.name + ".bias_quantized");
  g.values[bid].constant = true;
  g.values[bid].data = Tensor::zeros({s.c_out});
  g.values[bid].data.f = sol.bias;
  n.inputs.resize(3, -1);
  n.inputs[1] = wid;
  n.inputs[2] = bid;
  WeightQuant wqi;
  wqi.bits = wbits;
  wqi.grid = to_string(grid);
  wqi.axis = s.axis;
  wqi.scale = sol.quantizer.scale;
  wqi.zero_point = sol.quantizer.zero_point;
  wqi.qmin = sol.quantizer.qmin;
  wqi.qmax = sol.quantizer.qmax;
  wqi.qstep = sol.quantizer.qstep;
  wqi.codes = sol.codes;
  g.weight_quant[n.name] = std::move(wqi);
  be.forget(&n);
}

}  // namespace efq::quant
