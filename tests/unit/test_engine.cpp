// The FP32 engine against PyTorch/onnxruntime outputs of models exported by
// tools/train/export_fixtures.py (tests/data/fixtures).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <iterator>

#include "backends/backend.hpp"
#include "core/error.hpp"
#include "infer/executor.hpp"
#include "infer/sliding_window.hpp"
#include "npy.hpp"
#include "onnx/import.hpp"

using namespace efq;

namespace {

const std::string kFix = std::string(EFQ_TEST_DATA) + "/fixtures/";

Tensor run_model(const Graph& g, Tensor x) {
  auto be = create_backend("cpu", 0);
  Executor ex(g, *be);
  std::vector<Tensor> in;
  in.push_back(std::move(x));
  return ex.run(std::move(in)).at(0);
}

}  // namespace

TEST_CASE("whole-input inference matches PyTorch on the exported fixture networks") {
  for (const char* name : {"uresq", "monai_unet", "nnunet_plain"}) {
    CAPTURE(name);
    Graph g = import_onnx_file(kFix + name + ".onnx");
    Tensor x = test::read_npy(kFix + name + ".input.npy");
    Tensor want = test::read_npy(kFix + name + ".expected.npy");
    Tensor got = run_model(g, x);
    REQUIRE(got.shape == want.shape);
    float diff = test::max_abs_diff(got, want);
    CAPTURE(diff);
    CHECK(diff <= 1e-4f);
  }
}

TEST_CASE("BatchNormalization is folded into the preceding convolution") {
  Graph g = import_onnx_file(kFix + "uresq.onnx");
  for (const Node& n : g.nodes) CHECK(n.op != "BatchNormalization");
  CHECK(!quantizable_nodes(g).empty());
}

TEST_CASE("shape inference agrees with execution") {
  Graph g = import_onnx_file(kFix + "nnunet_plain.onnx");
  Tensor x = test::read_npy(kFix + "nnunet_plain.input.npy");
  auto be = create_backend("cpu", 0);
  Executor ex(g, *be);
  auto shapes = ex.infer_shapes({x.shape});
  Tensor want = test::read_npy(kFix + "nnunet_plain.expected.npy");
  CHECK(shapes[g.outputs[0]] == want.shape);
}

TEST_CASE("sliding-window inference matches the NumPy + onnxruntime reference") {
  Graph g = import_onnx_file(kFix + "uresq.onnx");
  Tensor x = test::read_npy(kFix + "uresq.sw_input.npy");
  auto be = create_backend("cpu", 0);
  Executor ex(g, *be);
  auto net = [&](Tensor&& p) {
    std::vector<Tensor> in;
    in.push_back(std::move(p));
    return std::move(ex.run(std::move(in)).at(0));
  };
  struct Case {
    const char* file;
    double overlap;
    bool gaussian;
  };
  for (Case c : {Case{"uresq.sw_gaussian_o25.npy", 0.25, true},
                 Case{"uresq.sw_constant_o50.npy", 0.5, false}}) {
    CAPTURE(c.file);
    SlidingWindowOptions o;
    o.roi = {16, 32, 16};
    o.overlap = c.overlap;
    o.gaussian = c.gaussian;
    Tensor got = sliding_window(x, o, net);
    Tensor want = test::read_npy(kFix + c.file);
    REQUIRE(got.shape == want.shape);
    float diff = test::max_abs_diff(got, want);
    CAPTURE(diff);
    CHECK(diff <= 1e-4f);
  }
}

TEST_CASE("window starts follow MONAI's dense_patch_slices") {
  CHECK(window_starts(40, 24, 0.25) == std::vector<int64_t>{0, 16});
  CHECK(window_starts(52, 24, 0.25) == std::vector<int64_t>{0, 18, 28});
  CHECK(window_starts(24, 24, 0.5) == std::vector<int64_t>{0});
  CHECK(window_starts(100, 10, 0.0) == std::vector<int64_t>{0, 10, 20, 30, 40, 50, 60, 70, 80, 90});
}

TEST_CASE("a truncated model gives a format error, not a crash") {
  std::ifstream f(kFix + "uresq.onnx", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (size_t cut : {size_t{10}, bytes.size() / 3, bytes.size() - 7}) {
    CAPTURE(cut);
    try {
      import_onnx_bytes(bytes.substr(0, cut), "truncated.onnx");
      FAIL("truncated model was accepted");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kFormat);
    }
  }
}

TEST_CASE("a QDQ model written by onnxruntime's quantize_static runs like it does in onnxruntime") {
  // tests/data/fixtures/uresq_ort_qdq.onnx: tools/train/ort_qdq_fixture.py (per-channel int8
  // weights, uint8 activations with zero points, extra opset domains declared).
  Graph g = import_onnx_file(kFix + "uresq_ort_qdq.onnx");
  Tensor x = test::read_npy(kFix + "uresq.input.npy");
  Tensor want = test::read_npy(kFix + "uresq_ort_qdq.expected.npy");
  Tensor got = run_model(g, x);
  REQUIRE(got.shape == want.shape);
  // The same arithmetic; only where a rounding decision flips one activation code do the two
  // runtimes differ. Compare with the size of the quantization effect itself (vs FP32).
  const Tensor fp = test::read_npy(kFix + "uresq.expected.npy");
  double mean = 0, effect = 0;
  for (size_t i = 0; i < got.f.size(); ++i) {
    mean += std::fabs(got.f[i] - want.f[i]);
    effect += std::fabs(want.f[i] - fp.f[i]);
  }
  mean /= static_cast<double>(got.f.size());
  effect /= static_cast<double>(got.f.size());
  // Every activation here is quantized (quantize_static puts Q/DQ on all of them), so flipped
  // ties propagate further than in our own exports: measured 0.12 of the effect, labels ~99.9 %.
  int64_t same = 0, vox = got.numel() / got.shape[1];
  for (int64_t v = 0; v < vox; ++v) {
    int64_t a = 0, b = 0;
    for (int64_t c = 1; c < got.shape[1]; ++c) {
      if (got.f[c * vox + v] > got.f[a * vox + v]) a = c;
      if (want.f[c * vox + v] > want.f[b * vox + v]) b = c;
    }
    same += a == b;
  }
  CAPTURE(mean);
  CAPTURE(effect);
  CHECK(mean < 0.25 * effect);
  CHECK(static_cast<double>(same) / static_cast<double>(vox) > 0.995);
  CHECK(!g.weight_quant.empty());  // the int8 weights were recognised as codes
}

TEST_CASE("a rewrite hook changes the node about to run; a const graph's executor refuses one") {
  Graph g = import_onnx_file(kFix + "uresq.onnx");
  const Tensor x = test::read_npy(kFix + "uresq.input.npy");
  const Tensor fp = run_model(g, x);
  const std::vector<int> layers = quantizable_nodes(g);
  REQUIRE(!layers.empty());
  const int first = layers.front();
  auto be = create_backend("cpu", 0);
  {
    Executor ex(g, *be);  // mutable: the rewrite zeroes the first layer's weights as it runs
    int rewrites = 0;
    ex.rewrite = [&](int k, Graph& graph, const std::vector<const Tensor*>&) {
      CHECK(&graph == &g);
      ++rewrites;
      if (k != first) return;
      Tensor& w = graph.values[graph.nodes[k].inputs[1]].data;
      for (int64_t i = 0; i < w.numel(); ++i) w.data()[i] = 0.0f;
    };
    std::vector<Tensor> in{x};
    const Tensor out = ex.run(std::move(in)).at(0);
    CHECK(rewrites == static_cast<int>(g.nodes.size()));
    CHECK(test::max_abs_diff(out, fp) > 1e-3f);  // the node ran with the rewritten weights
    CHECK(test::max_abs_diff(out, run_model(g, x)) == 0.0f);  // and the graph kept them
  }
  const Graph& read_only = g;
  Executor ex(read_only, *be);
  ex.rewrite = [](int, Graph&, const std::vector<const Tensor*>&) {};
  std::vector<Tensor> in{x};
  try {
    ex.run(std::move(in));
    FAIL("a rewrite hook ran on a const graph");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kInternal);
  }
}
