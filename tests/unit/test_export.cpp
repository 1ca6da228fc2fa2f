// Export round trips: the fake-quant ONNX, the QDQ ONNX and the packed .efq file reproduce the
// in-memory quantized model; the C99 reader decodes the same codes.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "backends/backend.hpp"
#include "core/error.hpp"
#include "infer/executor.hpp"
#include "npy.hpp"
#include "onnx/efq_format.hpp"
#include "onnx/export.hpp"
#include "onnx/import.hpp"
#include "quant/driver.hpp"

extern "C" {
#include "../../examples/efq_reader/efq_reader.h"
}

using namespace efq;

namespace {

Tensor forward(const Graph& g, const Tensor& x) {
  auto be = create_backend("cpu", 0);
  Executor ex(g, *be);
  std::vector<Tensor> in{x};
  return ex.run(std::move(in)).at(0);
}

// uresq fixture quantized at `bits` with the given grid, from its own fixture input.
Graph quantized_uresq(int bits, quant::GridKind grid, Tensor* x_out) {
  const std::string fix = std::string(EFQ_TEST_DATA) + "/fixtures/";
  Graph g = import_onnx_file(fix + "uresq.onnx");
  Tensor x = test::read_npy(fix + "uresq.input.npy");
  auto be = create_backend("cpu", 0);
  quant::QuantOptions o = grid == quant::GridKind::kFaithful ? quant::QuantOptions::faithful()
                                                             : quant::QuantOptions{};
  o.grid = grid;
  o.wbits = bits;
  o.abits = 8;
  o.admm.iterations = 5;  // the formats are under test here, not the solver
  quant::quantize_graph(g, *be, x, nullptr, Conventions{}, o, {});
  *x_out = x;
  return g;
}

bool bit_equal(const Tensor& a, const Tensor& b) {
  return a.shape == b.shape && std::memcmp(a.f.data(), b.f.data(), a.f.size() * 4) == 0;
}

}  // namespace

TEST_CASE(".efq round trip reproduces the quantized model bit for bit at 2, 3, 4 and 8 bits") {
  struct Case { quant::GridKind grid; int bits; };
  for (Case cs : {Case{quant::GridKind::kSymmetric, 2}, Case{quant::GridKind::kSymmetric, 3},
                  Case{quant::GridKind::kSymmetric, 4}, Case{quant::GridKind::kSymmetric, 8},
                  Case{quant::GridKind::kFaithful, 2}, Case{quant::GridKind::kFaithful, 4},
                  Case{quant::GridKind::kAsymmetric, 4}}) {
    const quant::GridKind grid = cs.grid;
    const int bits = cs.bits;
    {
      CAPTURE(bits);
      CAPTURE(static_cast<int>(grid));
      Tensor x;
      Graph g = quantized_uresq(bits, grid, &x);
      const Tensor want = forward(g, x);
      const std::string bytes = efq_bytes(g);
      Graph back = load_efq_bytes(bytes, "roundtrip.efq");
      CHECK(bit_equal(forward(back, x), want));
      CHECK(back.weight_quant.size() == g.weight_quant.size());
      // Re-saving gives the same file.
      CHECK(efq_bytes(back) == bytes);
      // The C99 reader decodes the same codes and weights.
      const auto* f = reinterpret_cast<const unsigned char*>(bytes.data());
      const unsigned char* graph = nullptr;
      uint64_t gsize = 0;
      char msg[128];
      REQUIRE(efqr_open(f, bytes.size(), &graph, &gsize, msg) == 0);
      efqr_layer L;
      unsigned i = 0;
      for (; efqr_layer_at(f, bytes.size(), i, &L, msg) == 0; ++i) {
        const WeightQuant& q = g.weight_quant.at(L.node);
        REQUIRE(L.num_codes == q.codes.size());
        bool same = true;
        for (uint64_t k = 0; k < L.num_codes; ++k) same &= efqr_code(&L, k) == q.codes[k];
        CHECK(same);
        const Tensor& w = back.values[back.find_value(L.weight)].data;
        bool wsame = true;
        for (uint64_t k = 0; k < L.num_codes; ++k) wsame &= efqr_weight(&L, k) == w.f[k];
        CHECK(wsame);
      }
      CHECK(i == g.weight_quant.size());
      // Size: codes at their real width.
      const EfqSize s = efq_size(g);
      CHECK(s.packed_code_bytes < s.fp32_weight_bytes * (bits + 1) / 32 + 64);
    }
  }
}

TEST_CASE("a corrupt or truncated .efq file is a format error") {
  Tensor x;
  Graph g = quantized_uresq(4, quant::GridKind::kSymmetric, &x);
  const std::string bytes = efq_bytes(g);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  for (const std::string& bad : {flipped, bytes.substr(0, bytes.size() - 9), std::string("EFQ1"),
                                 std::string("not an efq file at all")}) {
    try {
      load_efq_bytes(bad, "bad.efq");
      FAIL("accepted a bad file");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kFormat);
    }
    char msg[128];
    const unsigned char* graph;
    uint64_t gs;
    CHECK(efqr_open(reinterpret_cast<const unsigned char*>(bad.data()), bad.size(), &graph, &gs, msg) != 0);
  }
}

TEST_CASE("fake-quant and QDQ ONNX exports reload to the same outputs") {
  Tensor x;
  Graph g = quantized_uresq(4, quant::GridKind::kSymmetric, &x);
  const Tensor want = forward(g, x);
  Graph fq = import_onnx_bytes(export_onnx_bytes(g, OnnxFormat::kFakeQuant), "fq.onnx");
  CHECK(bit_equal(forward(fq, x), want));
  Graph qdq = import_onnx_bytes(export_onnx_bytes(g, OnnxFormat::kQdq), "qdq.onnx");
  const Tensor got = forward(qdq, x);
  REQUIRE(got.shape == want.shape);
  CHECK(bit_equal(got, want));  // weights stored as DequantizeLinear computes them
  // The Q/DQ pairs come back as activation quantizers and the int8 weights as codes, so the
  // reloaded model can run real int8 convolutions and be re-exported.
  int quantizers = 0;
  for (const Node& n : qdq.nodes) quantizers += n.op == "EfqFakeQuant";
  CHECK(quantizers == 14);
  CHECK(qdq.weight_quant.size() == g.weight_quant.size());
  for (const auto& kv : g.weight_quant) CHECK(qdq.weight_quant.at(kv.first).codes == kv.second.codes);
}

TEST_CASE("real int8 convolutions reproduce the fake-quant network") {
  for (int bits : {8, 4}) {
    CAPTURE(bits);
    Tensor x;
    Graph g = quantized_uresq(bits, quant::GridKind::kSymmetric, &x);
    const Tensor want = forward(g, x);
    auto be = create_backend("cpu", 0);
    Executor ex(g, *be);
    CHECK(ex.enable_int8() == 14);  // every layer with a quantized input (not the first/last)
    std::vector<Tensor> in{x};
    const Tensor got = ex.run(std::move(in)).at(0);
    REQUIRE(got.shape == want.shape);
    // Integer accumulation vs float: tiny differences, which may flip an activation code.
    double mean = 0;
    for (size_t i = 0; i < got.f.size(); ++i) mean += std::fabs(got.f[i] - want.f[i]);
    mean /= static_cast<double>(got.f.size());
    CAPTURE(mean);
    CHECK(mean < 1e-3);
  }
}
