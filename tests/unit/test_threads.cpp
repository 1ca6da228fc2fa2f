// Per-call thread counts (DESIGN §5): a backend runs every call with its own count and leaves the
// caller's OpenMP state as it found it, and results never depend on the count.
#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <stdexcept>

#include "backends/backend.hpp"
#include "quant/grid.hpp"

using namespace efq;

namespace {

std::vector<float> seeded(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// The size of the OpenMP team that ran `be`'s parallel loop (1 when it ran sequentially).
int team_size(Backend& be) {
  std::atomic<int> most{0};
  be.parallel_for(int64_t{1} << 20, int64_t{1} << 10, [&](int64_t, int64_t) {
    int seen = most.load();
    const int now = omp_get_num_threads();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
  });
  return most.load();
}

// A 3-D convolution (oneDNN) and a per-channel 4-bit grid fit and projection of 64 × 4096
// weights (the core's parallel loops through Backend::parallel_for), on seeded data.
struct Results {
  std::vector<float> conv, projected;
  std::vector<double> scales;
};

Results compute(Backend& be) {
  Results r;
  Tensor x = Tensor::zeros({1, 8, 20, 20, 20}), w = Tensor::zeros({16, 8, 3, 3, 3}), y;
  x.f = seeded(x.f.size(), 1);
  w.f = seeded(w.f.size(), 2);
  WindowParams p;
  p.kernel = {3, 3, 3};
  p.stride = p.dilation = {1, 1, 1};
  p.pad_begin = p.pad_end = {1, 1, 1};
  int key = 0;
  be.conv(&key, p, x, w, nullptr, y);
  be.forget(&key);
  r.conv = y.f;
  quant::Quantizer q = quant::Quantizer::for_weights(quant::GridKind::kSymmetric, 4, quant::WeightRange::kNarrow);
  r.projected = seeded(64 * 4096, 3);
  quant::fit(be, q, r.projected.data(), 64, 4096, true, "als");
  quant::project(be, q, r.projected.data(), 64, 4096);
  r.scales = q.scale;
  return r;
}

}  // namespace

TEST_CASE("a 1-thread backend does not leak its count: a later default backend gets the default") {
  const int machine = omp_get_max_threads();  // this process's default, before any backend
  CAPTURE(machine);
  auto one = create_backend("cpu", 1);
  CHECK(one->info().threads == 1);
  const Results r1 = compute(*one);
  CHECK(team_size(*one) == 1);
  CHECK(omp_get_max_threads() == machine);  // the caller's thread is as it was

  auto three = create_backend("cpu", 3);  // more than this machine may have: still its own count
  CHECK(three->info().threads == 3);
  CHECK(team_size(*three) == 3);
  const Results r3 = compute(*three);
  CHECK(omp_get_max_threads() == machine);

  auto dflt = create_backend("cpu", 0);
  CHECK(dflt->info().threads == machine);
  CHECK(team_size(*dflt) == machine);
  const Results rd = compute(*dflt);
  CHECK(omp_get_max_threads() == machine);

  // Bit for bit whatever the thread count.
  CHECK(r1.conv == r3.conv);
  CHECK(r1.conv == rd.conv);
  CHECK(r1.scales == r3.scales);
  CHECK(r1.scales == rd.scales);
  CHECK(r1.projected == r3.projected);
  CHECK(r1.projected == rd.projected);
}

TEST_CASE("backend info names the backend, its device and its libraries") {
  const BackendInfo i = create_backend("cpu", 2)->info();
  CHECK(i.name == "cpu");
  CHECK(i.threads == 2);
  REQUIRE(!i.devices.empty());
  CHECK(i.devices[0] == "cpu");
  const auto has = [&](const std::string& lib) {
    return std::any_of(i.versions.begin(), i.versions.end(),
                       [&](const auto& v) { return v.first == lib && !v.second.empty(); });
  };
  CHECK(has("oneDNN"));
  CHECK(has("OpenMP"));
  const std::vector<BackendInfo> all = backend_infos();
  REQUIRE(all.size() == backend_names().size());
  CHECK(all[0].name == backend_names()[0]);
}

TEST_CASE("parallel_for covers every index once and rethrows the body's exception") {
  auto be = create_backend("cpu", 2);
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{100000}}) {
    CAPTURE(n);
    std::vector<int> hits(static_cast<size_t>(n), 0);
    std::atomic<bool> bad_range{false};
    be->parallel_for(n, 3, [&](int64_t b, int64_t e) {
      if (b < 0 || b >= e || e > n) {
        bad_range = true;
        return;
      }
      for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
    });
    CHECK(!bad_range);
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
  }
  CHECK_THROWS_AS(be->parallel_for(1000, 10,
                                   [](int64_t b, int64_t) {
                                     if (b > 500) throw std::runtime_error("range failed");
                                   }),
                  std::runtime_error);
}

TEST_CASE("the conv output-size helpers follow ONNX for conv, pooling and ConvTranspose") {
  WindowParams p;
  p.kernel = {3};
  p.stride = {2};
  p.dilation = {2};
  p.pad_begin = {1};
  p.pad_end = {2};
  p.output_padding = {1};
  CHECK(window_extent(p, 0) == 5);
  CHECK(conv_output_size(p, 0, 10) == (10 + 3 - 5) / 2 + 1);             // 5
  CHECK(conv_transpose_output_size(p, 0, 5) == 4 * 2 - 3 + 5 + 1);       // 11
  CHECK(conv_output_shape(p, {2, 4, 10}, 7) == Shape{2, 7, 5});
  CHECK(conv_output_shape(p, {2, 4, 5}, 7, /*transposed=*/true) == Shape{2, 7, 11});
}
