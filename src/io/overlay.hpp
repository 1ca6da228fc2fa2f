// Overlay pictures: one slice of an image in grey with the contours of one or two label maps,
// in a fixed anatomical orientation taken from the voxel-to-world affine. What a clinician looks
// at to judge a segmentation (e.g. the FP32 model's against the quantized model's).
//
// Orientation (radiological convention, independent of how the voxels are stored):
//   axial     seen from the feet: patient right on the picture's left, anterior at the top
//   coronal   seen from the front: patient right on the picture's left, superior at the top
//   sagittal  seen from the patient's left: anterior on the picture's left, superior at the top
// The stored voxel axes are matched to the world axes R, A, S (NIfTI's RAS+ world, sform or
// qform) by the one-to-one assignment that maximises the sum of |cosines| between each voxel
// axis and its world axis, so oblique scans get the nearest plane and the three planes always
// use three different voxel axes. One voxel is one pixel (no resampling), or scale x scale pixels
// (replicated, for screens); the pixel size goes into the PNG's pHYs chunk.
#pragma once

#include <cstdint>
#include <string>

#include "io/image.hpp"
#include "io/png.hpp"

namespace efq::io {

/// The plane of a slice. Values equal efq_plane's.
/// @since 0.1
enum class Plane { kAxial = 0, kCoronal = 1, kSagittal = 2 };

/// "axial", "coronal" or "sagittal".
/// @since 0.1
const char* plane_name(Plane plane);

/// How one plane's slices lie on the stored voxel axes (0 = i, 1 = j, 2 = k).
/// @since 0.1
struct SliceAxes {
  int normal = 2;         ///< voxel axis the slice index runs along
  int col = 0;            ///< voxel axis along the picture's columns (left to right)
  int row = 1;            ///< voxel axis along the picture's rows (top to bottom)
  bool col_flip = false;  ///< column c shows voxel index dim[col] - 1 - c (else c)
  bool row_flip = false;  ///< row r shows voxel index dim[row] - 1 - r (else r)
};

/// The voxel axes of `plane` on `grid`, oriented as described at the top of this file.
/// Throws kFormat when the affine has a zero column. Thread-safe.
/// @since 0.1
SliceAxes slice_axes(const Grid& grid, Plane plane);

/// Contour colours (RGB). Grey pixels have R = G = B; none of these do.
/// @since 0.1
constexpr uint8_t kSegColour[3] = {230, 159, 0};       ///< orange: the segmentation
constexpr uint8_t kCompareColour[3] = {86, 180, 233};  ///< sky blue: the comparison
constexpr uint8_t kBothColour[3] = {0, 158, 115};      ///< bluish green: both contours

/// What to draw.
/// @since 0.1
struct OverlayOptions {
  Plane plane = Plane::kAxial;
  /// Voxel index along SliceAxes::normal (0-based, in storage order); -1: the slice with the
  /// most foreground (label != 0) voxels in the segmentation, the lowest index on a tie, the
  /// middle slice when the segmentation is empty.
  int64_t slice = -1;
  /// Names used in error messages (file paths, usually).
  std::string image_name = "IMAGE";
  std::string seg_name = "SEG";
  std::string compare_name = "SEG2";
};

/// A rendered slice and how it was made.
/// @since 0.1
struct Overlay {
  RgbImage picture;
  SliceAxes axes;
  int64_t slice = 0;            ///< the slice drawn (voxel index along axes.normal)
  double window[2] = {0, 0};    ///< intensities shown as black and as white
  double pixel_mm[2] = {0, 0};  ///< pixel size (mm) along the picture's columns and rows
  int64_t scale = 1;            ///< pixels per voxel along each axis
};

/// Renders one slice of `image` in grey and the contours of `seg` (and of `compare` when not
/// null) on it.
/// Grey: linear between the 1st and 99th percentiles (nearest rank) of the whole volume's
/// intensities (min and max if those coincide; black for a constant image).
/// Contour: a pixel whose label is not 0 and differs from the label of at least one of its 4
/// neighbours in the slice (outside the slice counts as label 0, so a region touching the edge is
/// closed). Drawn on the label's own pixels: kSegColour for `seg`, kCompareColour for `compare`,
/// kBothColour where both have a contour pixel.
/// Throws kInvalidArgument when a label map's dims differ from the image's, or an entry of its
/// voxel-to-world affine differs by more than 1/100 of the image's smallest voxel size (mm), or
/// when the slice is out of range (the message names the valid range); kFormat when a label is
/// not an integer >= 0 (the message names the first such voxel). Thread-safe.
/// @since 0.1
Overlay render_overlay(const Image& image, const Image& seg, const Image* compare,
                       const OverlayOptions& options);

/// The largest pixels-per-voxel factor write_overlay_png accepts (a 512 x 512 slice at 16 is
/// 8192 x 8192 pixels, 192 MiB of RGB).
inline constexpr int64_t kMaxOverlayScale = 16;

/// `picture` enlarged `scale` times along both axes by pixel replication: pixel (r, c) of the
/// result is pixel (r / scale, c / scale) of `picture` (no interpolation, so contours stay
/// exactly one voxel wide and colours stay exact). Throws kInvalidArgument unless
/// 1 <= scale <= kMaxOverlayScale. Thread-safe.
/// @since 0.1
RgbImage scale_picture(const RgbImage& picture, int64_t scale);

/// Reads the NIfTI files, renders (errors name the files), enlarges the picture `scale` times
/// (scale_picture; 1 = one pixel per voxel; the pHYs pixel size is divided by `scale`) and
/// writes it as a PNG, atomically (write_png_rgb), with tEXt chunks saying what it shows.
/// `compare_path` empty: no comparison. Throws kInvalidArgument for a scale outside
/// 1..kMaxOverlayScale (before reading anything), and what read_nifti, render_overlay and
/// write_png_rgb throw; no file is left behind on failure. The returned Overlay holds the
/// enlarged picture and pixel size.
/// @since 0.1
Overlay write_overlay_png(const std::string& image_path, const std::string& seg_path,
                          const std::string& compare_path, Plane plane, int64_t slice,
                          const std::string& png_path, int64_t scale = 1);

}  // namespace efq::io
