#include "quant/sensitivity.hpp"

#include <chrono>

#include "core/error.hpp"
#include "infer/evaluate.hpp"
#include "infer/executor.hpp"
#include "quant/fp_reference.hpp"
#include "quant/grid.hpp"
#include "quant/plan.hpp"

namespace efq::quant {

namespace {

struct Output {
  Tensor prob;
  std::vector<uint8_t> labels;
};

Output run(const Graph& g, Backend& be, const Tensor& calib, const Conventions& conv) {
  Executor ex(g, be);
  std::vector<Tensor> in{calib};
  Output o;
  o.prob = probabilities(be, std::move(ex.run(std::move(in)).at(0)), conv.activation);
  const int64_t k = o.prob.shape.at(1);
  o.labels = to_labels(o.prob.f, k, conv);
  return o;
}

// The weights projected at `bits` per output channel (ConvTranspose: axis 1), as ADMM's
// starting point is: ALS scales on the options' grid.
std::vector<float> project_alone(Backend& be, const Node& n, const Tensor& w, int bits,
                                 const QuantOptions& opt) {
  const bool transposed = n.op == "ConvTranspose";
  const int64_t group = n.attr_int("group", 1);
  const int64_t in0 = w.shape.at(0), in1 = w.shape.at(1), k = w.numel() / (in0 * in1);
  // Rows = output channels: Conv [O, I/g, k...]; ConvTranspose [I, O/g, k...] (group 1 only;
  // grouped ConvTranspose: rows of axis 0, as the solver's fallback does).
  const bool by_axis1 = transposed && group == 1;
  const int64_t rows = by_axis1 ? in1 : in0, cols = w.numel() / rows;
  std::vector<float> v(static_cast<size_t>(w.numel()));
  auto at = [&](int64_t r, int64_t c) -> int64_t {  // (row, col) -> index in w
    if (!by_axis1) return r * cols + c;
    const int64_t i = c / k, t = c % k;
    return (i * in1 + r) * k + t;
  };
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) v[r * cols + c] = w.f[at(r, c)];
  Quantizer q = Quantizer::for_weights(opt.grid, bits, opt.weight_range);
  fit(be, q, v.data(), rows, cols, opt.per_channel, opt.method == Method::kRtn ? "minmax" : "als");
  project(be, q, v.data(), rows, cols);
  std::vector<float> out(v.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[at(r, c)] = v[r * cols + c];
  return out;
}

// The centre half (per spatial axis) of the calibration crop when the network takes it (its skip
// connections need sizes its down-sampling divides; checked by shape inference), else the crop
// itself: 1/8 of the voxels makes the layers × widths forward passes cost less than the
// quantization they inform.
Tensor analysis_input(const Graph& g, Backend& be, const Tensor& calib) {
  if (calib.shape.size() != 5) return calib;
  Shape half = calib.shape;
  for (int d = 2; d < 5; ++d) half[d] = calib.shape[d] / 2;
  if (half[2] < 8 || half[3] < 8 || half[4] < 8) return calib;
  try {
    Executor ex(g, be);
    ex.infer_shapes({half});
  } catch (const Error&) {
    return calib;  // the network cannot take the half crop
  }
  Tensor t = Tensor::zeros(half);
  const int64_t D = calib.shape[2], H = calib.shape[3], W = calib.shape[4];
  const int64_t d0 = (D - half[2]) / 2, h0 = (H - half[3]) / 2, w0 = (W - half[4]) / 2;
  for (int64_t c = 0; c < half[0] * half[1]; ++c)
    for (int64_t z = 0; z < half[2]; ++z)
      for (int64_t y = 0; y < half[3]; ++y)
        for (int64_t x = 0; x < half[4]; ++x)
          t.f[((c * half[2] + z) * half[3] + y) * half[4] + x] =
              calib.f[((c * D + z + d0) * H + y + h0) * W + x + w0];
  return t;
}

}  // namespace

SensitivityResult layer_sensitivity(Graph& g, Backend& be, const Tensor& calib,
                                    const Conventions& conv, const QuantOptions& opt,
                                    const std::vector<int>& widths) {
  const auto t0 = std::chrono::steady_clock::now();
  SensitivityResult res;
  const std::vector<LayerPlan> plan = plan_layers(g, opt);
  const Tensor input = analysis_input(g, be, calib);
  res.input_shape = input.shape;
  const Output fp = run(g, be, input, conv);
  const int64_t k = fp.prob.shape.at(1);
  for (const LayerPlan& p : plan) {
    if (p.skip) continue;
    Node& n = g.nodes.at(static_cast<size_t>(p.node));
    Tensor& w = g.values.at(static_cast<size_t>(n.inputs.at(1))).data;
    const std::vector<float> original = w.f;
    LayerSensitivity ls;
    ls.name = n.name;
    ls.weights = w.numel();
    for (int b : widths) {
      w.f = project_alone(be, n, w, b, opt);
      be.forget(&n);  // the backend may cache a layer's prepared weights
      Output o;
      try {
        o = run(g, be, input, conv);
      } catch (...) {
        w.f = original;
        be.forget(&n);
        throw;
      }
      w.f = original;
      be.forget(&n);
      double e = 0;
      for (size_t i = 0; i < o.prob.f.size(); ++i) {
        const double d = static_cast<double>(o.prob.f[i]) - fp.prob.f[i];
        e += d * d;
      }
      ls.widths.push_back(b);
      ls.output_mse.push_back(e / static_cast<double>(std::max<size_t>(o.prob.f.size(), 1)));
      ls.fidelity.push_back(case_dice(o.labels, fp.labels, k, conv, nullptr, nullptr).mean_foreground);
    }
    res.layers.push_back(std::move(ls));
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace efq::quant
