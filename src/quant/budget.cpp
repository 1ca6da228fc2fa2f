#include "quant/budget.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.hpp"
#include "infer/evaluate.hpp"
#include "infer/executor.hpp"
#include "infer/segment.hpp"
#include "quant/fp_reference.hpp"
#include "quant/plan.hpp"

namespace efq::quant {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct CropOutput {
  std::vector<uint8_t> labels;
  int64_t channels = 0;
};

CropOutput run_crop(const Graph& g, Backend& be, const Tensor& calib, const Conventions& conv) {
  Executor ex(g, be);
  std::vector<Tensor> in{calib};
  const Tensor prob = probabilities(be, std::move(ex.run(std::move(in)).at(0)), conv.activation);
  CropOutput o;
  o.channels = prob.shape.at(1);
  const int64_t n = prob.shape.at(0), per_case = prob.numel() / std::max<int64_t>(n, 1);
  for (int64_t c = 0; c < n; ++c) {  // to_labels takes one case [K, voxels]
    const std::vector<float> one(prob.f.begin() + c * per_case, prob.f.begin() + (c + 1) * per_case);
    const std::vector<uint8_t> l = to_labels(one, o.channels, conv);
    o.labels.insert(o.labels.end(), l.begin(), l.end());
  }
  return o;
}

// The ranked path (budget.hpp, step 1) over the free layers: path[k][l] = index into the
// choices of layer l at step k.
struct Path {
  std::vector<std::vector<int>> steps;
  std::vector<double> predicted_drop;  // per step
};

Path ranked_path(const std::vector<std::vector<double>>& drop, const std::vector<int64_t>& weights,
                 const std::vector<bool>& free, const std::vector<int>& choices) {
  const size_t L = drop.size(), m = choices.size();
  std::vector<int> cur(L, 0);
  auto total = [&] {
    double s = 0;
    for (size_t l = 0; l < L; ++l)
      if (free[l]) s += drop[l][static_cast<size_t>(cur[l])];
    return s;
  };
  Path p;
  p.steps.push_back(cur);
  p.predicted_drop.push_back(total());
  while (true) {
    size_t best_l = L;
    int best_j = -1;
    double best_ratio = -1;
    int64_t best_cost = 0;
    for (size_t l = 0; l < L; ++l) {
      if (!free[l]) continue;
      const int i = cur[l];
      for (int j = i + 1; j < static_cast<int>(m); ++j) {
        const int64_t cost = packed_bytes(weights[l], choices[static_cast<size_t>(j)]) -
                             packed_bytes(weights[l], choices[static_cast<size_t>(i)]);
        const double gain = drop[l][static_cast<size_t>(i)] - drop[l][static_cast<size_t>(j)];
        const double ratio = gain / static_cast<double>(std::max<int64_t>(cost, 1));
        // Ties (e.g. no predicted gain at all): the cheaper raise first.
        if (ratio > best_ratio || (ratio == best_ratio && cost < best_cost)) {
          best_ratio = ratio, best_cost = cost, best_l = l, best_j = j;
        }
      }
    }
    if (best_l == L) break;
    cur[best_l] = best_j;
    p.steps.push_back(cur);
    p.predicted_drop.push_back(total());
  }
  return p;
}

}  // namespace

std::vector<uint8_t> crop_labels(const Graph& g, Backend& be, const Tensor& calib,
                                 const Conventions& conv) {
  return run_crop(g, be, calib, conv).labels;
}

double crop_fidelity(const Graph& g, Backend& be, const Tensor& calib, const Conventions& conv,
                     const std::vector<uint8_t>& ref) {
  const CropOutput o = run_crop(g, be, calib, conv);
  if (o.labels.size() != ref.size())
    fail(ErrorCode::kInternal, "crop fidelity: " + std::to_string(o.labels.size()) +
                                   " labels against " + std::to_string(ref.size()) + " reference labels");
  return case_dice(o.labels, ref, o.channels, conv, nullptr, nullptr).mean_foreground;
}

QuantOptions with_chosen_widths(const QuantOptions& opt, const BudgetResult& r) {
  QuantOptions o = opt;
  o.budget_fidelity = 0;
  o.sensitivity = false;
  for (size_t l = 0; l < r.layers.size(); ++l)
    if (r.free[l]) o.overrides[r.layers[l]].wbits = r.wbits[l];
  return o;
}

BudgetSearch choose_widths(const Graph& g, Backend& be, const Tensor& calib, const Conventions& conv,
                           const QuantOptions& opt, const SensitivityResult& sens,
                           const BudgetQuantize& quantize) {
  const auto t0 = Clock::now();
  if (!(opt.budget_fidelity > 0 && opt.budget_fidelity <= 1))
    fail(ErrorCode::kInvalidArgument,
         "budget fidelity " + std::to_string(opt.budget_fidelity) + " out of (0, 1]");
  if (opt.wbits_choices.empty()) fail(ErrorCode::kInvalidArgument, "no weight width choices");
  BudgetSearch out;
  BudgetResult& r = out.result;
  r.target = opt.budget_fidelity;
  r.choices = opt.wbits_choices;
  std::sort(r.choices.begin(), r.choices.end());
  r.search_iterations = std::min(opt.admm.iterations, kBudgetSearchIterations);
  r.seconds_sensitivity = sens.seconds;

  // Free layers: those whose width follows QuantOptions::wbits (found by planning at two widths).
  QuantOptions at2 = opt, at3 = opt;
  at2.wbits = 2, at3.wbits = 3;
  const std::vector<LayerPlan> plan = plan_layers(g, opt), p2 = plan_layers(g, at2),
                               p3 = plan_layers(g, at3);
  std::vector<std::vector<double>> drop;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].skip) continue;
    const Node& n = g.nodes.at(static_cast<size_t>(plan[i].node));
    r.layers.push_back(n.name);
    r.weights.push_back(g.values.at(static_cast<size_t>(n.inputs.at(1))).data.numel());
    const bool free = p2[i].wbits != p3[i].wbits;
    r.free.push_back(free);
    r.wbits.push_back(free ? r.choices.back() : plan[i].wbits);
    r.uniform_packed_bytes += packed_bytes(r.weights.back(), plan[i].wbits);
    std::vector<double> d(r.choices.size(), 0.0);
    if (free) {
      auto it = std::find_if(sens.layers.begin(), sens.layers.end(),
                             [&](const LayerSensitivity& s) { return s.name == n.name; });
      if (it == sens.layers.end() || it->widths != r.choices)
        fail(ErrorCode::kInternal, "budget: no sensitivity at the width choices for layer '" + n.name + "'");
      const double top = it->fidelity.back();
      double floor = 0;  // non-increasing in b: a wider layer never predicts a larger drop
      for (size_t j = d.size(); j-- > 0;) floor = d[j] = std::max(floor, top - it->fidelity[j]);
    }
    drop.push_back(d);
  }
  const Path path = ranked_path(drop, r.weights, r.free, r.choices);
  r.path_steps = static_cast<int>(path.steps.size()) - 1;
  auto widths_at = [&](int k) {
    std::vector<int> w = r.wbits;
    for (size_t l = 0; l < w.size(); ++l)
      if (r.free[l]) w[l] = r.choices[static_cast<size_t>(path.steps[static_cast<size_t>(k)][l])];
    return w;
  };
  auto bytes_of = [&](const std::vector<int>& w) {
    int64_t b = 0;
    for (size_t l = 0; l < w.size(); ++l) b += packed_bytes(r.weights[l], w[l]);
    return b;
  };

  // The search (budget.hpp, step 2).
  const std::vector<uint8_t> ref = crop_labels(g, be, calib, conv);
  int lo = -1, hi = r.path_steps;  // lo: highest step measured too low; hi: lowest good step
  std::vector<int64_t> step_bytes;
  for (int k = 0; k <= r.path_steps; ++k) step_bytes.push_back(bytes_of(widths_at(k)));
  QuantOptions search_opt = opt;
  search_opt.budget_fidelity = 0;
  search_opt.sensitivity = false;
  search_opt.admm.iterations = r.search_iterations;
  const bool reusable = r.search_iterations == opt.admm.iterations;
  int runs = 0;
  while (runs < kBudgetMeasurements && hi - lo > 1) {
    int k = 0;
    if (lo >= 0) {  // the step nearest the middle of the bracket's bytes, strictly inside it
      const int64_t mid = (step_bytes[static_cast<size_t>(lo)] + step_bytes[static_cast<size_t>(hi)]) / 2;
      k = lo + 1;
      while (k + 1 < hi && step_bytes[static_cast<size_t>(k + 1)] <= mid) ++k;
      if (k + 1 < hi && mid - step_bytes[static_cast<size_t>(k)] > step_bytes[static_cast<size_t>(k + 1)] - mid) ++k;
    }
    BudgetMeasurement m;
    const auto tm = Clock::now();
    m.path_step = k;
    m.wbits = widths_at(k);
    m.packed_bytes = bytes_of(m.wbits);
    m.predicted_drop = path.predicted_drop[static_cast<size_t>(k)];
    BudgetResult trial = r;
    trial.wbits = m.wbits;
    Graph q = g;
    quantize(q, with_chosen_widths(search_opt, trial));
    ++runs;
    m.crop_fidelity = crop_fidelity(q, be, calib, conv, ref);
    m.seconds = since(tm);
    if (m.crop_fidelity >= opt.budget_fidelity) {
      hi = k;
      if (reusable) out.graph = std::move(q), out.run = runs - 1;
    } else {
      lo = k;
    }
    r.measurements.push_back(std::move(m));
  }
  r.chosen_step = hi;
  r.wbits = widths_at(hi);
  r.packed_bytes = bytes_of(r.wbits);
  r.final_from_search = out.run >= 0 && r.measurements.at(static_cast<size_t>(out.run)).path_step == hi;
  if (!r.final_from_search) out.graph = Graph{}, out.run = -1;
  r.seconds_search = since(t0);
  return out;
}

}  // namespace efq::quant
