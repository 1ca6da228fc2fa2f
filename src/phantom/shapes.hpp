// Internal helpers shared by the phantom generators: the normalized voxel lattice, perturbed
// ellipsoids ("blobs"), tubes, and the image-formation steps (blur, bias, noise).
// Not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "phantom/prng.hpp"

namespace efq::phantom::detail {

/// The voxel grid with normalized coordinates u = 2*(i + 0.5)/n - 1 in (-1, 1) along each axis,
/// so the anatomy scales with the field of view whatever the resolution.
struct Lattice {
  int64_t n[3] = {0, 0, 0};
  std::vector<double> u[3];

  size_t size() const { return static_cast<size_t>(n[0] * n[1] * n[2]); }
  size_t index(int64_t i, int64_t j, int64_t k) const {
    return static_cast<size_t>(i + n[0] * (j + n[1] * k));
  }
  /// Size of one voxel in normalized units along `axis`.
  double voxel(int axis) const { return 2.0 / static_cast<double>(n[axis]); }
  /// The coarsest voxel size over the three axes, in normalized units.
  double coarsest_voxel() const;
};

Lattice make_lattice(const int64_t dim[3]);

/// One low-frequency perturbation term amp * sin(k . q + phase) in a blob's local frame.
struct Ripple {
  double k[3] = {0, 0, 0};
  double phase = 0;
  double amp = 0;
};

/// An ellipsoid with center c, semi-axes r, rotated by `angle` about the k axis and deformed by
/// ripples: inside where level() < 1.
struct Blob {
  double c[3] = {0, 0, 0};
  double r[3] = {1, 1, 1};
  double cos_a = 1, sin_a = 0;
  std::vector<Ripple> ripples;

  /// Coordinates of p in the blob frame, scaled by the semi-axes (|q| = 1 on the bare surface).
  void local(double x, double y, double z, double q[3]) const;
  /// |q| minus the ripple perturbation at q: < 1 inside.
  double level(double x, double y, double z) const;
  /// Largest outward reach of the surface relative to the bare ellipsoid (1 + sum |amp|).
  double reach() const;
};

Blob make_blob(const double c[3], const double r[3], double angle);

/// Adds `count` ripples with amplitudes in [amp_lo, amp_hi) and spatial frequencies (radians per
/// unit of q) in [freq_lo, freq_hi), in random directions with random phases.
void add_ripples(Blob& b, Rng& rng, int count, double amp_lo, double amp_hi, double freq_lo,
                 double freq_hi);

/// Half-open index box [lo, hi) along each axis.
struct Box {
  int64_t lo[3] = {0, 0, 0};
  int64_t hi[3] = {0, 0, 0};
};

/// The voxels that can lie inside `b` (its bounding box, clipped to the grid).
Box blob_box(const Lattice& lat, const Blob& b);
/// The voxels within an axis-aligned normalized box [lo, hi], clipped to the grid.
Box coord_box(const Lattice& lat, const double lo[3], const double hi[3]);
/// The whole grid.
Box full_box(const Lattice& lat);

/// Calls f(index, x, y, z) for every voxel in `box`, k outermost, i innermost.
template <class F>
void for_each_in_box(const Lattice& lat, const Box& box, F&& f) {
  for (int64_t k = box.lo[2]; k < box.hi[2]; ++k) {
    const double z = lat.u[2][static_cast<size_t>(k)];
    for (int64_t j = box.lo[1]; j < box.hi[1]; ++j) {
      const double y = lat.u[1][static_cast<size_t>(j)];
      size_t idx = lat.index(box.lo[0], j, k);
      for (int64_t i = box.lo[0]; i < box.hi[0]; ++i, ++idx) {
        f(idx, lat.u[0][static_cast<size_t>(i)], y, z);
      }
    }
  }
}

/// A straight tube segment from a to b with the given radius (normalized units).
struct Tube {
  double a[3] = {0, 0, 0};
  double b[3] = {0, 0, 0};
  double radius = 0;
};

/// Squared distance from p to the segment of `t`.
double segment_distance2(const Tube& t, double x, double y, double z);

/// Partial-volume blur: separable [1 2 1]/4 kernel along each axis, edges clamped.
void blur121(std::vector<double>& v, const Lattice& lat);

/// Adds i.i.d. Gaussian noise of standard deviation sigma to every value.
void add_gaussian_noise(std::vector<double>& v, Rng& rng, double sigma);

/// A smooth positive 1-D profile exp(sum of two random cosines) over the coordinates `u`, with
/// log-amplitude up to `amp`. The product of three such profiles is a separable bias field.
std::vector<double> smooth_profile(Rng& rng, const std::vector<double>& u, double amp);

}  // namespace efq::phantom::detail
