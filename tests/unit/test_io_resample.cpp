// Resampling: grid geometry in world coordinates, trilinear accuracy on a smooth function,
// nearest-neighbour label preservation, the general (non-separable) path, real AAL/ch2 data.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "core/error.hpp"
#include "io/nifti.hpp"
#include "io/resample.hpp"
#include "test_paths.hpp"

namespace {

using efq::io::Grid;
using efq::io::Interp;

/// World coordinate `row` of voxel (i, j, k).
double world(const Grid& g, int row, double i, double j, double k) {
  return g.affine[row][0] * i + g.affine[row][1] * j + g.affine[row][2] * k + g.affine[row][3];
}

double smooth(double x, double y, double z) {
  return std::sin(0.15 * x) + std::cos(0.1 * y) + 0.02 * z * z / 10.0;
}

std::vector<float> sample(const Grid& g) {
  std::vector<float> v(static_cast<size_t>(g.voxels()));
  for (int64_t k = 0; k < g.dim[2]; ++k)
    for (int64_t j = 0; j < g.dim[1]; ++j)
      for (int64_t i = 0; i < g.dim[0]; ++i) {
        const double x = world(g, 0, i, j, k), y = world(g, 1, i, j, k), z = world(g, 2, i, j, k);
        v[i + g.dim[0] * (j + g.dim[1] * k)] = static_cast<float>(smooth(x, y, z));
      }
  return v;
}

Grid grid(int64_t nx, int64_t ny, int64_t nz, double s0, double s1, double s2) {
  const int64_t dim[3] = {nx, ny, nz};
  const double sp[3] = {s0, s1, s2};
  const double org[3] = {-20.0, 5.5, -3.0};
  return efq::io::make_grid(dim, sp, org);
}

}  // namespace

TEST_CASE("resampled grid keeps the outer corner of voxel 0 and the field of view") {
  const Grid g = grid(181, 217, 181, 1, 1, 1);
  const double target[3] = {2, 2, 2};
  const Grid r = efq::io::resampled_grid(g, target);
  CHECK(r.dim[0] == 91);  // round(90.5)
  CHECK(r.dim[1] == 109);
  CHECK(r.dim[2] == 91);
  CHECK(r.header.get() == nullptr);
  for (int row = 0; row < 3; ++row) {
    CAPTURE(row);
    CHECK(r.spacing[row] == 2.0);
    CHECK(world(r, row, -0.5, -0.5, -0.5) == doctest::Approx(world(g, row, -0.5, -0.5, -0.5)));
  }
  // voxel centre (1, 2, 3) of the 2 mm grid lies at corner + (3, 5, 7) mm
  CHECK(world(r, 0, 1, 2, 3) == doctest::Approx(-20.5 + 3));
  CHECK(world(r, 1, 1, 2, 3) == doctest::Approx(5.0 + 5));
  CHECK(world(r, 2, 1, 2, 3) == doctest::Approx(-3.5 + 7));
}

TEST_CASE("resampled grid of an x-flipped atlas keeps the flip") {
  // AICHAmc-like: 91x109x91 at 2 mm, sform x = -2 i + 90
  Grid g = grid(91, 109, 91, 2, 2, 2);
  g.affine[0][0] = -2.0;
  g.affine[0][3] = 90.0;
  const double target[3] = {1, 1, 1};
  const Grid r = efq::io::resampled_grid(g, target);
  CHECK(r.dim[0] == 182);
  CHECK(r.affine[0][0] == -1.0);
  CHECK(r.affine[0][3] == doctest::Approx(90.5));  // corner at x = 91 for both grids
  CHECK(world(r, 0, -0.5, 0, 0) == doctest::Approx(world(g, 0, -0.5, 0, 0)));
  const double zero[3] = {0, 1, 1};
  CHECK_THROWS_AS(efq::io::resampled_grid(g, zero), efq::Error);
}

TEST_CASE("trilinear resampling samples a smooth function at the new voxel centres") {
  const Grid g = grid(60, 50, 40, 1, 1, 1);
  const std::vector<float> v = sample(g);
  const double target[3] = {2, 2, 2};
  const Grid down = efq::io::resampled_grid(g, target);
  const std::vector<float> d = efq::io::resample(v, g, down, Interp::kLinear);
  const std::vector<float> truth = sample(down);
  double max_err = 0;
  for (size_t n = 0; n < d.size(); ++n)
    max_err = std::max(max_err, static_cast<double>(std::fabs(d[n] - truth[n])));
  // Interpolation error h^2 |f''| / 8 with h = 1 mm, |f''| <= 0.0225 + 0.01 + 0.004
  CHECK(max_err < 0.01);

  // 2x down then back up: interior voxels agree within the same order of error.
  const std::vector<float> up = efq::io::resample(d, down, g, Interp::kLinear);
  double interior_err = 0;
  for (int64_t k = 2; k < g.dim[2] - 2; ++k)
    for (int64_t j = 2; j < g.dim[1] - 2; ++j)
      for (int64_t i = 2; i < g.dim[0] - 2; ++i) {
        const size_t n = static_cast<size_t>(i + g.dim[0] * (j + g.dim[1] * k));
        interior_err = std::max(interior_err, static_cast<double>(std::fabs(up[n] - v[n])));
      }
  CHECK(interior_err < 0.03);
  // Identity resampling is exact.
  CHECK(efq::io::resample(v, g, g, Interp::kLinear) == v);
}

TEST_CASE("nearest-neighbour resampling preserves the label set") {
  const Grid g = grid(20, 18, 16, 1, 1, 1);
  std::vector<float> labels(static_cast<size_t>(g.voxels()));
  for (size_t n = 0; n < labels.size(); ++n) labels[n] = static_cast<float>((n * 7919) % 11);
  const std::set<float> original(labels.begin(), labels.end());
  const double fine[3] = {0.5, 0.5, 0.5};
  const Grid up = efq::io::resampled_grid(g, fine);
  const std::vector<float> u = efq::io::resample(labels, g, up, Interp::kNearest);
  CHECK(std::set<float>(u.begin(), u.end()) == original);
  // each fine voxel takes the label of the coarse voxel containing its centre
  CHECK(u[static_cast<size_t>(3 + up.dim[0] * (5 + up.dim[1] * 7))] ==
        labels[static_cast<size_t>(1 + g.dim[0] * (2 + g.dim[1] * 3))]);
  // and back down recovers the original exactly
  CHECK(efq::io::resample(u, up, g, Interp::kNearest) == labels);
}

TEST_CASE("multi-channel data is resampled channel by channel") {
  const Grid g = grid(12, 10, 8, 1, 1, 1);
  std::vector<float> two = sample(g);
  const size_t n = two.size();
  for (size_t v = 0; v < n; ++v) two.push_back(2.0f * two[v] + 1.0f);
  const double target[3] = {1.5, 0.75, 2};
  const Grid r = efq::io::resampled_grid(g, target);
  const std::vector<float> out = efq::io::resample(two, g, r, Interp::kLinear, 2);
  const size_t m = static_cast<size_t>(r.voxels());
  REQUIRE(out.size() == 2 * m);
  for (size_t v = 0; v < m; v += 17) CHECK(out[m + v] == doctest::Approx(2.0f * out[v] + 1.0f));
  CHECK_THROWS_AS(efq::io::resample(two, g, r, Interp::kLinear, 3), efq::Error);
}

TEST_CASE("a non-axis-aligned map (swapped axes) takes the general path correctly") {
  const Grid g = grid(6, 5, 4, 1, 1, 1);
  std::vector<float> v(static_cast<size_t>(g.voxels()));
  for (size_t n = 0; n < v.size(); ++n) v[n] = static_cast<float>(n);
  Grid swapped = g;  // i and j exchanged: voxel (a, b, c) of `swapped` is (b, a, c) of g
  swapped.dim[0] = 5;
  swapped.dim[1] = 6;
  for (int row = 0; row < 3; ++row) std::swap(swapped.affine[row][0], swapped.affine[row][1]);
  for (Interp interp : {Interp::kLinear, Interp::kNearest}) {
    const std::vector<float> out = efq::io::resample(v, g, swapped, interp);
    for (int64_t c = 0; c < 4; ++c)
      for (int64_t b = 0; b < 6; ++b)
        for (int64_t a = 0; a < 5; ++a)
          CHECK(out[static_cast<size_t>(a + 5 * (b + 6 * c))] ==
                doctest::Approx(v[static_cast<size_t>(b + 6 * (a + 5 * c))]));
  }
}

TEST_CASE("AAL resampled to 2 mm and back with nearest neighbour keeps its labels") {
  const efq::io::Image aal = efq::io::read_nifti(efq_test::mricron_templates() + "aal.nii.gz");
  const double two[3] = {2, 2, 2};
  const Grid coarse = efq::io::resampled_grid(aal.grid, two);
  const std::vector<float> c = efq::io::resample(aal.data, aal.grid, coarse, Interp::kNearest);
  const std::set<float> before(aal.data.begin(), aal.data.end()), after(c.begin(), c.end());
  CHECK(std::includes(before.begin(), before.end(), after.begin(), after.end()));
  CHECK(after.size() >= 110);  // a 2 mm grid still sees almost every AAL region
  const std::vector<float> back = efq::io::resample(c, coarse, aal.grid, Interp::kNearest);
  size_t same = 0;
  for (size_t n = 0; n < back.size(); ++n) same += back[n] == aal.data[n];
  CHECK(static_cast<double>(same) / static_cast<double>(back.size()) > 0.9);
}
