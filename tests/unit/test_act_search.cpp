// QuantOptions::act_scale: each activation scale is the MSE-optimal (ALS) one, or chosen among
// the ALS scale, the min-max scale and steps between by the consuming layer's output error or by
// the network output's error.
#include <doctest/doctest.h>

#include "backends/backend.hpp"
#include "infer/executor.hpp"
#include "npy.hpp"
#include "onnx/import.hpp"
#include "quant/driver.hpp"

using namespace efq;

namespace {

const std::string kFix = std::string(EFQ_TEST_DATA) + "/fixtures/";

quant::QuantResult quantize_uresq(quant::ActScaleRule rule, Graph& g, const Tensor& x) {
  auto be = create_backend("cpu", 0);
  quant::QuantOptions o;
  o.wbits = 8;
  o.abits = 4;
  o.admm.iterations = 5;
  o.act_scale = rule;
  return quant::quantize_graph(g, *be, x, nullptr, Conventions{}, o, {});
}

double output_mse(const Graph& g, const Graph& fp, const Tensor& x) {
  auto be = create_backend("cpu", 0);
  Executor a(g, *be), b(fp, *be);
  std::vector<Tensor> ia{x}, ib{x};
  const Tensor ya = a.run(std::move(ia)).at(0), yb = b.run(std::move(ib)).at(0);
  double e = 0;
  for (size_t i = 0; i < ya.f.size(); ++i) e += double(ya.f[i] - yb.f[i]) * (ya.f[i] - yb.f[i]);
  return e / static_cast<double>(ya.f.size());
}

}  // namespace

TEST_CASE("activation scale search picks a scale between the ALS and min-max scales") {
  using quant::ActScaleRule;
  const Tensor x = test::read_npy(kFix + "uresq.input.npy");
  Graph gs = import_onnx_file(kFix + "uresq.onnx"), ga = import_onnx_file(kFix + "uresq.onnx"),
        gn = import_onnx_file(kFix + "uresq.onnx");
  const Graph fp = import_onnx_file(kFix + "uresq.onnx");
  const quant::QuantResult rs = quantize_uresq(ActScaleRule::kLayerError, gs, x),
                           ra = quantize_uresq(ActScaleRule::kAls, ga, x),
                           rn = quantize_uresq(ActScaleRule::kNetworkError, gn, x);
  // The second layer is the first with a quantized input; everything before it is identical in
  // all runs, so its input is too: a searched scale can only be >= the ALS one.
  const auto& s = rs.layers.at(1);
  const auto& a = ra.layers.at(1);
  const auto& n = rn.layers.at(1);
  REQUIRE(s.abits == 4);
  CHECK(a.act_scale_rule == "als");
  CHECK(s.act_scale_rule.rfind("layer:", 0) == 0);
  CHECK(n.act_scale_rule.rfind("network:", 0) == 0);
  CHECK(s.act_scale >= a.act_scale * (1 - 1e-12));
  CHECK(n.act_scale >= a.act_scale * (1 - 1e-12));
  int searched = 0, networked = 0;
  for (const auto& l : rs.layers) searched += l.act_scale_rule.rfind("layer:", 0) == 0;
  for (const auto& l : rn.layers) networked += l.act_scale_rule.rfind("network:", 0) == 0;
  CHECK(searched >= 3);
  CHECK(networked == searched);  // the same layers have a wider min-max scale to search
  MESSAGE("W8A4 output MSE: layer " << output_mse(gs, fp, x) << ", network "
                                    << output_mse(gn, fp, x) << ", ALS " << output_mse(ga, fp, x));
}
