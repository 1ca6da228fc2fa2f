// Shared parts of the backend conformance suite (tests/backend/conformance.cpp, the operator
// cases and main; tests/backend/conformance_solver.cpp, the solver cases): the case context, the
// failure type, random inputs and the tolerance helpers (see conformance.cpp for how tolerances
// are derived).
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "core/error.hpp"

namespace efq::conformance {

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

inline Tensor random_tensor(std::mt19937& rng, Shape s, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  Tensor t = Tensor::zeros(std::move(s));
  for (float& v : t.f) v = d(rng);
  return t;
}

inline Tensor abs_of(const Tensor& t) {
  Tensor a = t;
  for (float& v : a.f) v = std::fabs(v);
  return a;
}

// Fails unless |got − want| <= tol(i) everywhere; names the worst element.
inline void expect_close(const std::string& what, const Tensor& got, const Tensor& want,
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
inline std::function<double(size_t)> ulps(const Tensor& want, double n, double abs = 0) {
  return [&want, n, abs](size_t i) { return n * 2 * kU * std::fabs(want.f[i]) + abs; };
}

// 2·n·u·Σ|terms| per element, Σ|terms| given by `mag` (the CPU backend on absolute values).
inline std::function<double(size_t)> sum_bound(const Tensor& mag, double n) {
  return [&mag, n](size_t i) { return 2 * n * kU * mag.f[i] + 1e-30; };
}

inline WindowParams window(std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> d,
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

inline int64_t taps(const WindowParams& p) {
  int64_t t = 1;
  for (int64_t k : p.kernel) t *= k;
  return t;
}

// The solver cases (conformance_solver.cpp).
void case_gram_accumulate(Ctx& c);
void case_gram_loss(Ctx& c);
void case_admm_system(Ctx& c);
void admm_run(Ctx& c, const char* which);  // which: the AdmmSystem method checked
void case_admm_kind(Ctx& c);
void case_gram_quadratic(Ctx& c);
void case_gram_product(Ctx& c);

}  // namespace efq::conformance
