// Image and Grid: a 3-D scalar volume and the voxel grid it lives on (dims, spacing, affine).
// The types are plain data; reading and writing NIfTI lives in nifti.hpp, resampling in
// resample.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace efq::io {

/// The stored voxel grid of a NIfTI file.
/// @since 0.1
struct Grid {
  /// nx, ny, nz: sizes along the stored voxel axes i, j, k.
  int64_t dim[3] = {0, 0, 0};
  /// Voxel size in mm along i, j, k (absolute pixdim[1..3]).
  double spacing[3] = {1, 1, 1};
  /// Voxel (i, j, k, 1) -> world mm: the sform if sform_code > 0, else the qform if
  /// qform_code > 0, else diag(pixdim).
  double affine[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
  /// Opaque copy of the source header (a libnifti nifti_image without data), used when writing
  /// outputs "like" this grid so that every header field survives. May be null: a fresh header
  /// is then made from dim/spacing/affine. Shared and immutable, so copying a Grid is cheap.
  std::shared_ptr<const void> header;

  /// Number of voxels, nx * ny * nz.
  int64_t voxels() const { return dim[0] * dim[1] * dim[2]; }
};

/// One 3-D scalar image, i fastest: index = i + nx * (j + ny * k).
/// @since 0.1
struct Image {
  Grid grid;
  std::vector<float> data;
};

/// A header-less grid with a diagonal affine: diag(spacing), voxel (0,0,0) at world `origin`
/// (axes i, j, k along +x, +y, +z, i.e. "RAS-ish"). Used for phantoms and tests.
/// @since 0.1
inline Grid make_grid(const int64_t dim[3], const double spacing[3], const double origin[3]) {
  Grid g;
  for (int a = 0; a < 3; ++a) {
    g.dim[a] = dim[a];
    g.spacing[a] = spacing[a];
    for (int c = 0; c < 4; ++c) g.affine[a][c] = 0.0;
    g.affine[a][a] = spacing[a];
    g.affine[a][3] = origin[a];
  }
  return g;
}

}  // namespace efq::io
