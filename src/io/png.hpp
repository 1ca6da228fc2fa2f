// PNG writing (8-bit RGB) through libpng, for pictures meant for people: overlay.hpp renders
// slices with segmentation contours into an RgbImage and writes it here.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace efq::io {

/// An 8-bit RGB picture, rows top to bottom, pixels left to right, 3 bytes (R, G, B) per pixel:
/// pixel (row, col) starts at rgb[3 * (col + width * row)].
/// @since 0.1
struct RgbImage {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> rgb;
};

/// Optional metadata of a PNG file.
/// @since 0.1
struct PngInfo {
  /// Physical pixel size in mm (width, height), written as a pHYs chunk when both are > 0.
  /// Viewers may use it to show anisotropic voxels with the right aspect ratio.
  double pixel_mm[2] = {0, 0};
  /// Text chunks (keyword, UTF-8 text), e.g. {"Software", "efficientq"}: tEXt when the text is
  /// ASCII, else iTXt. Keywords must be 1..79 printable ASCII characters.
  std::vector<std::pair<std::string, std::string>> text;
};

/// Writes `image` as an 8-bit RGB PNG (non-interlaced, zlib level 6). `path` must end in ".png"
/// (any case). The write is atomic: a temp file in the same directory is written, closed and
/// renamed over `path`; on any failure the temp file is removed, `path` is untouched and
/// nothing else is left behind.
/// Throws kInvalidArgument (bad name, empty image or width * height * 3 != rgb.size(), size over
/// 2^31 - 1 pixels per side, bad tEXt keyword), kIo (the directory is missing or not writable, a
/// write or the rename failed; libpng's message is included). Thread-safe for distinct paths.
/// @since 0.1
void write_png_rgb(const std::string& path, const RgbImage& image, const PngInfo& info = {});

}  // namespace efq::io
