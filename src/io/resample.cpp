// Grid resampling. For axis-aligned maps the source coordinate along each axis depends only on
// the destination index along that axis, so indices and weights are precomputed per axis and
// the inner loop is 8 loads and a few multiply-adds per voxel.
#include "io/resample.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace efq::io {
namespace {

using Mat4 = double[4][4];

/// Inverse of a 4x4 matrix by Gauss-Jordan with partial pivoting; false when singular.
bool invert(const Mat4 m, Mat4 out) {
  double a[4][8];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 8; ++c) a[r][c] = c < 4 ? m[r][c] : (c - 4 == r ? 1.0 : 0.0);
  for (int c = 0; c < 4; ++c) {
    int p = c;
    for (int r = c + 1; r < 4; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[p][c])) p = r;
    if (std::fabs(a[p][c]) < 1e-12) return false;
    for (int k = 0; k < 8; ++k) std::swap(a[c][k], a[p][k]);
    const double d = a[c][c];
    for (int k = 0; k < 8; ++k) a[c][k] /= d;
    for (int r = 0; r < 4; ++r) {
      if (r == c) continue;
      const double f = a[r][c];
      for (int k = 0; k < 8; ++k) a[r][k] -= f * a[c][k];
    }
  }
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) out[r][c] = a[r][c + 4];
  return true;
}

/// Per-axis sampling: lower index, upper index, weight of the upper one.
struct AxisTaps {
  std::vector<int64_t> i0, i1;
  std::vector<float> w;
};

void tap(double x, int64_t n, Interp interp, int64_t* i0, int64_t* i1, float* w) {
  const double hi = static_cast<double>(n - 1);
  x = std::clamp(x, 0.0, hi);
  if (interp == Interp::kNearest) {
    *i0 = *i1 = std::min<int64_t>(static_cast<int64_t>(std::floor(x + 0.5)), n - 1);
    *w = 0.0f;
    return;
  }
  const int64_t lo = std::min<int64_t>(static_cast<int64_t>(std::floor(x)), n - 1);
  *i0 = lo;
  *i1 = std::min<int64_t>(lo + 1, n - 1);
  *w = static_cast<float>(x - static_cast<double>(lo));
}

AxisTaps axis_taps(double scale, double offset, int64_t n_dst, int64_t n_src, Interp interp) {
  AxisTaps t;
  t.i0.resize(n_dst);
  t.i1.resize(n_dst);
  t.w.resize(n_dst);
  for (int64_t d = 0; d < n_dst; ++d)
    tap(scale * static_cast<double>(d) + offset, n_src, interp, &t.i0[d], &t.i1[d], &t.w[d]);
  return t;
}

void check_grid(const Grid& g, const char* what) {
  if (g.dim[0] <= 0 || g.dim[1] <= 0 || g.dim[2] <= 0)
    fail(ErrorCode::kInvalidArgument,
         std::string("resample: the ") + what + " grid has size " + std::to_string(g.dim[0]) + "x" +
             std::to_string(g.dim[1]) + "x" + std::to_string(g.dim[2]));
}

}  // namespace

Grid resampled_grid(const Grid& g, const double target_spacing[3]) {
  check_grid(g, "source");
  Grid r;
  for (int a = 0; a < 3; ++a) {
    if (!(target_spacing[a] > 0.0) || !std::isfinite(target_spacing[a]))
      fail(ErrorCode::kInvalidArgument, "resample: target spacing along axis " + std::to_string(a) +
                                            " is " + std::to_string(target_spacing[a]) +
                                            " (must be > 0)");
    const double n = std::round(static_cast<double>(g.dim[a]) * g.spacing[a] / target_spacing[a]);
    r.dim[a] = std::max<int64_t>(1, static_cast<int64_t>(n));
    r.spacing[a] = target_spacing[a];
  }
  for (int row = 0; row < 4; ++row) {
    double shift = 0.0;  // world(-0.5 old) - world(-0.5 new), before the new origin
    for (int a = 0; a < 3; ++a) {
      const double f = target_spacing[a] / g.spacing[a];
      r.affine[row][a] = g.affine[row][a] * f;
      shift += -0.5 * g.affine[row][a] + 0.5 * r.affine[row][a];
    }
    r.affine[row][3] = g.affine[row][3] + shift;
  }
  r.header.reset();
  return r;
}

std::vector<float> resample(const std::vector<float>& src, const Grid& from, const Grid& to,
                            Interp interp, int64_t channels) {
  check_grid(from, "source");
  check_grid(to, "destination");
  if (channels < 1 || static_cast<int64_t>(src.size()) != from.voxels() * channels)
    fail(ErrorCode::kInvalidArgument, "resample: " + std::to_string(src.size()) +
                                          " values given for " + std::to_string(from.voxels()) +
                                          " voxels x " + std::to_string(channels) + " channel(s)");
  double inv[4][4], m[4][4];
  if (!invert(from.affine, inv))
    fail(ErrorCode::kInvalidArgument, "resample: the source grid's affine is singular");
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      m[r][c] = 0.0;
      for (int k = 0; k < 4; ++k) m[r][c] += inv[r][k] * to.affine[k][c];
    }

  const int64_t nx = to.dim[0], ny = to.dim[1], nz = to.dim[2];
  const int64_t sx = from.dim[0], sy = from.dim[1], sz = from.dim[2];
  const int64_t src_vox = from.voxels(), dst_vox = to.voxels();
  std::vector<float> dst(static_cast<size_t>(dst_vox * channels));

  bool aligned = true;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      if (r != c && std::fabs(m[r][c]) > 1e-9 * (std::fabs(m[r][r]) + 1.0)) aligned = false;

  if (aligned) {
    const AxisTaps tx = axis_taps(m[0][0], m[0][3], nx, sx, interp);
    const AxisTaps ty = axis_taps(m[1][1], m[1][3], ny, sy, interp);
    const AxisTaps tz = axis_taps(m[2][2], m[2][3], nz, sz, interp);
    for (int64_t c = 0; c < channels; ++c) {
      const float* s = src.data() + c * src_vox;
      float* d = dst.data() + c * dst_vox;
      for (int64_t k = 0; k < nz; ++k) {
        const float wz = tz.w[k];
        for (int64_t j = 0; j < ny; ++j) {
          const float wy = ty.w[j];
          const float* r00 = s + sx * (ty.i0[j] + sy * tz.i0[k]);
          const float* r10 = s + sx * (ty.i1[j] + sy * tz.i0[k]);
          const float* r01 = s + sx * (ty.i0[j] + sy * tz.i1[k]);
          const float* r11 = s + sx * (ty.i1[j] + sy * tz.i1[k]);
          float* out = d + nx * (j + ny * k);
          if (interp == Interp::kNearest) {
            for (int64_t i = 0; i < nx; ++i) out[i] = r00[tx.i0[i]];
            continue;
          }
          for (int64_t i = 0; i < nx; ++i) {
            const int64_t a = tx.i0[i], b = tx.i1[i];
            const float wx = tx.w[i];
            const float v00 = r00[a] + wx * (r00[b] - r00[a]);
            const float v10 = r10[a] + wx * (r10[b] - r10[a]);
            const float v01 = r01[a] + wx * (r01[b] - r01[a]);
            const float v11 = r11[a] + wx * (r11[b] - r11[a]);
            const float v0 = v00 + wy * (v10 - v00);
            const float v1 = v01 + wy * (v11 - v01);
            out[i] = v0 + wz * (v1 - v0);
          }
        }
      }
    }
    return dst;
  }

  // General affine: full trilinear/nearest per voxel.
  for (int64_t k = 0; k < nz; ++k)
    for (int64_t j = 0; j < ny; ++j)
      for (int64_t i = 0; i < nx; ++i) {
        int64_t lo[3], hi[3];
        float w[3];
        const int64_t n[3] = {sx, sy, sz};
        for (int r = 0; r < 3; ++r) {
          const double x = m[r][0] * static_cast<double>(i) + m[r][1] * static_cast<double>(j) +
                           m[r][2] * static_cast<double>(k) + m[r][3];
          tap(x, n[r], interp, &lo[r], &hi[r], &w[r]);
        }
        const int64_t out = i + nx * (j + ny * k);
        for (int64_t c = 0; c < channels; ++c) {
          const float* s = src.data() + c * src_vox;
          auto at = [&](int64_t x, int64_t y, int64_t z) { return s[x + sx * (y + sy * z)]; };
          float v;
          if (interp == Interp::kNearest) {
            v = at(lo[0], lo[1], lo[2]);
          } else {
            const float c00 = at(lo[0], lo[1], lo[2]) +
                              w[0] * (at(hi[0], lo[1], lo[2]) - at(lo[0], lo[1], lo[2]));
            const float c10 = at(lo[0], hi[1], lo[2]) +
                              w[0] * (at(hi[0], hi[1], lo[2]) - at(lo[0], hi[1], lo[2]));
            const float c01 = at(lo[0], lo[1], hi[2]) +
                              w[0] * (at(hi[0], lo[1], hi[2]) - at(lo[0], lo[1], hi[2]));
            const float c11 = at(lo[0], hi[1], hi[2]) +
                              w[0] * (at(hi[0], hi[1], hi[2]) - at(lo[0], hi[1], hi[2]));
            const float c0 = c00 + w[1] * (c10 - c00);
            const float c1 = c01 + w[1] * (c11 - c01);
            v = c0 + w[2] * (c1 - c0);
          }
          dst[static_cast<size_t>(out + c * dst_vox)] = v;
        }
      }
  return dst;
}

}  // namespace efq::io
