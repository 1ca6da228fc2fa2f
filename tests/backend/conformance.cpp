// The backend conformance suite (issue 12, DESIGN §5): every method of backends/backend.hpp's
// Backend and AdmmSystem, on every non-CPU device found, against the CPU backend (the oracle) on
// seeded random inputs with explicit tolerances. A method of those classes without a case here
// fails the suite (the method list is read from the header itself).
//
// Exit status: 0 all passed; 1 a case failed or a method has no case; 77 (ctest's SKIP_RETURN_CODE)
// when no device other than the CPU exists, saying why — unless the environment has CI set, where
// a skip is a failure.
//
// Tolerances. u = 2^-24 (float unit roundoff). Sums: a float sum of n terms in any order is within
// γ_n·Σ|terms| ≈ n·u·Σ|terms| of the exact sum (Higham, Accuracy and Stability, §3.1), so two
// backends summing in different orders differ by at most 2·n·u·Σ|terms|; Σ|terms| comes from the
// CPU backend run on absolute values. Elementwise maps: the ulp bounds of the OpenCL 1.2 spec
// (§7.4: exp 3 ulp, tanh/erf ≤ 16, pow 16, division 2.5 ulp) plus the CPU's own ≤ 1 ulp. The
// solver's W-step and loss: a relative bound measured on PoCL (see each case) with a 10× margin.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "conformance.hpp"

namespace efq::conformance {
namespace {

// ---- cases: one or more per method ---------------------------------------------------------

void case_name_info(Ctx& c) {
  const BackendInfo i = c.dev.info();
  if (i.name != c.dev.name() || i.name.empty() || i.name == "cpu")
    throw CaseFailure("info().name '" + i.name + "' vs name() '" + c.dev.name() + "'");
  if (i.devices.size() != 1) throw CaseFailure("info() lists " + std::to_string(i.devices.size()) + " devices, not 1");
  if (i.threads < 1) throw CaseFailure("info().threads < 1");
  if (i.versions.empty()) throw CaseFailure("info() lists no library versions");
}

void case_parallel_for(Ctx& c) {
  const int64_t n = 10007;
  std::vector<std::atomic<int>> hits(n);
  c.dev.parallel_for(n, 100, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (int64_t i = 0; i < n; ++i)
    if (hits[i] != 1) throw CaseFailure("parallel_for ran index " + std::to_string(i) + " " + std::to_string(hits[i].load()) + " times");
  bool thrown = false;
  try {
    c.dev.parallel_for(n, 10, [&](int64_t b, int64_t) {
      if (b == 0) fail(ErrorCode::kNumerical, "from the body");
    });
  } catch (const Error& e) {
    thrown = e.code() == ErrorCode::kNumerical;
  }
  if (!thrown) throw CaseFailure("parallel_for did not rethrow the body's exception");
}

// conv: 3-D with stride/dilation/asymmetric padding, a grouped 3-D one, a 2-D and a 1-D one.
void case_conv(Ctx& c) {
  struct G {
    Shape x, w;
    WindowParams p;
    bool bias;
  };
  const G gs[] = {
      {{1, 3, 7, 6, 5}, {4, 3, 3, 3, 3}, window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}), true},
      {{2, 4, 9, 8, 7}, {6, 2, 3, 2, 3}, window({3, 2, 3}, {2, 1, 2}, {2, 1, 1}, {1, 0, 2}, {2, 1, 0}, 2), true},
      {{1, 5, 12, 11}, {3, 5, 3, 3}, window({3, 3}, {1, 2}, {1, 1}, {1, 1}, {1, 1}), false},
      {{1, 2, 20}, {3, 2, 5}, window({5}, {3}, {2}, {2}, {1}), true},
  };
  int n = 0;
  for (const G& g : gs) {
    const Tensor x = random_tensor(c.rng, g.x), w = random_tensor(c.rng, g.w), b = random_tensor(c.rng, {g.w[0]});
    Tensor yc, yd, mag;
    c.cpu.conv(&g, g.p, x, w, g.bias ? &b : nullptr, yc);
    c.dev.conv(&g, g.p, x, w, g.bias ? &b : nullptr, yd);
    const Tensor ab = abs_of(b);
    c.cpu.conv(&n, g.p, abs_of(x), abs_of(w), g.bias ? &ab : nullptr, mag);
    c.cpu.forget(&n);
    expect_close("conv case " + std::to_string(n++), yd, yc, sum_bound(mag, g.w[1] * taps(g.p) + 1));
    c.cpu.forget(&g);
    c.dev.forget(&g);
  }
}

void case_conv_transpose(Ctx& c) {
  struct G {
    Shape x, w;
    WindowParams p;
  };
  G gs[] = {
      {{1, 4, 3, 4, 3}, {4, 3, 2, 2, 2}, window({2, 2, 2}, {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0})},
      {{1, 4, 3, 3, 4}, {4, 2, 3, 3, 3}, window({3, 3, 3}, {2, 2, 1}, {1, 1, 1}, {1, 1, 1}, {1, 0, 1}, 2)},
  };
  gs[1].p.output_padding = {1, 1, 0};
  gs[1].p.transposed = gs[0].p.transposed = true;
  int n = 0;
  for (const G& g : gs) {
    const Tensor x = random_tensor(c.rng, g.x), w = random_tensor(c.rng, g.w);
    const Tensor b = random_tensor(c.rng, {g.w[1] * g.p.group});
    Tensor yc, yd, mag;
    c.cpu.conv_transpose(&g, g.p, x, w, &b, yc);
    c.dev.conv_transpose(&g, g.p, x, w, &b, yd);
    const Tensor ab = abs_of(b);
    c.cpu.conv_transpose(&n, g.p, abs_of(x), abs_of(w), &ab, mag);
    c.cpu.forget(&n);
    expect_close("conv_transpose case " + std::to_string(n++), yd, yc,
                 sum_bound(mag, g.w[0] / g.p.group * taps(g.p) + 1));
    c.cpu.forget(&g);
    c.dev.forget(&g);
  }
}

// Integer codes: both backends sum integers exactly (|Σ| < 2^24 here: 4·27 taps · 255 · 127), so
// they differ only in applying scale and bias: a few roundings of |acc·scale| + |bias|.
void case_conv_int8(Ctx& c) {
  for (bool u8 : {true, false}) {
    const WindowParams p = window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1});
    Int8Conv w;
    w.weight_shape = {5, 4, 3, 3, 3};
    std::uniform_int_distribution<int> code(-127, 127);
    for (int64_t i = 0; i < shape_numel(w.weight_shape); ++i) w.codes.push_back(static_cast<int8_t>(code(c.rng)));
    const Tensor s = random_tensor(c.rng, {5}, 0.001f, 0.01f), b = random_tensor(c.rng, {5});
    w.weight_scale = s.f;
    w.bias = b.f;
    w.x_scale = 0.02f;
    w.x_unsigned = u8;
    w.x_qmin = u8 ? 0 : -127;
    w.x_qmax = u8 ? 255 : 127;
    const Tensor x = random_tensor(c.rng, {1, 4, 6, 5, 7}, u8 ? 0.f : -3.f, 3.f);
    Tensor yc, yd;
    c.cpu.conv_int8(&w, p, x, w, yc);
    c.dev.conv_int8(&w, p, x, w, yd);
    const int64_t inner = yc.numel() / 5;
    expect_close(std::string("conv_int8 ") + (u8 ? "u8" : "s8"), yd, yc, [&](size_t i) {
      const double bias = std::fabs(w.bias[(i / inner) % 5]);
      return 8 * kU * (std::fabs(yc.f[i]) + 2 * bias);
    });
    c.cpu.forget(&w);
    c.dev.forget(&w);
  }
}

void case_pool(Ctx& c) {
  const Tensor x = random_tensor(c.rng, {2, 3, 8, 7, 6});
  const WindowParams ps[] = {window({2, 2, 2}, {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}),
                             window({3, 3, 2}, {2, 1, 2}, {1, 1, 1}, {1, 1, 0}, {1, 0, 1})};
  for (const WindowParams& p : ps)
    for (PoolKind k : {PoolKind::kMax, PoolKind::kAverageIncludePad, PoolKind::kAverageExcludePad}) {
      Tensor yc, yd, mag;
      c.cpu.pool(k, p, x, yc);
      c.dev.pool(k, p, x, yd);
      c.cpu.pool(k == PoolKind::kMax ? PoolKind::kMax : k, p, abs_of(x), mag);
      // max: exact; average: a sum of ≤ taps terms and one division (mag = mean of |x|, so
      // Σ|terms| / count = mag).
      expect_close("pool kind " + std::to_string(static_cast<int>(k)), yd, yc,
                   k == PoolKind::kMax ? std::function<double(size_t)>([](size_t) { return 1e-30; })
                                       : sum_bound(mag, taps(p) + 2));
    }
}

void case_unary(Ctx& c) {
  // (kind, ulps per the OpenCL 1.2 spec + CPU's 1, absolute floor for results near 0, lo, hi)
  struct U {
    UnaryKind k;
    double ulp, abs;
    float lo, hi;
  };
  const U us[] = {{UnaryKind::kRelu, 0, 0, -2, 2},       {UnaryKind::kLeakyRelu, 0, 0, -2, 2},
                  {UnaryKind::kElu, 5, 2 * kU, -3, 3},   {UnaryKind::kSigmoid, 6, 0, -8, 8},
                  {UnaryKind::kTanh, 6, 2 * kU, -4, 4},  {UnaryKind::kClip, 0, 0, -2, 2},
                  {UnaryKind::kFloor, 0, 0, -9, 9},      {UnaryKind::kExp, 4, 0, -8, 8},
                  {UnaryKind::kSqrt, 4, 0, 0, 9},        {UnaryKind::kNeg, 0, 0, -2, 2},
                  {UnaryKind::kAbs, 0, 0, -2, 2},        {UnaryKind::kReciprocal, 4, 0, 0.1f, 5},
                  {UnaryKind::kErf, 17, 2 * kU, -3, 3},  {UnaryKind::kRound, 0, 0, -9, 9}};
  for (const U& u : us) {
    Tensor x = random_tensor(c.rng, {2, 3, 4, 5, 6}, u.lo, u.hi);
    if (u.k == UnaryKind::kRound) x.f[0] = 2.5f, x.f[1] = -1.5f, x.f[2] = 0.5f;  // half to even
    Tensor yc, yd;
    c.cpu.unary(u.k, 0.1f, 0.7f, x, yc);
    c.dev.unary(u.k, 0.1f, 0.7f, x, yd);
    expect_close("unary kind " + std::to_string(static_cast<int>(u.k)), yd, yc, ulps(yc, u.ulp, u.abs + 1e-30));
  }
}

void case_binary(Ctx& c) {
  const std::pair<Shape, Shape> shapes[] = {
      {{2, 3, 4, 5}, {2, 3, 4, 5}}, {{2, 3, 4, 5}, {3, 1, 5}}, {{1, 3, 1, 5}, {2, 1, 4, 1}}};
  for (const auto& s : shapes)
    for (BinaryKind k : {BinaryKind::kAdd, BinaryKind::kSub, BinaryKind::kMul, BinaryKind::kDiv,
                         BinaryKind::kPow, BinaryKind::kMax, BinaryKind::kMin}) {
      const bool pos = k == BinaryKind::kPow || k == BinaryKind::kDiv;
      const Tensor a = random_tensor(c.rng, s.first, pos ? 0.2f : -2.f, 2.f);
      const Tensor b = random_tensor(c.rng, s.second, pos ? 0.2f : -2.f, 2.f);
      Tensor yc, yd;
      c.cpu.binary(k, a, b, yc);
      c.dev.binary(k, a, b, yd);
      // + − × exact (one rounding each); ÷ 2.5 ulp; pow 16 ulp (OpenCL 1.2 §7.4) + 1.
      const double u = k == BinaryKind::kPow ? 17 : k == BinaryKind::kDiv ? 4 : 0;
      expect_close("binary kind " + std::to_string(static_cast<int>(k)) + " " + shape_str(s.first) + shape_str(s.second),
                   yd, yc, ulps(yc, u, 1e-30));
    }
}

void case_prelu(Ctx& c) {
  const Tensor x = random_tensor(c.rng, {2, 4, 3, 5, 2}), slope = random_tensor(c.rng, {4, 1, 1, 1});
  Tensor yc, yd;
  c.cpu.prelu(x, slope, yc);
  c.dev.prelu(x, slope, yd);
  expect_close("prelu", yd, yc, ulps(yc, 0, 1e-30));  // one product: exact
}

void case_channel_affine(Ctx& c) {
  const Tensor x = random_tensor(c.rng, {2, 5, 3, 4, 6});
  const Tensor s = random_tensor(c.rng, {5}), t = random_tensor(c.rng, {5});
  Tensor yc, yd;
  c.cpu.channel_affine(x, s.f, t.f, yc);
  c.dev.channel_affine(x, s.f, t.f, yd);
  // The same two roundings (FP_CONTRACT off); 1 ulp of |x·s| + |t| if a compiler fuses anyway.
  expect_close("channel_affine", yd, yc, [&](size_t i) {
    const int64_t ch = (i / 72) % 5;
    return 2 * kU * (std::fabs(x.f[i] * s.f[ch]) + std::fabs(t.f[ch])) + 1e-30;
  });
}

void case_instance_norm(Ctx& c) {
  Tensor x = random_tensor(c.rng, {2, 3, 9, 8, 7}, -1.f, 3.f);
  const Tensor s = random_tensor(c.rng, {3}), b = random_tensor(c.rng, {3});
  Tensor yc, yd;
  c.cpu.instance_norm(x, s, b, 1e-5f, yc);
  c.dev.instance_norm(x, s, b, 1e-5f, yd);
  // y = x·a + sh with a, sh rounded to float from double (or float) statistics: a few roundings of
  // |x·a| + |sh| ≤ |y| + 2|sh|; without fp64 the float mean/variance over n = 504 values add n·u.
  const double n = 9 * 8 * 7;
  expect_close("instance_norm", yd, yc, [&](size_t i) {
    return (8 + 2 * n) * kU * (std::fabs(yc.f[i]) + 2 * (std::fabs(b.f[(i / 504) % 3]) + std::fabs(s.f[(i / 504) % 3]) * 4));
  });
}

void case_softmax(Ctx& c) {
  for (int64_t axis : {1, 4}) {
    const Tensor x = random_tensor(c.rng, {2, 5, 3, 4, 6}, -4.f, 4.f);
    Tensor yc, yd;
    c.cpu.softmax(x, axis, yc);
    c.dev.softmax(x, axis, yd);
    // exp 3 ulp (OpenCL) + 1 (CPU), the sum's and the product's roundings: 8 ulp.
    expect_close("softmax axis " + std::to_string(axis), yd, yc, ulps(yc, 8, 1e-30));
  }
}

void case_resize(Ctx& c) {
  struct R {
    ResizeMode m;
    ResizeCoord co;
    ResizeNearest ne;
    Shape in, out;
  };
  const R rs[] = {
      {ResizeMode::kLinear, ResizeCoord::kHalfPixel, ResizeNearest::kRoundPreferFloor, {1, 2, 3, 4, 5}, {1, 2, 6, 8, 10}},
      {ResizeMode::kLinear, ResizeCoord::kAlignCorners, ResizeNearest::kRoundPreferFloor, {1, 2, 3, 4, 5}, {1, 2, 5, 7, 9}},
      {ResizeMode::kNearest, ResizeCoord::kAsymmetric, ResizeNearest::kFloor, {2, 3, 4, 4, 6}, {2, 3, 8, 8, 12}},
      {ResizeMode::kNearest, ResizeCoord::kHalfPixel, ResizeNearest::kRoundPreferFloor, {1, 2, 8, 6, 4}, {1, 2, 4, 3, 2}},
      {ResizeMode::kLinear, ResizeCoord::kPytorchHalfPixel, ResizeNearest::kRoundPreferFloor, {1, 3, 5, 6}, {1, 3, 10, 12}},
  };
  for (const R& r : rs) {
    ResizeParams p;
    p.mode = r.m;
    p.coord = r.co;
    p.nearest = r.ne;
    for (size_t k = 0; k < r.in.size(); ++k) p.scales.push_back(double(r.out[k]) / r.in[k]);
    const Tensor x = random_tensor(c.rng, r.in);
    Tensor yc, yd;
    c.cpu.resize(p, x, r.out, yc);
    c.dev.resize(p, x, r.out, yd);
    // Same source indices and weights (shared axis maps), same interpolation order: 21 roundings
    // of values ≤ max|x| = 1 at most (trilinear), exact for nearest.
    expect_close("resize " + shape_str(r.in) + "->" + shape_str(r.out), yd, yc,
                 [](size_t) { return 42 * kU + 1e-30; });
  }
}

void case_concat(Ctx& c) {
  for (int64_t axis : {1, 3}) {
    Shape s1{2, 3, 4, 5}, s2{2, 3, 4, 5};
    s2[axis] = 2;
    const Tensor a = random_tensor(c.rng, s1), b = random_tensor(c.rng, s2), d = random_tensor(c.rng, s1);
    Tensor yc, yd;
    c.cpu.concat({&a, &b, &d}, axis, yc);
    c.dev.concat({&a, &b, &d}, axis, yd);
    expect_close("concat axis " + std::to_string(axis), yd, yc, [](size_t) { return 1e-30; });  // copies: exact
  }
}

void case_reduce_mean(Ctx& c) {
  const Tensor x = random_tensor(c.rng, {2, 3, 5, 6, 7});
  const std::vector<std::vector<int64_t>> axes = {{2, 3, 4}, {1}, {0, 4}};
  for (const auto& ax : axes) {
    Tensor yc, yd, mag;
    c.cpu.reduce_mean(x, ax, yc);
    c.dev.reduce_mean(x, ax, yd);
    c.cpu.reduce_mean(abs_of(x), ax, mag);
    const double n = double(x.numel()) / yc.numel();
    expect_close("reduce_mean", yd, yc, sum_bound(mag, n + 1));  // mag = Σ|x| / n per output
  }
}

// forget: the weights behind a key may change after forget(key).
void case_forget(Ctx& c) {
  const WindowParams p = window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1});
  const Tensor x = random_tensor(c.rng, {1, 2, 5, 5, 5});
  Tensor w = random_tensor(c.rng, {3, 2, 3, 3, 3});
  int key = 0;
  Tensor y1, y2, yc, mag;
  c.dev.conv(&key, p, x, w, nullptr, y1);
  for (float& v : w.f) v = -2 * v;
  c.dev.forget(&key);
  c.dev.conv(&key, p, x, w, nullptr, y2);
  c.cpu.conv(&key, p, x, w, nullptr, yc);
  c.cpu.forget(&key);
  c.cpu.conv(&key, p, abs_of(x), abs_of(w), nullptr, mag);
  c.cpu.forget(&key);
  expect_close("forget: conv after new weights", y2, yc, sum_bound(mag, 55));
  c.dev.forget(&key);
}

// ---- the method list from the header -------------------------------------------------------

std::set<std::string> header_methods(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::set<std::string> out;
  for (const char* cls : {"AdmmSystem", "Backend"}) {
    const size_t b = text.find(std::string("class ") + cls + " {");
    const size_t e = text.find("\n};", b);
    if (b == std::string::npos || e == std::string::npos) throw std::runtime_error(std::string("class ") + cls + " not found in " + path);
    const std::string body = text.substr(b, e - b);
    static const std::regex virt(R"(virtual\s+[^;{(]*?\b(\w+)\s*\()");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), virt); it != std::sregex_iterator(); ++it)
      if ((*it)[1].str() != cls) out.insert(std::string(cls) + "::" + (*it)[1].str());  // not ~cls
  }
  return out;
}

struct Case {
  std::vector<std::string> methods;
  std::function<void(Ctx&)> run;
};

std::vector<Case> cases() {
  return {
      {{"Backend::name", "Backend::info"}, case_name_info},
      {{"Backend::parallel_for"}, case_parallel_for},
      {{"Backend::conv"}, case_conv},
      {{"Backend::conv_transpose"}, case_conv_transpose},
      {{"Backend::conv_int8"}, case_conv_int8},
      {{"Backend::pool"}, case_pool},
      {{"Backend::unary"}, case_unary},
      {{"Backend::binary"}, case_binary},
      {{"Backend::prelu"}, case_prelu},
      {{"Backend::channel_affine"}, case_channel_affine},
      {{"Backend::instance_norm"}, case_instance_norm},
      {{"Backend::softmax"}, case_softmax},
      {{"Backend::resize"}, case_resize},
      {{"Backend::concat"}, case_concat},
      {{"Backend::reduce_mean"}, case_reduce_mean},
      {{"Backend::gram_accumulate"}, case_gram_accumulate},
      {{"Backend::gram_accumulate"}, case_gram_loss},
      {{"Backend::admm_system"}, case_admm_system},
      {{"AdmmSystem::set_rho"}, [](Ctx& c) { admm_run(c, "set_rho"); }},
      {{"AdmmSystem::w_step"}, [](Ctx& c) { admm_run(c, "w_step"); }},
      {{"AdmmSystem::loss"}, [](Ctx& c) { admm_run(c, "loss"); }},
      {{"AdmmSystem::kind"}, case_admm_kind},
      {{"Backend::gram_quadratic"}, case_gram_quadratic},
      {{"Backend::gram_product"}, case_gram_product},
      {{"Backend::forget"}, case_forget},
  };
}
}  // namespace
}  // namespace efq::conformance

int main(int argc, char** argv) {
  using namespace efq;
  using namespace efq::conformance;
  const std::string header = argc > 1 ? argv[1] : EFQ_SOURCE_DIR "/backends/backend.hpp";
  const std::vector<Case> all = cases();
  // 1. Every method of the interface has a case (independent of any device being present).
  std::set<std::string> covered, missing;
  for (const Case& c : all) covered.insert(c.methods.begin(), c.methods.end());
  for (const std::string& m : header_methods(header))
    if (!covered.count(m)) missing.insert(m);
  int failures = 0;
  for (const std::string& m : missing) {
    std::printf("FAIL  %s has no conformance case (tests/backend/conformance*.cpp)\n", m.c_str());
    ++failures;
  }
  if (argc > 2 && std::string(argv[2]) == "--methods-only") {
    std::printf("%zu method(s) without a case\n", missing.size());
    return failures ? 1 : 0;
  }
  // 2. Every device other than the CPU, against the CPU backend.
  std::vector<DeviceInfo> devices;
  for (const DeviceInfo& d : list_devices())
    if (d.backend != "cpu") devices.push_back(d);
  if (devices.empty()) {
    const bool ci = std::getenv("CI") && *std::getenv("CI");
    std::printf("%s: no device other than the CPU was found (no OpenCL platform with a device: "
                "install pocl-opencl-icd, or the build has EFQ_WITH_OPENCL=OFF)%s\n",
                ci ? "FAIL" : "SKIPPED", ci ? "; CI is set, so a skip is a failure" : "");
    return failures || ci ? 1 : 77;
  }
  auto cpu = create_backend("cpu", 2);
  for (const DeviceInfo& d : devices) {
    std::unique_ptr<Backend> dev;
    try {
      dev = create_backend(d.id, 2);
    } catch (const std::exception& e) {
      std::printf("FAIL  %s: cannot create the backend: %s\n", d.id.c_str(), e.what());
      ++failures;
      continue;
    }
    std::printf("device %s: %s (%s)\n", d.id.c_str(), d.name.c_str(), d.vendor.c_str());
    unsigned seed = 12;
    for (const Case& c : all) {
      std::mt19937 rng(seed++);
      Ctx ctx{*cpu, *dev, rng, ""};
      std::string names;
      for (const std::string& m : c.methods) names += (names.empty() ? "" : ", ") + m;
      try {
        c.run(ctx);
        std::printf("ok    %s: %s%s%s\n", d.id.c_str(), names.c_str(), ctx.note.empty() ? "" : ": ",
                    ctx.note.c_str());
      } catch (const std::exception& e) {
        std::printf("FAIL  %s: %s: %s\n", d.id.c_str(), names.c_str(), e.what());
        ++failures;
      }
      std::fflush(stdout);
    }
  }
  std::printf("%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
