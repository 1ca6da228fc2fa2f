// Overlay rendering: plane from the affine, slice choice, windowing, 4-neighbour contours.
#include "io/overlay.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/nifti.hpp"

namespace efq::io {
namespace {

std::string quoted(const std::string& name) { return "'" + name + "'"; }

const char* axis_name(int axis) { return axis == 0 ? "i" : axis == 1 ? "j" : "k"; }

std::string dims_text(const Grid& g) {
  return std::to_string(g.dim[0]) + "x" + std::to_string(g.dim[1]) + "x" + std::to_string(g.dim[2]);
}

void check_size(const Image& img, const std::string& name) {
  if (img.grid.voxels() < 1 || static_cast<int64_t>(img.data.size()) != img.grid.voxels())
    fail(ErrorCode::kInvalidArgument, quoted(name) + " has " + std::to_string(img.data.size()) +
                                          " values for a " + dims_text(img.grid) + " grid");
}

/// Throws kInvalidArgument unless `labels` lies on `image`'s grid (dims equal, affines within
/// 1/100 of the image's smallest voxel size).
void check_same_grid(const Image& image, const std::string& image_name, const Image& labels,
                     const std::string& labels_name) {
  const Grid& a = image.grid;
  const Grid& b = labels.grid;
  const std::string head = quoted(labels_name) + " is not on the grid of " + quoted(image_name);
  if (a.dim[0] != b.dim[0] || a.dim[1] != b.dim[1] || a.dim[2] != b.dim[2])
    fail(ErrorCode::kInvalidArgument,
         head + ": dimensions " + dims_text(b) + " vs " + dims_text(a));
  const double tol = 0.01 * std::min({a.spacing[0], a.spacing[1], a.spacing[2]});
  double worst = 0;
  int wr = 0, wc = 0;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) {
      const double d = std::fabs(a.affine[r][c] - b.affine[r][c]);
      if (d > worst) worst = d, wr = r, wc = c;
    }
  if (worst > tol) {
    char detail[160];
    std::snprintf(detail, sizeof detail,
                  ": the voxel-to-world affines differ by %.4g mm (row %d, column %d; tolerance "
                  "%.4g mm)",
                  worst, wr, wc, tol);
    fail(ErrorCode::kInvalidArgument, head + detail);
  }
}

/// Throws kFormat unless every voxel is an integer >= 0.
void check_labels(const Image& labels, const std::string& name) {
  const int64_t n = labels.grid.voxels();
  int64_t bad = 0, first = -1;
  for (int64_t v = 0; v < n; ++v) {
    const float x = labels.data[static_cast<size_t>(v)];
    if (!(x >= 0.0f) || x != std::floor(x)) {
      if (bad++ == 0) first = v;
    }
  }
  if (bad == 0) return;
  const int64_t nx = labels.grid.dim[0], ny = labels.grid.dim[1];
  char value[32];
  std::snprintf(value, sizeof value, "%.9g", labels.data[static_cast<size_t>(first)]);
  fail(ErrorCode::kFormat, quoted(name) + " is not a label map: " + std::to_string(bad) +
                               " voxel(s) are not integers >= 0, the first at voxel (" +
                               std::to_string(first % nx) + ", " + std::to_string(first / nx % ny) +
                               ", " + std::to_string(first / (nx * ny)) + ") = " + value);
}

/// Voxel index (i + nx*(j + ny*k)) of picture pixel (r, c) on slice `s`.
struct PixelMap {
  int64_t base = 0, col_step = 0, row_step = 0;
  int64_t width = 0, height = 0;

  PixelMap(const Grid& g, const SliceAxes& ax, int64_t s) {
    const int64_t stride[3] = {1, g.dim[0], g.dim[0] * g.dim[1]};
    width = g.dim[ax.col];
    height = g.dim[ax.row];
    base = s * stride[ax.normal];
    col_step = ax.col_flip ? -stride[ax.col] : stride[ax.col];
    row_step = ax.row_flip ? -stride[ax.row] : stride[ax.row];
    if (ax.col_flip) base += (width - 1) * stride[ax.col];
    if (ax.row_flip) base += (height - 1) * stride[ax.row];
  }
  size_t operator()(int64_t r, int64_t c) const {
    return static_cast<size_t>(base + r * row_step + c * col_step);
  }
};

/// The slice with the most foreground voxels along `axis` (lowest on a tie; middle if none).
int64_t busiest_slice(const Image& seg, int axis) {
  const Grid& g = seg.grid;
  std::vector<int64_t> count(static_cast<size_t>(g.dim[axis]), 0);
  int64_t v = 0;
  for (int64_t k = 0; k < g.dim[2]; ++k)
    for (int64_t j = 0; j < g.dim[1]; ++j)
      for (int64_t i = 0; i < g.dim[0]; ++i, ++v) {
        const int64_t ijk[3] = {i, j, k};
        if (seg.data[static_cast<size_t>(v)] != 0.0f) ++count[static_cast<size_t>(ijk[axis])];
      }
  const auto best = std::max_element(count.begin(), count.end());  // the first of the maxima
  if (*best == 0) return g.dim[axis] / 2;
  return best - count.begin();
}

/// Nearest-rank 1st and 99th percentiles; min/max if they coincide.
void window_of(const std::vector<float>& data, double window[2]) {
  std::vector<float> v(data);
  const size_t n = v.size();
  const size_t lo = static_cast<size_t>(std::floor(0.01 * static_cast<double>(n - 1)));
  const size_t hi = static_cast<size_t>(std::floor(0.99 * static_cast<double>(n - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  window[0] = v[lo];
  std::nth_element(v.begin() + static_cast<std::ptrdiff_t>(lo),
                   v.begin() + static_cast<std::ptrdiff_t>(hi), v.end());
  window[1] = v[hi];
  if (window[1] <= window[0]) {
    const auto mm = std::minmax_element(data.begin(), data.end());
    window[0] = *mm.first;
    window[1] = *mm.second;
  }
}

/// Contour flags of one slice of `labels`: nonzero pixels with a 4-neighbour of another label
/// (outside the slice counts as 0).
std::vector<uint8_t> contour(const Image& labels, const PixelMap& at) {
  const int64_t w = at.width, h = at.height;
  std::vector<uint8_t> out(static_cast<size_t>(w * h), 0);
  auto label = [&](int64_t r, int64_t c) {
    return r < 0 || c < 0 || r >= h || c >= w ? 0.0f : labels.data[at(r, c)];
  };
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c) {
      const float l = label(r, c);
      if (l == 0.0f) continue;
      out[static_cast<size_t>(r * w + c)] = label(r - 1, c) != l || label(r + 1, c) != l ||
                                            label(r, c - 1) != l || label(r, c + 1) != l;
    }
  return out;
}

}  // namespace

const char* plane_name(Plane plane) {
  switch (plane) {
    case Plane::kAxial:
      return "axial";
    case Plane::kCoronal:
      return "coronal";
    case Plane::kSagittal:
      return "sagittal";
  }
  return "unknown";
}

SliceAxes slice_axes(const Grid& grid, Plane plane) {
  // cosine[a][w]: voxel axis a's unit direction along world axis w (0 = R, 1 = A, 2 = S).
  double cosine[3][3];
  for (int a = 0; a < 3; ++a) {
    const double norm =
        std::sqrt(grid.affine[0][a] * grid.affine[0][a] + grid.affine[1][a] * grid.affine[1][a] +
                  grid.affine[2][a] * grid.affine[2][a]);
    if (!(norm > 0))
      fail(ErrorCode::kFormat, std::string("the voxel-to-world affine maps voxel axis ") +
                                   axis_name(a) + " to a zero vector; no orientation");
    for (int w = 0; w < 3; ++w) cosine[a][w] = grid.affine[w][a] / norm;
  }
  // The assignment world axis -> voxel axis with the largest sum of |cosines|; the identity is
  // tried first, so it wins ties.
  std::array<int, 3> perm = {0, 1, 2}, best = perm;
  double best_score = -1;
  do {
    const double score = std::fabs(cosine[perm[0]][0]) + std::fabs(cosine[perm[1]][1]) +
                         std::fabs(cosine[perm[2]][2]);
    if (score > best_score + 1e-12) best_score = score, best = perm;
  } while (std::next_permutation(perm.begin(), perm.end()));

  // World axes of the picture's normal, columns and rows; both in-plane axes are drawn from the
  // high world coordinate to the low one (R -> L, A -> P, S -> I).
  static const int kWorld[3][3] = {{2, 0, 1}, {1, 0, 2}, {0, 1, 2}};  // axial, coronal, sagittal
  const int* w = kWorld[static_cast<int>(plane)];
  SliceAxes ax;
  ax.normal = best[w[0]];
  ax.col = best[w[1]];
  ax.row = best[w[2]];
  ax.col_flip = cosine[ax.col][w[1]] > 0;
  ax.row_flip = cosine[ax.row][w[2]] > 0;
  return ax;
}

Overlay render_overlay(const Image& image, const Image& seg, const Image* compare,
                       const OverlayOptions& opt) {
  if (opt.plane != Plane::kAxial && opt.plane != Plane::kCoronal && opt.plane != Plane::kSagittal)
    fail(ErrorCode::kInvalidArgument, "unknown plane " +
                                          std::to_string(static_cast<int>(opt.plane)) +
                                          " (axial = 0, coronal = 1, sagittal = 2)");
  check_size(image, opt.image_name);
  check_size(seg, opt.seg_name);
  check_same_grid(image, opt.image_name, seg, opt.seg_name);
  if (compare) {
    check_size(*compare, opt.compare_name);
    check_same_grid(image, opt.image_name, *compare, opt.compare_name);
  }
  check_labels(seg, opt.seg_name);
  if (compare) check_labels(*compare, opt.compare_name);

  const Grid& g = image.grid;
  Overlay out;
  out.axes = slice_axes(g, opt.plane);
  const int64_t n = g.dim[out.axes.normal];
  if (opt.slice < -1 || opt.slice >= n)
    fail(ErrorCode::kInvalidArgument,
         "slice " + std::to_string(opt.slice) + " is out of range: the " + plane_name(opt.plane) +
             " slices of " + quoted(opt.image_name) + " are 0.." + std::to_string(n - 1) +
             " (voxel axis " + axis_name(out.axes.normal) + ")");
  out.slice = opt.slice >= 0 ? opt.slice : busiest_slice(seg, out.axes.normal);
  out.pixel_mm[0] = g.spacing[out.axes.col];
  out.pixel_mm[1] = g.spacing[out.axes.row];
  window_of(image.data, out.window);

  const PixelMap at(g, out.axes, out.slice);
  const std::vector<uint8_t> c1 = contour(seg, at);
  const std::vector<uint8_t> c2 = compare ? contour(*compare, at) : std::vector<uint8_t>();
  RgbImage& pic = out.picture;
  pic.width = at.width;
  pic.height = at.height;
  pic.rgb.resize(static_cast<size_t>(3 * pic.width * pic.height));
  const double lo = out.window[0];
  const double scale = out.window[1] > lo ? 255.0 / (out.window[1] - lo) : 0.0;
  for (int64_t r = 0; r < pic.height; ++r)
    for (int64_t c = 0; c < pic.width; ++c) {
      const size_t p = static_cast<size_t>(r * pic.width + c);
      uint8_t* px = &pic.rgb[3 * p];
      const bool in1 = c1[p] != 0, in2 = compare && c2[p] != 0;
      const uint8_t* colour = in1 && in2 ? kBothColour
                              : in1      ? kSegColour
                              : in2      ? kCompareColour
                                         : nullptr;
      if (colour) {
        std::copy(colour, colour + 3, px);
      } else {
        const double x = (static_cast<double>(image.data[at(r, c)]) - lo) * scale;
        const auto grey = static_cast<uint8_t>(std::lround(std::clamp(x, 0.0, 255.0)));
        px[0] = px[1] = px[2] = grey;
      }
    }
  return out;
}

namespace {

void check_scale(int64_t scale) {
  if (scale < 1 || scale > kMaxOverlayScale)
    fail(ErrorCode::kInvalidArgument, "overlay scale " + std::to_string(scale) +
                                          " is out of [1, " + std::to_string(kMaxOverlayScale) +
                                          "] (pixels per voxel)");
}

}  // namespace

RgbImage scale_picture(const RgbImage& picture, int64_t scale) {
  check_scale(scale);
  RgbImage out;
  out.width = picture.width * scale;
  out.height = picture.height * scale;
  out.rgb.resize(static_cast<size_t>(out.width * out.height * 3));
  for (int64_t r = 0; r < out.height; ++r)
    for (int64_t c = 0; c < out.width; ++c) {
      const int64_t at = 3 * (c / scale + picture.width * (r / scale));
      const uint8_t* from = &picture.rgb[static_cast<size_t>(at)];
      std::copy(from, from + 3, &out.rgb[static_cast<size_t>(3 * (c + out.width * r))]);
    }
  return out;
}

Overlay write_overlay_png(const std::string& image_path, const std::string& seg_path,
                          const std::string& compare_path, Plane plane, int64_t slice,
                          const std::string& png_path, int64_t scale) {
  check_scale(scale);  // before reading anything
  const Image image = read_nifti(image_path);
  const Image seg = read_nifti(seg_path);
  Image compare;
  if (!compare_path.empty()) compare = read_nifti(compare_path);
  OverlayOptions opt;
  opt.plane = plane;
  opt.slice = slice;
  opt.image_name = image_path;
  opt.seg_name = seg_path;
  opt.compare_name = compare_path;
  Overlay ov = render_overlay(image, seg, compare_path.empty() ? nullptr : &compare, opt);
  if (scale != 1) {
    ov.picture = scale_picture(ov.picture, scale);
    ov.pixel_mm[0] /= static_cast<double>(scale);
    ov.pixel_mm[1] /= static_cast<double>(scale);
    ov.scale = scale;
  }

  PngInfo info;
  info.pixel_mm[0] = ov.pixel_mm[0];
  info.pixel_mm[1] = ov.pixel_mm[1];
  char window[96];
  std::snprintf(window, sizeof window, "; grey window [%.6g, %.6g]", ov.window[0], ov.window[1]);
  static const char* kView[3] = {"patient right on the left, anterior at the top",
                                 "patient right on the left, superior at the top",
                                 "anterior on the left, superior at the top"};
  std::string what = std::string(plane_name(plane)) + " slice " + std::to_string(ov.slice) +
                     " (voxel axis " + axis_name(ov.axes.normal) + ") of " + image_path + ", " +
                     kView[static_cast<int>(plane)] + window + "; contours: " + seg_path +
                     " orange";
  if (!compare_path.empty()) what += ", " + compare_path + " sky blue, both bluish green";
  if (scale != 1)
    what += "; " + std::to_string(scale) + "x" + std::to_string(scale) + " pixels per voxel";
  info.text = {{"Software", std::string("efficientq ") + EFQ_VERSION_STRING_BUILD},
               {"Description", what}};
  write_png_rgb(png_path, ov.picture, info);
  return ov;
}

}  // namespace efq::io
