// Geometry and image-formation helpers of the phantom generators (see shapes.hpp).
#include "phantom/shapes.hpp"

#include <algorithm>
#include <cmath>

namespace efq::phantom::detail {

double Lattice::coarsest_voxel() const { return std::max(voxel(0), std::max(voxel(1), voxel(2))); }

Lattice make_lattice(const int64_t dim[3]) {
  Lattice lat;
  for (int a = 0; a < 3; ++a) {
    lat.n[a] = dim[a];
    lat.u[a].resize(static_cast<size_t>(dim[a]));
    for (int64_t i = 0; i < dim[a]; ++i) {
      lat.u[a][static_cast<size_t>(i)] =
          2.0 * (static_cast<double>(i) + 0.5) / static_cast<double>(dim[a]) - 1.0;
    }
  }
  return lat;
}

void Blob::local(double x, double y, double z, double q[3]) const {
  const double dx = x - c[0], dy = y - c[1], dz = z - c[2];
  q[0] = (cos_a * dx + sin_a * dy) / r[0];
  q[1] = (-sin_a * dx + cos_a * dy) / r[1];
  q[2] = dz / r[2];
}

double Blob::level(double x, double y, double z) const {
  double q[3];
  local(x, y, z, q);
  double rho = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
  // Cheap early exit: far outside the reach no ripple can pull the point inside.
  if (rho > reach() + 1e-9) return rho;
  for (const Ripple& w : ripples) {
    rho -= w.amp * std::sin(w.k[0] * q[0] + w.k[1] * q[1] + w.k[2] * q[2] + w.phase);
  }
  return rho;
}

double Blob::reach() const {
  double s = 1.0;
  for (const Ripple& w : ripples) s += std::fabs(w.amp);
  return s;
}

Blob make_blob(const double c[3], const double r[3], double angle) {
  Blob b;
  for (int a = 0; a < 3; ++a) {
    b.c[a] = c[a];
    b.r[a] = r[a];
  }
  b.cos_a = std::cos(angle);
  b.sin_a = std::sin(angle);
  return b;
}

void add_ripples(Blob& b, Rng& rng, int count, double amp_lo, double amp_hi, double freq_lo,
                 double freq_hi) {
  for (int n = 0; n < count; ++n) {
    Ripple w;
    double d[3];
    double norm = 0.0;
    do {  // a random direction: a normal 3-vector, normalized
      norm = 0.0;
      for (double& v : d) {
        v = rng.normal();
        norm += v * v;
      }
    } while (norm < 1e-12);
    norm = std::sqrt(norm);
    const double f = rng.uniform(freq_lo, freq_hi);
    for (int a = 0; a < 3; ++a) w.k[a] = f * d[a] / norm;
    w.phase = rng.uniform(0.0, 6.283185307179586);
    w.amp = rng.uniform(amp_lo, amp_hi);
    b.ripples.push_back(w);
  }
}

namespace {

void clip_axis(const Lattice& lat, int a, double lo, double hi, Box& box) {
  // u = 2(i + 0.5)/n - 1  <=>  i = (u + 1) n / 2 - 0.5
  const double n = static_cast<double>(lat.n[a]);
  const double ilo = std::floor((lo + 1.0) * n * 0.5 - 0.5);
  const double ihi = std::ceil((hi + 1.0) * n * 0.5 - 0.5) + 1.0;
  box.lo[a] = static_cast<int64_t>(std::clamp(ilo, 0.0, n));
  box.hi[a] = static_cast<int64_t>(std::clamp(ihi, 0.0, n));
  if (box.hi[a] < box.lo[a]) box.hi[a] = box.lo[a];
}

}  // namespace

Box coord_box(const Lattice& lat, const double lo[3], const double hi[3]) {
  Box box;
  for (int a = 0; a < 3; ++a) clip_axis(lat, a, lo[a], hi[a], box);
  return box;
}

Box blob_box(const Lattice& lat, const Blob& b) {
  const double s = b.reach();
  // A rotation about k mixes the first two semi-axes; the larger one bounds both.
  const double rxy = std::max(b.r[0], b.r[1]) * s;
  const double lo[3] = {b.c[0] - rxy, b.c[1] - rxy, b.c[2] - b.r[2] * s};
  const double hi[3] = {b.c[0] + rxy, b.c[1] + rxy, b.c[2] + b.r[2] * s};
  return coord_box(lat, lo, hi);
}

Box full_box(const Lattice& lat) {
  Box box;
  for (int a = 0; a < 3; ++a) box.hi[a] = lat.n[a];
  return box;
}

double segment_distance2(const Tube& t, double x, double y, double z) {
  const double d[3] = {t.b[0] - t.a[0], t.b[1] - t.a[1], t.b[2] - t.a[2]};
  const double p[3] = {x - t.a[0], y - t.a[1], z - t.a[2]};
  const double dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
  double s = dd > 0.0 ? (p[0] * d[0] + p[1] * d[1] + p[2] * d[2]) / dd : 0.0;
  s = std::clamp(s, 0.0, 1.0);
  const double e[3] = {p[0] - s * d[0], p[1] - s * d[1], p[2] - s * d[2]};
  return e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
}

void blur121(std::vector<double>& v, const Lattice& lat) {
  std::vector<double> tmp(v.size());
  const int64_t stride[3] = {1, lat.n[0], lat.n[0] * lat.n[1]};
  for (int a = 0; a < 3; ++a) {
    const int64_t n = lat.n[a];
    const int64_t st = stride[a];
    for (int64_t k = 0; k < lat.n[2]; ++k) {
      for (int64_t j = 0; j < lat.n[1]; ++j) {
        for (int64_t i = 0; i < lat.n[0]; ++i) {
          const int64_t pos[3] = {i, j, k};
          const size_t idx = lat.index(i, j, k);
          const double prev = pos[a] > 0 ? v[idx - static_cast<size_t>(st)] : v[idx];
          const double next = pos[a] + 1 < n ? v[idx + static_cast<size_t>(st)] : v[idx];
          tmp[idx] = 0.25 * prev + 0.5 * v[idx] + 0.25 * next;
        }
      }
    }
    v.swap(tmp);
  }
}

void add_gaussian_noise(std::vector<double>& v, Rng& rng, double sigma) {
  for (double& x : v) x += sigma * rng.normal();
}

std::vector<double> smooth_profile(Rng& rng, const std::vector<double>& u, double amp) {
  double a[2], f[2], ph[2];
  for (int t = 0; t < 2; ++t) {
    a[t] = rng.uniform(-amp, amp) * (t == 0 ? 0.7 : 0.3);
    f[t] = rng.uniform(0.5, 1.6) * (t + 1);
    ph[t] = rng.uniform(0.0, 6.283185307179586);
  }
  std::vector<double> out(u.size());
  for (size_t i = 0; i < u.size(); ++i) {
    out[i] = std::exp(a[0] * std::cos(f[0] * u[i] + ph[0]) + a[1] * std::cos(f[1] * u[i] + ph[1]));
  }
  return out;
}

}  // namespace efq::phantom::detail
