// Intensity normalisation. Statistics accumulate in double: a float sum over 7 M voxels loses
// several digits.
#include "io/preprocess.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/error.hpp"

namespace efq::io {
namespace {

[[noreturn]] void bad_spec(const std::string& spec, const std::string& why) {
  fail(ErrorCode::kInvalidArgument,
       "invalid normalization '" + spec + "': " + why +
           " (expected none, zscore, zscore-nonzero, ct:LO,HI or pct:P1,P2)");
}

/// Parses "X,Y" (two finite numbers, nothing else) after the prefix.
void parse_pair(const std::string& spec, const std::string& body, double* x, double* y) {
  const size_t comma = body.find(',');
  if (comma == std::string::npos) bad_spec(spec, "two comma-separated numbers are needed");
  auto number = [&](const std::string& s) {
    const char* begin = s.c_str();
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(begin, &end);
    while (end && *end == ' ') ++end;
    if (s.empty() || end == begin || *end != '\0' || errno == ERANGE || !std::isfinite(v))
      bad_spec(spec, "'" + s + "' is not a number");
    return v;
  };
  *x = number(body.substr(0, comma));
  *y = number(body.substr(comma + 1));
}

/// The p-th percentile (0..100) of `v` (reordered), numpy's default linear interpolation.
double percentile(std::vector<float>& v, double p) {
  const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  if (lo + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (b - a) * (pos - static_cast<double>(lo));
}

void zscore(std::vector<float>& data, bool nonzero_only) {
  double sum = 0.0;
  int64_t n = 0;
  for (float x : data) {
    if (nonzero_only && x == 0.0f) continue;
    sum += x;
    ++n;
  }
  if (n == 0) return;
  const double mean = sum / static_cast<double>(n);
  double ss = 0.0;
  for (float x : data) {
    if (nonzero_only && x == 0.0f) continue;
    ss += (x - mean) * (x - mean);
  }
  const double sd = std::max(std::sqrt(ss / static_cast<double>(n)), 1e-8);
  for (float& x : data) {
    if (nonzero_only && x == 0.0f) continue;
    x = static_cast<float>((x - mean) / sd);
  }
}

}  // namespace

Normalization parse_normalization(const std::string& spec) {
  Normalization n;
  if (spec == "none") return n;
  if (spec == "zscore") {
    n.kind = Normalization::Kind::kZScore;
    return n;
  }
  if (spec == "zscore-nonzero") {
    n.kind = Normalization::Kind::kZScoreNonzero;
    return n;
  }
  if (spec.rfind("ct:", 0) == 0) {
    n.kind = Normalization::Kind::kCtWindow;
    parse_pair(spec, spec.substr(3), &n.a, &n.b);
    if (!(n.a < n.b)) bad_spec(spec, "LO must be below HI");
    return n;
  }
  if (spec.rfind("pct:", 0) == 0) {
    n.kind = Normalization::Kind::kPercentile;
    parse_pair(spec, spec.substr(4), &n.a, &n.b);
    if (n.a < 0 || n.a > 100 || n.b < 0 || n.b > 100)
      bad_spec(spec, "percentiles must lie in [0, 100]");
    if (!(n.a < n.b)) bad_spec(spec, "P1 must be below P2");
    return n;
  }
  bad_spec(spec, "unknown kind");
}

void normalize(std::vector<float>& data, const Normalization& n) {
  if (data.empty()) return;
  switch (n.kind) {
    case Normalization::Kind::kNone:
      return;
    case Normalization::Kind::kZScore:
      zscore(data, false);
      return;
    case Normalization::Kind::kZScoreNonzero:
      zscore(data, true);
      return;
    case Normalization::Kind::kCtWindow: {
      const double lo = n.a, hi = n.b, range = n.b - n.a;
      for (float& x : data) x = static_cast<float>((std::clamp<double>(x, lo, hi) - lo) / range);
      return;
    }
    case Normalization::Kind::kPercentile: {
      std::vector<float> copy(data);
      const double lo = percentile(copy, n.a);
      const double hi = percentile(copy, n.b);
      for (float& x : data) x = static_cast<float>(std::clamp<double>(x, lo, hi));
      zscore(data, false);
      return;
    }
  }
}

}  // namespace efq::io
