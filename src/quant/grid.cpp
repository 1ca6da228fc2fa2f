#include "quant/grid.hpp"

#include <algorithm>
#include <cstring>
#include <cmath>

#include "core/error.hpp"

namespace efq::quant {

GridKind parse_grid(const std::string& s) {
  if (s == "faithful") return GridKind::kFaithful;
  if (s == "symmetric") return GridKind::kSymmetric;
  if (s == "asymmetric") return GridKind::kAsymmetric;
  fail(ErrorCode::kInvalidArgument, "grid '" + s + "' (expected symmetric|asymmetric|faithful)");
}

std::string to_string(GridKind g) {
  return g == GridKind::kFaithful ? "faithful" : g == GridKind::kSymmetric ? "symmetric" : "asymmetric";
}

WeightRange parse_weight_range(const std::string& s) {
  if (s == "odd") return WeightRange::kOdd;
  if (s == "full") return WeightRange::kFull;
  if (s == "narrow") return WeightRange::kNarrow;
  fail(ErrorCode::kInvalidArgument, "weight grid '" + s + "' (expected odd|full|narrow)");
}

std::string to_string(WeightRange r) {
  return r == WeightRange::kOdd ? "odd" : r == WeightRange::kFull ? "full" : "narrow";
}

namespace {

// The code set of a grid with L = 2^bits levels (scale 1, zero point 0 until fitted).
Quantizer make_quantizer(GridKind kind, int bits, bool is_signed) {
  Quantizer q;
  q.kind = kind;
  q.bits = bits;
  q.is_signed = is_signed;
  const int64_t L = int64_t{1} << bits;
  if (kind == GridKind::kFaithful) {  // odd integers in ±(L−1)
    q.qmin = -(L - 1);
    q.qmax = L - 1;
    q.qstep = 2;
  } else if (kind == GridKind::kSymmetric) {  // narrow range
    q.qmax = L / 2 - 1;
    q.qmin = -q.qmax;
  } else {
    q.qmin = 0;
    q.qmax = L - 1;
  }
  q.scale = {1.0};
  q.zero_point = {0};
  return q;
}

}  // namespace

Quantizer Quantizer::for_weights(GridKind kind, int bits, WeightRange range) {
  if (bits < 2 || bits > 8) fail(ErrorCode::kInvalidArgument, "weight bits must be 2..8");
  Quantizer q = make_quantizer(kind, bits, true);
  if (kind != GridKind::kSymmetric || bits == 8 || range == WeightRange::kNarrow) return q;
  const int64_t L = int64_t{1} << bits;
  if (range == WeightRange::kOdd) {  // odd integers in ±(L−1): exact int8 codes up to 7 bits
    q.qmin = -(L - 1);
    q.qmax = L - 1;
    q.qstep = 2;
  } else {  // full two's-complement range
    q.qmin = -L / 2;
    q.qmax = L / 2 - 1;
  }
  return q;
}

Quantizer Quantizer::for_activations(GridKind kind, int bits, bool is_signed) {
  if (bits < 2 || bits > 8) fail(ErrorCode::kInvalidArgument, "activation bits must be 2..8");
  if (!is_signed) {  // faithful and symmetric coincide: L levels on [0, α]
    Quantizer q = make_quantizer(GridKind::kAsymmetric, bits, false);
    q.kind = kind == GridKind::kAsymmetric ? GridKind::kSymmetric : kind;
    return q;
  }
  // The reference has no signed activation grid (METHOD §7.5); signed inputs get the
  // narrow-range symmetric grid, which keeps activation codes on a unit step.
  return make_quantizer(kind == GridKind::kAsymmetric ? kind : GridKind::kSymmetric, bits, true);
}

int64_t Quantizer::code(double v, size_t ch) const {
  double t = v / scale[ch] + static_cast<double>(zero_point[ch]);
  if (qstep == 2) {  // odd integers: round (t+1)/2 then map back
    double k = round_half_even((t - static_cast<double>(qmin)) / 2.0);
    int64_t q = qmin + 2 * static_cast<int64_t>(k);
    return std::min(std::max(q, qmin), qmax);
  }
  if (!(t == t)) return zero_point[ch];
  double r = round_half_even(std::min(std::max(t, static_cast<double>(qmin)), static_cast<double>(qmax)));
  return static_cast<int64_t>(r);
}

namespace {

// Scale-free normalisation: the reference starts α = mean|v| with levels on [−1, 1]; in code
// units that is scale = mean|v| / qmax.
double initial_scale(const float* v, int64_t n, int64_t stride, const Quantizer& q) {
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += std::fabs(v[k * stride]);
  s /= std::max<int64_t>(n, 1);
  const double top = static_cast<double>(std::max(std::llabs(q.qmax), std::llabs(q.qmin)));
  return s / top;
}

}  // namespace

double fit_scale_als(const float* v, int64_t n, int64_t stride, const Quantizer& q0,
                     int* iterations_out, double init) {
  Quantizer q = q0;
  q.scale = {init > 0 ? init : initial_scale(v, n, stride, q0)};
  q.zero_point = {0};
  if (!(q.scale[0] > 0) || !std::isfinite(q.scale[0])) {
    if (iterations_out) *iterations_out = 0;
    return 1.0;  // all-zero tensor (METHOD §10.8): any scale represents it
  }
  const int64_t levels = (q.qmax - q.qmin) / q.qstep + 1;
  const int maxit = static_cast<int>(100 * levels);
  // The reference's stopping rule is |Δα| ≤ 1e-5 on the [−1,1]-normalised scale α = s·qmax.
  const double unit = static_cast<double>(std::max(std::llabs(q.qmax), std::llabs(q.qmin)));
  auto sq_error = [&](double sc) {
    Quantizer t = q;
    t.scale[0] = sc;
    double e = 0;
    for (int64_t k = 0; k < n; ++k) {
      const double d = v[k * stride] - t.value(t.code(v[k * stride], 0), 0);
      e += d * d;
    }
    return e;
  };
  double prev = -999, prev2 = -1999;
  int it = 0;
  while (std::fabs(q.scale[0] * unit - prev * unit) > 1e-5 && it < maxit) {
    double num = 0, den = 0;
    if (q.qstep == 1 && q.zero_point[0] == 0 && stride == 1) {
      // Hot path (every Z-step of every ADMM iteration): branch-free, vectorizable.
      const double s = q.scale[0], lo = static_cast<double>(q.qmin), hi = static_cast<double>(q.qmax);
      for (int64_t k = 0; k < n; ++k) {
        const double x = v[k];
        const double b = round_half_even(std::min(std::max(x / s, lo), hi));
        num += b * x;
        den += b * b;
      }
    } else if (q.qstep == 2 && q.zero_point[0] == 0 && stride == 1) {
      // Odd codes (the odd weight range, the faithful grid): code()'s arithmetic, branch-free.
      const double s = q.scale[0], lo = static_cast<double>(q.qmin);
      const double kmax = static_cast<double>((q.qmax - q.qmin) / 2);
      for (int64_t k = 0; k < n; ++k) {
        const double x = v[k];
        const double j = std::min(std::max(round_half_even((x / s - lo) / 2.0), 0.0), kmax);
        const double b = lo + 2.0 * j;
        num += b * x;
        den += b * b;
      }
    } else {
      for (int64_t k = 0; k < n; ++k) {
        const double x = v[k * stride];
        const double b = static_cast<double>(q.code(x, 0));
        num += b * x;
        den += b * b;
      }
    }
    prev2 = prev;
    prev = q.scale[0];
    if (den <= 0) break;
    q.scale[0] = num / den;
    if (!(q.scale[0] > 0)) {
      q.scale[0] = prev;
      break;
    }
    ++it;
    // A 2-cycle (the codes flip between two sets) never meets the |Δα| rule: the reference
    // then spins to maxit (and raises). Stop and keep the better of the two states.
    if (q.scale[0] == prev2) {
      if (sq_error(prev) < sq_error(q.scale[0])) q.scale[0] = prev;
      break;
    }
  }
  if (iterations_out) *iterations_out = it;
  return q.scale[0];
}

namespace {

// Sorts floats ascending by an LSD radix sort on their order-preserving 32-bit keys (3 passes of
// 11 bits): O(n), several times faster than a comparison sort on the tens of millions of values
// of a full-resolution activation tensor. Same order as std::sort (−0 and +0 may swap; they are
// equal values).
void radix_sort(std::vector<float>& v) {
  const size_t n = v.size();
  std::vector<uint32_t> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, &v[i], sizeof u);
    a[i] = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  }
  for (int shift = 0; shift < 32; shift += 11) {
    size_t count[2048] = {0};
    for (size_t i = 0; i < n; ++i) ++count[(a[i] >> shift) & 2047u];
    size_t pos = 0;
    for (size_t& c : count) {
      const size_t t = c;
      c = pos;
      pos += t;
    }
    for (size_t i = 0; i < n; ++i) b[count[(a[i] >> shift) & 2047u]++] = a[i];
    a.swap(b);
  }
  for (size_t i = 0; i < n; ++i) {
    const uint32_t u = (a[i] & 0x80000000u) ? (a[i] & 0x7fffffffu) : ~a[i];
    std::memcpy(&v[i], &u, sizeof u);
  }
}

// ALS on a large tensor (activation calibration: millions of values, up to ~700 iterations at 8
// bits). The codes are a monotone function of the value, so over the sorted values each code
// owns one contiguous run; with prefix sums an iteration costs (levels × log n) instead of n.
// Exact: the runs are found with the same code() the direct loop uses.
double fit_scale_als_sorted(const float* v, int64_t n, const Quantizer& q0, double init) {
  std::vector<float> sorted(v, v + n);
  radix_sort(sorted);
  std::vector<double> prefix(static_cast<size_t>(n) + 1, 0.0);
  for (int64_t k = 0; k < n; ++k) prefix[k + 1] = prefix[k] + sorted[k];
  Quantizer q = q0;
  q.scale = {init > 0 ? init : initial_scale(v, n, 1, q0)};
  q.zero_point = {0};
  if (!(q.scale[0] > 0) || !std::isfinite(q.scale[0])) return 1.0;
  const int64_t levels = (q.qmax - q.qmin) / q.qstep + 1;
  const int maxit = static_cast<int>(100 * levels);
  const double unit = static_cast<double>(std::max(std::llabs(q.qmax), std::llabs(q.qmin)));
  double prev = -999, prev2 = -1999;
  int it = 0;
  while (std::fabs(q.scale[0] * unit - prev * unit) > 1e-5 && it < maxit) {
    double num = 0, den = 0;
    int64_t lo = 0;
    for (int64_t c = q.qmin; c <= q.qmax && lo < n; c += q.qstep) {
      // first index whose code exceeds c
      const int64_t hi = std::partition_point(sorted.begin() + lo, sorted.end(),
                                              [&](float x) { return q.code(x, 0) <= c; }) -
                         sorted.begin();
      const double cnt = static_cast<double>(hi - lo);
      num += static_cast<double>(c) * (prefix[hi] - prefix[lo]);
      den += static_cast<double>(c) * static_cast<double>(c) * cnt;
      lo = hi;
    }
    prev2 = prev;
    prev = q.scale[0];
    if (den <= 0) break;
    q.scale[0] = num / den;
    if (!(q.scale[0] > 0)) {
      q.scale[0] = prev;
      break;
    }
    ++it;
    if (q.scale[0] == prev2) break;
  }
  return q.scale[0];
}

}  // namespace

double fit_scale_minmax(const float* v, int64_t n, int64_t stride, const Quantizer& q) {
  double m = 0;
  for (int64_t k = 0; k < n; ++k) m = std::max(m, static_cast<double>(std::fabs(v[k * stride])));
  const double top = static_cast<double>(q.is_signed ? q.qmax : q.qmax);
  return m > 0 ? m / top : 1.0;
}

void fit_asymmetric(const float* v, int64_t n, int64_t stride, Quantizer& q, size_t ch, bool als) {
  double lo = 0, hi = 0;  // the range always includes 0 so that 0 is exact
  for (int64_t k = 0; k < n; ++k) {
    lo = std::min(lo, static_cast<double>(v[k * stride]));
    hi = std::max(hi, static_cast<double>(v[k * stride]));
  }
  double s = (hi - lo) / static_cast<double>(q.qmax - q.qmin);
  if (!(s > 0)) s = 1.0;
  int64_t z = static_cast<int64_t>(std::nearbyint(q.qmin - lo / s));
  z = std::min(std::max(z, q.qmin), q.qmax);
  q.scale[ch] = s;
  q.zero_point[ch] = z;
  if (!als) return;
  for (int it = 0; it < 50; ++it) {  // ALS on the scale with the zero point fixed
    double num = 0, den = 0;
    for (int64_t k = 0; k < n; ++k) {
      const double b = static_cast<double>(q.code(v[k * stride], ch) - z);
      num += b * v[k * stride];
      den += b * b;
    }
    if (den <= 0) break;
    const double ns = num / den;
    if (!(ns > 0) || std::fabs(ns - q.scale[ch]) <= 1e-9 * q.scale[ch]) break;
    q.scale[ch] = ns;
  }
}

void fit(Backend& be, Quantizer& q, const float* v, int64_t rows, int64_t cols, bool per_channel,
         const std::string& method, const std::vector<double>* warm) {
  const int64_t groups = per_channel ? rows : 1;
  const int64_t n = per_channel ? cols : rows * cols;
  q.scale.assign(static_cast<size_t>(groups), 1.0);
  q.zero_point.assign(static_cast<size_t>(groups), 0);
  // Groups are independent (each one's arithmetic is the same whatever the thread count); in
  // parallel once there are more than 65536 values in all.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(n, 1));
  be.parallel_for(groups, grain, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      const float* p = v + g * cols;
      if (q.kind == GridKind::kAsymmetric && q.qmin == 0 && q.is_signed) {
        fit_asymmetric(p, n, 1, q, static_cast<size_t>(g), method == "als");
      } else if (method == "minmax") {
        q.scale[g] = fit_scale_minmax(p, n, 1, q);
      } else {
        const double init = warm && static_cast<int64_t>(warm->size()) == groups
                                ? (*warm)[static_cast<size_t>(g)]
                                : 0.0;
        q.scale[g] = n > (int64_t{1} << 16) && q.qstep == 1
                         ? fit_scale_als_sorted(p, n, q, init)
                         : fit_scale_als(p, n, 1, q, nullptr, init);
      }
    }
  });
}

void project(Backend& be, const Quantizer& q, float* v, int64_t rows, int64_t cols,
             int64_t* codes) {
  const bool per_channel = q.scale.size() > 1;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(cols, 1));
  be.parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const size_t ch = per_channel ? static_cast<size_t>(r) : 0;
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t code = q.code(v[r * cols + c], ch);
        if (codes) codes[r * cols + c] = code;
        v[r * cols + c] = q.dequantized(code, ch);  // as DequantizeLinear computes it
      }
    }
  });
}

}  // namespace efq::quant
