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
#include <algorithm>
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

#include "backends/backend.hpp"
#include "core/error.hpp"

namespace efq {
namespace {

constexpr double kU = 1.0 / (1 << 24);  // float unit roundoff

struct CaseFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Ctx {
  Backend& cpu;
  Backend& dev;
  std::mt19937& rng;
  std::string note;  // measured differences, printed with the case's result
};

Tensor random_tensor(std::mt19937& rng, Shape s, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  Tensor t = Tensor::zeros(std::move(s));
  for (float& v : t.f) v = d(rng);
  return t;
}

Tensor abs_of(const Tensor& t) {
  Tensor a = t;
  for (float& v : a.f) v = std::fabs(v);
  return a;
}

// Fails unless |got − want| <= tol(i) everywhere; names the worst element.
void expect_close(const std::string& what, const Tensor& got, const Tensor& want,
                  const std::function<double(size_t)>& tol) {
  if (got.shape != want.shape)
    throw CaseFailure(what + ": shape " + shape_str(got.shape) + ", CPU " + shape_str(want.shape));
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < want.f.size(); ++i) {
    const double g = got.f[i], w = want.f[i];
    const bool both_nan = std::isnan(g) && std::isnan(w);
    const double excess = both_nan ? 0 : std::isnan(g - w) ? INFINITY : std::fabs(g - w) / std::max(tol(i), 1e-300);
    if (excess > worst) {
      worst = excess;
      at = i;
    }
  }
  if (worst > 1) {
    std::ostringstream m;
    m.precision(9);
    m << what << ": element " << at << " is " << got.f[at] << ", CPU " << want.f[at]
      << " (difference " << std::fabs(double(got.f[at]) - want.f[at]) << " > tolerance " << tol(at)
      << ")";
    throw CaseFailure(m.str());
  }
}

// Tolerance for ulp-accurate maps: `ulps` units in the last place of the CPU's value, plus `abs`.
std::function<double(size_t)> ulps(const Tensor& want, double n, double abs = 0) {
  return [&want, n, abs](size_t i) { return n * 2 * kU * std::fabs(want.f[i]) + abs; };
}

// 2·n·u·Σ|terms| per element, Σ|terms| given by `mag` (the CPU backend on absolute values).
std::function<double(size_t)> sum_bound(const Tensor& mag, double n) {
  return [&mag, n](size_t i) { return 2 * n * kU * mag.f[i] + 1e-30; };
}

WindowParams window(std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> d,
                    std::vector<int64_t> pb, std::vector<int64_t> pe, int64_t group = 1) {
  WindowParams p;
  p.kernel = std::move(k);
  p.stride = std::move(s);
  p.dilation = std::move(d);
  p.pad_begin = std::move(pb);
  p.pad_end = std::move(pe);
  p.output_padding.assign(p.kernel.size(), 0);
  p.group = group;
  return p;
}

int64_t taps(const WindowParams& p) {
  int64_t t = 1;
  for (int64_t k : p.kernel) t *= k;
  return t;
}

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

// Gram statistics: A and B are float tile sums (≤ positions terms) added in double, so each entry
// is within 2·P·u·Σ|terms| (P = positions), Σ|terms| from the CPU backend on |x|, |y|, |h|.
void case_gram_accumulate(Ctx& c) {
  struct G {
    Shape x, y;
    WindowParams p;
  };
  G gs[] = {
      {{1, 3, 6, 7, 5}, {1, 4, 6, 7, 5}, window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1})},
      {{2, 2, 7, 6, 6}, {2, 3, 3, 3, 3}, window({3, 2, 2}, {2, 2, 2}, {1, 1, 1}, {1, 0, 0}, {1, 0, 0})},
      {{1, 3, 3, 4, 3}, {1, 2, 6, 8, 6}, window({2, 2, 2}, {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0})},
  };
  gs[2].p.transposed = true;
  int n = 0;
  for (const G& g : gs) {
    const Tensor x = random_tensor(c.rng, g.x), y = random_tensor(c.rng, g.y);
    const int64_t positions = shape_numel(g.y) / g.y[1];
    const Tensor h = random_tensor(c.rng, {positions}, 0.f, 3.f);
    for (bool weighted : {true, false}) {
      GramStats sc, sd, mag;
      c.cpu.gram_accumulate(g.p, x, y, weighted ? h.data() : nullptr, sc);
      c.dev.gram_accumulate(g.p, x, y, weighted ? h.data() : nullptr, sd);
      c.dev.gram_accumulate(g.p, x, y, weighted ? h.data() : nullptr, sd);  // accumulates
      c.cpu.gram_accumulate(g.p, x, y, weighted ? h.data() : nullptr, sc);
      c.cpu.gram_accumulate(g.p, abs_of(x), abs_of(y), weighted ? h.data() : nullptr, mag);
      const std::string what = "gram_accumulate case " + std::to_string(n) + (weighted ? " weighted" : "");
      if (sd.k1 != sc.k1 || sd.c2 != sc.c2 || sd.count != sc.count)
        throw CaseFailure(what + ": shape or count differs");
      const double t = 2 * 2 * positions * kU;  // two accumulations of mag's size
      for (size_t i = 0; i < sc.A.size(); ++i)
        if (std::fabs(sd.A[i] - sc.A[i]) > 2 * t * mag.A[i] + 1e-30)
          throw CaseFailure(what + ": A[" + std::to_string(i) + "] " + std::to_string(sd.A[i]) + ", CPU " + std::to_string(sc.A[i]));
      for (size_t i = 0; i < sc.B.size(); ++i)
        if (std::fabs(sd.B[i] - sc.B[i]) > 2 * t * mag.B[i] + 1e-30)
          throw CaseFailure(what + ": B[" + std::to_string(i) + "] " + std::to_string(sd.B[i]) + ", CPU " + std::to_string(sc.B[i]));
      if (std::fabs(sd.yy - sc.yy) > 1e-12 * sc.yy || std::fabs(sd.hsum - sc.hsum) > 1e-12 * sc.hsum)
        throw CaseFailure(what + ": yy or hsum differs");
    }
    ++n;
  }
}

// The statistics serve a cancelling difference: the layer loss L(θ) = θAθᵀ − 2·B·θ + yy is
// ~1e-5 of yy for a good θ (the bundled brain model's first layer: mse 5.7e-5 against outputs of
// order 1). With y = conv(x, θ) + 1e-2 noise over 64 000 positions, L(θ)/yy ≈ 3e-5, and the
// device's statistics must give L(θ) within 10% of the CPU's (float sums over too long tiles
// lose that: a single 64 000-position tile gave L ≤ 0).
void case_gram_loss(Ctx& c) {
  const WindowParams p = window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1});
  const Tensor x = random_tensor(c.rng, {1, 1, 40, 40, 40}, 0.f, 2.f), w = random_tensor(c.rng, {4, 1, 3, 3, 3});
  const Tensor b = random_tensor(c.rng, {4});
  Tensor y;
  int key = 0;
  c.cpu.conv(&key, p, x, w, &b, y);
  c.cpu.forget(&key);
  for (float& v : y.f) v += std::uniform_real_distribution<float>(-1e-2f, 1e-2f)(c.rng);
  GramStats sc, sd;
  c.cpu.gram_accumulate(p, x, y, nullptr, sc);
  c.dev.gram_accumulate(p, x, y, nullptr, sd);
  std::vector<double> theta(static_cast<size_t>(4 * 28));
  for (int64_t o = 0; o < 4; ++o) {
    for (int64_t i = 0; i < 27; ++i) theta[o * 28 + i] = w.f[o * 27 + i];
    theta[o * 28 + 27] = b.f[o];
  }
  auto loss = [&](const GramStats& g) {
    double q = 0, l = 0;
    for (int64_t o = 0; o < 4; ++o)
      for (int64_t i = 0; i < 28; ++i) {
        l += g.B[o * 28 + i] * theta[o * 28 + i];
        for (int64_t j = 0; j < 28; ++j) q += theta[o * 28 + i] * g.A[i * 28 + j] * theta[o * 28 + j];
      }
    return q - 2 * l + g.yy;
  };
  const double lc = loss(sc), ld = loss(sd);
  char buf[128];
  std::snprintf(buf, sizeof buf, "layer loss from the statistics %.4e, CPU %.4e (yy %.4e)", ld, lc, sc.yy);
  c.note = buf;
  if (!(std::fabs(ld - lc) <= 0.1 * lc)) throw CaseFailure(std::string("gram_accumulate: ") + buf);
}

// One layer's ADMM system from real Gram statistics (a random conv layer's), through set_rho,
// w_step and loss, against the CPU's. Both invert S(ρ) with the same host code, so they differ
// by the single-precision products: W = R·S⁻¹ (k = 108 terms) and P = C·G. Measured on PoCL
// (seed 12..): relative Frobenius difference of W and b ≤ 7.5e-7 over two seeds, allowed 2e-5 (k·u =
// 6.4e-6 times a margin of 3); loss ≤ 2.6e-16 relative (it is dominated by the double L(Θ0)),
// allowed 1e-5 ≥ k·u: the quadratic part's float error relative to the loss. A 0.1% error in the
// device's quadratic part fails this case (checked by mutating kernels/solver.cl).
struct Layer {
  GramStats st;
  std::vector<float> w0, b0;
};

Layer make_layer(Ctx& c, bool transposed) {
  Layer l;
  WindowParams p = window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1});
  p.transposed = transposed;
  const Tensor x = random_tensor(c.rng, {1, 4, 8, 7, 6}), w = random_tensor(c.rng, {6, 4, 3, 3, 3}, -0.2f, 0.2f);
  const Tensor b = random_tensor(c.rng, {6}, -0.1f, 0.1f);
  Tensor y;
  c.cpu.conv(&l, p, x, w, &b, y);
  c.cpu.forget(&l);
  for (float& v : y.f) v += std::uniform_real_distribution<float>(-0.05f, 0.05f)(c.rng);
  c.cpu.gram_accumulate(p, x, y, nullptr, l.st);
  l.w0 = w.f;
  l.b0 = b.f;
  return l;
}

double rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, n = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    n += double(b[i]) * b[i];
  }
  return std::sqrt(d / std::max(n, 1e-300));
}

void admm_run(Ctx& c, const char* which) {
  Layer l = make_layer(c, false);
  const int64_t k = l.st.k1 - 1, c2 = l.st.c2;
  auto sc = c.cpu.admm_system(l.st, l.st, l.w0.data(), l.b0.data(), 1e-3);
  auto sd = c.dev.admm_system(l.st, l.st, l.w0.data(), l.b0.data(), 1e-3);
  std::vector<float> v(static_cast<size_t>(c2 * k)), wc(v.size()), wd(v.size()), bc(c2), bd(c2);
  std::vector<float> z(v.size());
  std::vector<double> scale(static_cast<size_t>(c2));
  for (int64_t o = 0; o < c2; ++o) scale[o] = 0.01 + 0.01 * o;
  const std::string w = which;
  double worst_w = 0, worst_b = 0, worst_loss = 0;
  for (double rho : {0.5, 0.05, 2.0}) {
    // ρ = 0.05 with factored_rho = 0.5 lets the CPU use preconditioned CG (to ~1e-7); the
    // device may factor ρ itself. Both must give the same W-step.
    const double factored = rho == 0.05 ? 0.5 : rho;
    sc->set_rho(rho, factored);
    sd->set_rho(rho, factored);
    for (float& x : v) x = std::uniform_real_distribution<float>(-0.3f, 0.3f)(c.rng);
    if (w == "set_rho" || w == "w_step") {
      sc->w_step(v.data(), wc.data(), bc.data());
      sd->w_step(v.data(), wd.data(), bd.data());
      const double dw = rel_diff(wd, wc), db = rel_diff(bd, bc);
      worst_w = std::max(worst_w, dw);
      worst_b = std::max(worst_b, db);
      if (!(dw < 2e-5) || !(db < 2e-5))
        throw CaseFailure(w + ": ρ " + std::to_string(rho) + ": W differs by " + std::to_string(dw) +
                          " (relative), b by " + std::to_string(db) + "; allowed 2e-5");
    }
    if (w == "loss") {
      for (int it = 0; it < 3; ++it) {  // the CPU's incremental P update across calls
        for (int64_t o = 0; o < c2; ++o)
          for (int64_t i = 0; i < k; ++i)
            z[o * k + i] = static_cast<float>(scale[o] * std::nearbyint(l.w0[o * k + i] / scale[o] + (it == 0 ? 0 : std::uniform_int_distribution<int>(-1, 1)(c.rng) * (i % 7 == 0))));
        const double lc = sc->loss(z.data(), scale.data(), l.b0.data());
        const double ld = sd->loss(z.data(), scale.data(), l.b0.data());
        worst_loss = std::max(worst_loss, std::fabs(ld - lc) / std::fabs(lc));
        if (!(std::fabs(ld - lc) <= 1e-5 * std::fabs(lc) + 1e-12))
          throw CaseFailure("loss: " + std::to_string(ld) + ", CPU " + std::to_string(lc) + " (allowed relative 1e-5)");
      }
    }
  }
  char buf[160];
  if (w == "loss") std::snprintf(buf, sizeof buf, "largest relative loss difference %.2e", worst_loss);
  else std::snprintf(buf, sizeof buf, "largest relative difference W %.2e, b %.2e", worst_w, worst_b);
  c.note = buf;
}

// AdmmSystem::kind, and the sample-space W-step against the device's: a layer with fewer
// positions (27) than a quarter of its k1 (217) keeps its rows, so the CPU solves in the sample
// space; the device may solve densely. Both W-steps must agree as in admm_run.
void case_admm_kind(Ctx& c) {
  WindowParams p = window({3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1});
  const Tensor x = random_tensor(c.rng, {1, 8, 3, 3, 3}), w = random_tensor(c.rng, {5, 8, 3, 3, 3}, -0.2f, 0.2f);
  const Tensor b = random_tensor(c.rng, {5}, -0.1f, 0.1f);
  Tensor y;
  int key = 0;
  c.cpu.conv(&key, p, x, w, &b, y);
  c.cpu.forget(&key);
  for (float& v : y.f) v += std::uniform_real_distribution<float>(-0.05f, 0.05f)(c.rng);
  GramStats st;
  c.cpu.gram_accumulate(p, x, y, nullptr, st);
  if (!st.has_rows()) throw CaseFailure("the CPU backend did not keep the rows of a 27-position layer");
  auto sc = c.cpu.admm_system(st, st, w.f.data(), b.f.data(), 1e-3);
  auto sd = c.dev.admm_system(st, st, w.f.data(), b.f.data(), 1e-3);
  const std::string kc = sc->kind(), kd = sd->kind();
  if (kc != "sample space (27 rows)") throw CaseFailure("CPU kind '" + kc + "', expected 'sample space (27 rows)'");
  if (kd != "dense" && kd != kc) throw CaseFailure("device kind '" + kd + "'");
  // The floor: the CPU's own dense (single-precision) W-step on the same statistics without rows.
  GramStats dense = st;
  dense.rows.clear();
  auto sf = c.cpu.admm_system(dense, dense, w.f.data(), b.f.data(), 1e-3);
  const int64_t k = st.k1 - 1, c2 = st.c2;
  std::vector<float> v(static_cast<size_t>(c2 * k)), wc(v.size()), wd(v.size()), wf(v.size()), bc(c2),
      bd(c2), bf(c2);
  double worst = 0, floor = 0;
  for (double rho : {0.5, 2.0}) {
    sc->set_rho(rho, rho);
    sd->set_rho(rho, rho);
    sf->set_rho(rho, rho);
    for (float& t : v) t = std::uniform_real_distribution<float>(-0.3f, 0.3f)(c.rng);
    sc->w_step(v.data(), wc.data(), bc.data());
    sd->w_step(v.data(), wd.data(), bd.data());
    sf->w_step(v.data(), wf.data(), bf.data());
    floor = std::max({floor, rel_diff(wf, wc), rel_diff(bf, bc)});
    const double dw = rel_diff(wd, wc), db = rel_diff(bd, bc), allowed = std::max(2e-5, 3 * floor);
    worst = std::max({worst, dw, db});
    if (!(dw < allowed) || !(db < allowed))
      throw CaseFailure("sample-space W-step: ρ " + std::to_string(rho) + ": W differs by " +
                        std::to_string(dw) + ", b by " + std::to_string(db) + "; allowed " +
                        std::to_string(allowed) + " (3x the CPU dense path's own difference)");
  }
  char buf[200];
  std::snprintf(buf, sizeof buf, "CPU '%s', device '%s'; W-steps differ by %.2e (CPU dense vs sample: %.2e)",
                kc.c_str(), kd.c_str(), worst, floor);
  c.note = buf;
}

void case_admm_system(Ctx& c) {
  Layer l = make_layer(c, false);
  if (!c.dev.admm_system(l.st, l.st, l.w0.data(), l.b0.data(), 1e-3))
    throw CaseFailure("admm_system returned null");
  bool thrown = false;
  try {
    GramStats bad;
    bad.reset(1, 1);
    c.dev.admm_system(bad, bad, l.w0.data(), l.b0.data(), 1e-3);
  } catch (const Error&) {
    thrown = true;
  }
  if (!thrown) throw CaseFailure("admm_system accepted malformed statistics");
}

// A real layer's Gram matrix, and random symmetric ones of the first layers' orders (28: a
// 1-channel 3×3×3 input; 433: 16 channels), each with its order.
std::vector<std::pair<std::vector<double>, int64_t>> gram_matrices(Ctx& c) {
  Layer l = make_layer(c, true);
  std::vector<std::pair<std::vector<double>, int64_t>> as = {{l.st.A, l.st.k1}};
  for (int64_t n : {28, 433}) {
    std::vector<double> a(static_cast<size_t>(n * n));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j <= i; ++j)
        a[i * n + j] = a[j * n + i] = std::uniform_real_distribution<double>(-1, 1)(c.rng) + (i == j ? n : 0);
    as.emplace_back(a, n);
  }
  return as;
}

void case_gram_quadratic(Ctx& c) {
  const auto as = gram_matrices(c);
  for (const auto& [a, n] : as)
    for (int64_t rows : {1, 6, 16}) {
      std::vector<double> theta(static_cast<size_t>(n * rows));
      for (double& t : theta) t = std::uniform_real_distribution<double>(-1, 1)(c.rng);
      const double qc = c.cpu.gram_quadratic(a, n, theta.data(), rows);
      const double qd = c.dev.gram_quadratic(a, n, theta.data(), rows);
      double mag = 0;  // Σ |θ||A||θ|: double sums of n² terms per row
      for (int64_t o = 0; o < rows; ++o)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j)
            mag += std::fabs(theta[o * n + i] * a[i * n + j] * theta[o * n + j]);
      const double tol = 2 * double(n) * 1.12e-16 * mag * 2;
      if (!(std::fabs(qd - qc) <= tol))
        throw CaseFailure("gram_quadratic n " + std::to_string(n) + " rows " + std::to_string(rows) +
                          ": " + std::to_string(qd) + ", CPU " + std::to_string(qc));
    }
}

// gram_product: θ·A against the CPU backend, element by element, with a bound from the magnitudes.
void case_gram_product(Ctx& c) {
  const auto as = gram_matrices(c);
  for (const auto& [a, n] : as)
    for (int64_t rows : {1, 6, 40}) {
      std::vector<double> theta(static_cast<size_t>(n * rows)), pc(theta.size()), pd(theta.size());
      for (double& t : theta) t = std::uniform_real_distribution<double>(-1, 1)(c.rng);
      c.cpu.gram_product(a, n, theta.data(), rows, pc.data());
      c.dev.gram_product(a, n, theta.data(), rows, pd.data());
      for (int64_t o = 0; o < rows; ++o)
        for (int64_t j = 0; j < n; ++j) {
          double mag = 0;  // Σ_i |θ_oi A_ij|: a double sum of n terms
          for (int64_t i = 0; i < n; ++i) mag += std::fabs(theta[o * n + i] * a[i * n + j]);
          const double tol = 2 * double(n) * 1.12e-16 * mag;
          const size_t e = static_cast<size_t>(o * n + j);
          if (!(std::fabs(pd[e] - pc[e]) <= tol))
            throw CaseFailure("gram_product n " + std::to_string(n) + " rows " + std::to_string(rows) +
                              " at (" + std::to_string(o) + ", " + std::to_string(j) + "): " +
                              std::to_string(pd[e]) + ", CPU " + std::to_string(pc[e]));
        }
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
}  // namespace efq

int main(int argc, char** argv) {
  using namespace efq;
  const std::string header = argc > 1 ? argv[1] : EFQ_SOURCE_DIR "/backends/backend.hpp";
  const std::vector<Case> all = cases();
  // 1. Every method of the interface has a case (independent of any device being present).
  std::set<std::string> covered, missing;
  for (const Case& c : all) covered.insert(c.methods.begin(), c.methods.end());
  for (const std::string& m : header_methods(header))
    if (!covered.count(m)) missing.insert(m);
  int failures = 0;
  for (const std::string& m : missing) {
    std::printf("FAIL  %s has no conformance case (tests/backend/conformance.cpp)\n", m.c_str());
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
