#include "quant/driver.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "infer/executor.hpp"
#include "quant/act_quantizers.hpp"
#include "quant/fp_reference.hpp"
#include "quant/layer_solve.hpp"

namespace efq::quant {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The quantizing pass: the executor's `rewrite` hook runs each step on the node about to run:
// it calibrates the activation quantizer about to run or replaces the constants of the layer
// about to run (Executor::rewrite's contract), which the executor re-reads.
class QuantizingPass {
 public:
  QuantizingPass(Graph& g, Backend& be, const Tensor& calib, const Conventions& conv,
                 const QuantOptions& opt, const QuantProgress& progress,
                 std::vector<LayerPlan> plan, FpReference ref, QuantResult& res)
      : g_(g), be_(be), calib_(calib), conv_(conv), opt_(opt), progress_(progress),
        plan_(std::move(plan)), ref_(std::move(ref)), res_(res) {
    plan_by_name_ = insert_activation_quantizers(g_, plan_, opt_.grid);
    res_.layers.resize(plan_.size());
  }

  void run() {
    Executor ex(g_, be_);
    ex.rewrite = [this](int k, Graph& g, const std::vector<const Tensor*>& in) {
      if (&g != &g_) fail(ErrorCode::kInternal, "quantizing pass: the executor runs another graph");
      before(k, in);
    };
    std::vector<Tensor> in{calib_};
    ex.run(std::move(in));
  }

 private:
  void before(int k, const std::vector<const Tensor*>& in) {
    Node& n = g_.nodes[k];
    if (n.op == "EfqFakeQuant") {
      const size_t li = plan_by_name_.at(g_.nodes[k + 1].name);
      const ActCalibration a = calibrate_activation(g_, be_, k, *in.at(0), plan_[li], ref_, calib_, conv_, opt_);
      res_.layers[li].act_scale_rule = a.rule;
      res_.layers[li].act_scale = a.scale;
      res_.layers[li].act_zero_point = a.zero_point;
      return;
    }
    auto pit = plan_by_name_.find(n.name);
    if (pit == plan_by_name_.end() || plan_[pit->second].node != k) return;
    quantize_layer(n, pit->second, *in.at(0));
  }

  void quantize_layer(Node& n, size_t li, const Tensor& x) {
    const LayerPlan& p = plan_[li];
    LayerReport& rep = res_.layers[li];
    const auto t0 = Clock::now();
    const int nlayers = static_cast<int>(plan_.size());
    rep.name = n.name;
    rep.op = n.op;
    const Tensor w = g_.values[n.inputs[1]].data;  // a copy: add_value() in write-back may reallocate
    rep.weight_shape = w.shape;
    rep.skipped = p.skip;
    rep.wbits = p.skip ? 32 : p.wbits;
    rep.abits = p.skip ? 0 : p.abits;
    rep.act_signed = p.act_signed;
    rep.grid = to_string(opt_.grid);
    if (progress_ && !progress_(static_cast<int>(li), nlayers, n.name, -1, 0))
      fail(ErrorCode::kCancelled, "quantization cancelled");
    if (p.skip) {
      rep.solver = "skipped (FP32)";
      return;
    }
    const Tensor& y = ref_.targets.at(n.outputs[0]);
    rep.output_shape = y.shape;
    const SolvedLayer s = solve_layer(be_, g_, n, w, x, y, ref_.attention.get(), opt_, p, rep,
                                      [&](int it, double loss) {
                                        return !progress_ || progress_(static_cast<int>(li), nlayers, n.name, it, loss);
                                      });
    rep.iterations = s.solution.iterations;
    rep.best_iteration = s.solution.best_iteration;
    rep.stop_reason = s.solution.stop_reason;
    rep.system = s.solution.system;
    rep.descent_sweeps = s.solution.descent_sweeps;
    rep.descent_moves = s.solution.descent_moves;
    rep.loss_admm = s.solution.loss_admm;
    rep.times = s.solution.times;
    rep.scales = s.solution.quantizer.scale;
    const Quantizer& wq = s.solution.quantizer;
    rep.weight_levels = wq.levels();
    rep.weight_codes = std::to_string(wq.qmin) + ":" + std::to_string(wq.qstep) + ":" +
                       std::to_string(wq.qmax);
    write_back_layer(g_, be_, n, w, s, p.wbits, opt_.grid);
    ref_.targets.erase(n.outputs[0]);  // free the target
    rep.seconds = since(t0);
  }

  Graph& g_;
  Backend& be_;
  const Tensor& calib_;
  const Conventions& conv_;
  const QuantOptions& opt_;
  const QuantProgress& progress_;
  std::vector<LayerPlan> plan_;
  FpReference ref_;
  QuantResult& res_;
  std::map<std::string, size_t> plan_by_name_;
};

/// The quantization's buffers from shapes alone, before the FP pass: the calibration crop's
/// activations at their peak, every quantized layer's FP target (kept until the layer is
/// solved) and the largest layer's Gram statistics and solver matrices.
void check_quantize_memory(const Graph& g, Backend& be, const Tensor& calib,
                           const std::vector<LayerPlan>& plan) {
  Executor ex(g, be);
  const std::vector<Shape> shapes = ex.infer_shapes({calib.shape});
  int64_t targets = 0, gram = 0;
  std::string widest;
  for (const LayerPlan& p : plan) {
    if (p.skip) continue;
    const Node& n = g.nodes.at(p.node);
    int64_t out = 4;
    for (int64_t d : shapes.at(n.outputs.at(0))) out = mul_sat(out, std::max<int64_t>(d, 0));
    targets = add_sat(targets, out);
    const Shape& w = g.values.at(n.inputs.at(1)).data.shape;
    if (w.size() < 2 || w[0] <= 0 || w[1] <= 0) continue;
    int64_t numel = 1;
    for (int64_t d : w) numel = mul_sat(numel, d);
    // Inputs per output channel (+1 for the bias): Conv [O, I/g, k...], ConvTranspose [I, O/g, k...].
    const int64_t k = add_sat(numel / (n.op == "ConvTranspose" ? w[1] : w[0]), 1);
    const int64_t bytes = mul_sat(mul_sat(k, k), 32);              // ~4 k×k double matrices
    if (bytes > gram) gram = bytes, widest = n.name;
  }
  int64_t bytes = mul_sat(calib.numel(), 8);
  bytes = add_sat(bytes, mul_sat(ex.peak_activation_bytes(shapes), 2));  // FP pass + quantizing pass
  bytes = add_sat(bytes, targets);
  bytes = add_sat(bytes, gram);
  check_memory(bytes, "quantizing on a calibration crop of " + shape_str(calib.shape) +
                          " (FP targets of the quantized layers: " + mib_string(targets) +
                          "; Gram statistics of the widest layer '" + widest + "': " +
                          mib_string(gram) + ")");
}

// Steps 1-6 at the widths `opt` gives.
QuantResult quantize_steps(Graph& g, Backend& be, const Tensor& calib, const Tensor* body,
                           const Conventions& conv, const QuantOptions& opt,
                           const QuantProgress& progress) {
  const auto t_start = Clock::now();
  QuantResult res;
  res.calibration_shape = calib.shape;
  if (opt.sensitivity) {  // on the FP graph, before any layer changes
    res.sensitivity = layer_sensitivity(g, be, calib, conv, opt, opt.sensitivity_widths);
    res.has_sensitivity = true;
  }
  std::vector<LayerPlan> plan = plan_layers(g, opt);                                     // 1
  check_quantize_memory(g, be, calib, plan);
  FpReference ref = compute_fp_reference(g, be, calib, body, conv, opt, plan);           // 2
  res.seconds_fp = ref.seconds;
  if (ref.attention) {
    res.class_counts = ref.attention->class_counts();
    res.class_weights = ref.attention->class_weights();
  }
  QuantizingPass pass(g, be, calib, conv, opt, progress, std::move(plan), std::move(ref), res);  // 3
  pass.run();                                                                             // 4-6
  res.seconds_total = since(t_start);
  return res;
}

// Step 0 under a budget: sensitivity at the width choices, the measured search
// (quant/budget.hpp), then steps 1-6 at the chosen widths unless the search's model is final.
QuantResult quantize_under_budget(Graph& g, Backend& be, const Tensor& calib, const Tensor* body,
                                  const Conventions& conv, const QuantOptions& opt,
                                  const QuantProgress& progress) {
  const auto t_start = Clock::now();
  const SensitivityResult sens = layer_sensitivity(g, be, calib, conv, opt, opt.wbits_choices);
  QuantResult res;
  if (opt.sensitivity) {  // the report's, at its own widths, on the FP graph
    res.sensitivity = opt.sensitivity_widths == opt.wbits_choices
                          ? sens
                          : layer_sensitivity(g, be, calib, conv, opt, opt.sensitivity_widths);
    res.has_sensitivity = true;
  }
  std::vector<QuantResult> runs;
  BudgetSearch search = choose_widths(g, be, calib, conv, opt, sens, [&](Graph& q, const QuantOptions& o) {
    runs.push_back(quantize_steps(q, be, calib, body, conv, o, progress));
  });
  QuantResult final_run;
  if (search.run >= 0) {  // the search measured this very model
    g = std::move(search.graph);
    final_run = std::move(runs.at(static_cast<size_t>(search.run)));
    search.result.crop_fidelity =
        search.result.measurements.at(static_cast<size_t>(search.run)).crop_fidelity;
  } else {
    const std::vector<uint8_t> ref = crop_labels(g, be, calib, conv);
    final_run = quantize_steps(g, be, calib, body, conv, with_chosen_widths(opt, search.result), progress);
    search.result.crop_fidelity = crop_fidelity(g, be, calib, conv, ref);
  }
  final_run.sensitivity = std::move(res.sensitivity);
  final_run.has_sensitivity = res.has_sensitivity;
  res = std::move(final_run);
  res.budget = std::move(search.result);
  res.has_budget = true;
  res.seconds_total = since(t_start);
  return res;
}

}  // namespace

QuantResult quantize_graph(Graph& g, Backend& be, const Tensor& calib, const Tensor* body,
                           const Conventions& conv, const QuantOptions& opt,
                           const QuantProgress& progress) {
  if (opt.budget_fidelity > 0) return quantize_under_budget(g, be, calib, body, conv, opt, progress);
  return quantize_steps(g, be, calib, body, conv, opt, progress);
}

}  // namespace efq::quant
