// Grouped and depthwise convolutions (tests/data/fixtures/grouped.onnx, exported from PyTorch):
// the engine reproduces PyTorch, and the quantizer solves each group as its own layer-wise
// problem — better than the MSE projection, with the Gram loss equal to the real output error.
#include <doctest/doctest.h>

#include <cmath>

#include "backends/backend.hpp"
#include "infer/executor.hpp"
#include "npy.hpp"
#include "onnx/import.hpp"
#include "quant/driver.hpp"

using namespace efq;

namespace {

const std::string kFix = std::string(EFQ_TEST_DATA) + "/fixtures/";

Tensor forward(const Graph& g, const Tensor& x) {
  auto be = create_backend("cpu", 0);
  Executor ex(g, *be);
  std::vector<Tensor> in{x};
  return ex.run(std::move(in)).at(0);
}

quant::QuantResult quantize(Graph& g, const Tensor& x, quant::Method method, bool per_channel = true) {
  auto be = create_backend("cpu", 0);
  quant::QuantOptions o;
  o.method = method;
  o.wbits = 3;
  o.abits = 0;  // weights only: the solver is under test
  o.first_last_8bit = false;
  o.attention = false;
  o.per_channel = per_channel;
  o.admm.iterations = 60;
  return quant::quantize_graph(g, *be, x, nullptr, Conventions{}, o, {});
}

}  // namespace

TEST_CASE("grouped and depthwise convolutions run like PyTorch") {
  Graph g = import_onnx_file(kFix + "grouped.onnx");
  const Tensor x = test::read_npy(kFix + "grouped.input.npy");
  const Tensor want = test::read_npy(kFix + "grouped.expected.npy");
  const Tensor got = forward(g, x);
  REQUIRE(got.shape == want.shape);
  double maxdiff = 0;
  for (size_t i = 0; i < got.f.size(); ++i) maxdiff = std::max(maxdiff, double(std::fabs(got.f[i] - want.f[i])));
  CHECK(maxdiff < 1e-4);
}

TEST_CASE("grouped convolutions are solved per group by ADMM and beat the MSE projection") {
  const Tensor x = test::read_npy(kFix + "grouped.input.npy");
  Graph ge = import_onnx_file(kFix + "grouped.onnx");
  Graph gm = import_onnx_file(kFix + "grouped.onnx");
  const quant::QuantResult re = quantize(ge, x, quant::Method::kEfficientQ);
  const quant::QuantResult rm = quantize(gm, x, quant::Method::kMse);
  REQUIRE(re.layers.size() == rm.layers.size());
  int grouped = 0;
  for (size_t l = 0; l < re.layers.size(); ++l) {
    const auto& e = re.layers[l];
    const auto& m = rm.layers[l];
    CAPTURE(e.name);
    CHECK(e.solver == "admm");
    CHECK(e.loss_after <= m.loss_after * (1 + 1e-9));
    if (e.note.find("independent layer-wise problems") == std::string::npos) continue;
    ++grouped;
    CHECK(e.scales.size() == static_cast<size_t>(e.weight_shape[0]));  // one scale per channel
    CHECK(e.loss_after < e.loss_before);
  }
  CHECK(grouped == 3);
  // The whole network's output error follows: EfficientQ closer to FP32 than the projection.
  Graph fp = import_onnx_file(kFix + "grouped.onnx");
  const Tensor y = forward(fp, x), ye = forward(ge, x), ym = forward(gm, x);
  double ee = 0, em = 0;
  for (size_t i = 0; i < y.f.size(); ++i) {
    ee += double(ye.f[i] - y.f[i]) * (ye.f[i] - y.f[i]);
    em += double(ym.f[i] - y.f[i]) * (ym.f[i] - y.f[i]);
  }
  MESSAGE("W3 output MSE: efficientq " << ee / y.f.size() << ", mse projection " << em / y.f.size());
  CHECK(ee < em);
}

TEST_CASE("a grouped layer's reported loss is the real output error of that layer alone") {
  // First layer (groups 2) sees the FP input, so its reported loss is its own output error.
  const Tensor x = test::read_npy(kFix + "grouped.input.npy");
  Graph g = import_onnx_file(kFix + "grouped.onnx");
  Graph fp = import_onnx_file(kFix + "grouped.onnx");
  const quant::QuantResult r = quantize(g, x, quant::Method::kEfficientQ);
  const auto& first = r.layers.at(0);
  REQUIRE(first.note.find("independent") != std::string::npos);
  // Run only the first Conv: cut each graph after its first node.
  auto first_output = [&](Graph h) {
    h.nodes.resize(1);
    h.outputs = {h.nodes[0].outputs[0]};
    return forward(h, x);
  };
  const Tensor a = first_output(fp), b = first_output(g);
  double e = 0;
  for (size_t i = 0; i < a.f.size(); ++i) e += double(a.f[i] - b.f[i]) * (a.f[i] - b.f[i]);
  e /= static_cast<double>(a.f.size());
  CHECK(first.loss_after == doctest::Approx(e).epsilon(1e-3));
}
