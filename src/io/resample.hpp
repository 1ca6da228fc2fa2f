// Resampling volumes between voxel grids (e.g. to the spacing a network was trained at and back).
#pragma once

#include <cstdint>
#include <vector>

#include "io/image.hpp"

namespace efq::io {

/// Interpolation: trilinear (images, probabilities) or nearest neighbour (label maps).
/// @since 0.1
enum class Interp { kLinear, kNearest };

/// The grid covering the same field of view as `g` at `target_spacing` (mm, along i, j, k):
/// dim = max(1, round(dim * spacing / target)); the affine's columns are scaled by
/// target / spacing; the origin is shifted so that the outer corner of voxel 0 (voxel coordinate
/// -0.5 on every axis) keeps its world position. The result has no header (dims changed).
/// Throws kInvalidArgument for a non-positive target spacing.
/// @since 0.1
Grid resampled_grid(const Grid& g, const double target_spacing[3]);

/// Resamples channel-major `src` (index = voxel + from.voxels() * c) from grid `from` onto grid
/// `to`: each destination voxel centre is mapped to source voxel coordinates through
/// inverse(from.affine) * to.affine; trilinear with edge clamping, or nearest (rounded, clamped).
/// Axis-aligned maps (the usual case: one grid made from the other by resampled_grid) take a fast
/// separable path; any other affine pair is handled voxel by voxel.
/// Throws kInvalidArgument on size mismatch, channels < 1 or a singular affine. Thread-safe.
/// @since 0.1
std::vector<float> resample(const std::vector<float>& src, const Grid& from, const Grid& to,
                            Interp interp, int64_t channels = 1);

}  // namespace efq::io
