// Overlay pictures: the voxel each pixel shows is checked against world coordinates (not against
// the library's own axis logic) for RAS, permuted and flipped storage; contours against the
// 4-neighbour definition; PNGs decoded back with libpng's simplified reader; errors and
// atomicity (a libpng write error provoked with RLIMIT_FSIZE).
#include <doctest/doctest.h>
#include <png.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/nifti.hpp"
#include "io/overlay.hpp"
#include "io/png.hpp"
#include "test_paths.hpp"

namespace {

namespace fs = std::filesystem;
using efq::ErrorCode;
using efq::io::Grid;
using efq::io::Image;
using efq::io::Plane;
using efq::io::RgbImage;

std::string tmp_dir(const std::string& sub) {
  fs::path p = efq_test::tmp_root();
  p /= sub;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

/// A grid whose voxel axis a runs along world axis world[a] (0 = R, 1 = A, 2 = S) with sign
/// sign[a] and voxel size spacing[a].
Grid oriented_grid(const int64_t dim[3], const int world[3], const int sign[3],
                   const double spacing[3]) {
  const double origin[3] = {-7.5, 12.0, 3.25};
  Grid g = efq::io::make_grid(dim, spacing, origin);
  for (int a = 0; a < 3; ++a) {
    for (int w = 0; w < 3; ++w) g.affine[w][a] = 0.0;
    g.affine[world[a]][a] = sign[a] * spacing[a];
  }
  return g;
}

Grid ras_grid() {
  const int64_t dim[3] = {9, 11, 13};
  const int world[3] = {0, 1, 2}, sign[3] = {1, 1, 1};
  const double spacing[3] = {1.0, 1.5, 2.5};
  return oriented_grid(dim, world, sign, spacing);
}

/// Stored like a sagittal MRI: i runs posterior, j inferior, k to the patient's right.
Grid sagittal_first_grid() {
  const int64_t dim[3] = {12, 10, 7};
  const int world[3] = {1, 2, 0}, sign[3] = {-1, -1, 1};
  const double spacing[3] = {0.9, 1.1, 3.0};
  return oriented_grid(dim, world, sign, spacing);
}

/// LPS storage (DICOM order): i to the left, j posterior, k superior.
Grid lps_grid() {
  const int64_t dim[3] = {10, 8, 9};
  const int world[3] = {0, 1, 2}, sign[3] = {-1, -1, 1};
  const double spacing[3] = {1.0, 1.0, 1.0};
  return oriented_grid(dim, world, sign, spacing);
}

Image random_image(const Grid& g, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-200.0f, 1200.0f);
  Image img{g, std::vector<float>(static_cast<size_t>(g.voxels()))};
  for (float& v : img.data) v = u(rng);
  return img;
}

/// Labels 0..3 constant on 3x3x3 blocks (so regions have interiors), 40 % background.
Image block_labels(const Grid& g, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> u(0, 9);
  std::vector<float> block(1000);
  for (float& b : block) {
    const int x = u(rng);
    b = x < 4 ? 0.0f : static_cast<float>(1 + x % 3);
  }
  Image img{g, std::vector<float>(static_cast<size_t>(g.voxels()))};
  for (int64_t k = 0; k < g.dim[2]; ++k)
    for (int64_t j = 0; j < g.dim[1]; ++j)
      for (int64_t i = 0; i < g.dim[0]; ++i)
        img.data[static_cast<size_t>(i + g.dim[0] * (j + g.dim[1] * k))] =
            block[static_cast<size_t>(i / 3 + 10 * (j / 3) + 100 * (k / 3))];
  return img;
}

/// World axes (normal, columns, rows) of each plane; both in-plane axes drawn high to low.
const int kPlaneWorld[3][3] = {{2, 0, 1}, {1, 0, 2}, {0, 1, 2}};

/// For an axis-aligned affine: the voxel axis along world axis w.
int voxel_axis_along(const Grid& g, int w) {
  for (int a = 0; a < 3; ++a)
    if (g.affine[w][a] != 0.0) return a;
  return -1;
}

/// What the picture of `slice` must show, derived from world coordinates only: pixel (r, c)
/// shows the voxel of the slice whose world coordinate along the column axis is the c-th from
/// the highest and along the row axis the r-th from the highest.
struct View {
  int64_t width = 0, height = 0;
  std::vector<size_t> voxel;  // per pixel, row-major
};

View expected_view(const Grid& g, Plane plane, int64_t slice) {
  const int* w = kPlaneWorld[static_cast<int>(plane)];
  const int normal = voxel_axis_along(g, w[0]);
  const int ac = voxel_axis_along(g, w[1]), ar = voxel_axis_along(g, w[2]);
  View v;
  v.width = g.dim[ac];
  v.height = g.dim[ar];
  v.voxel.assign(static_cast<size_t>(v.width * v.height), 0);
  const double sc = std::fabs(g.affine[w[1]][ac]), sr = std::fabs(g.affine[w[2]][ar]);
  auto world = [&](int row, const int64_t ijk[3]) {
    return g.affine[row][0] * ijk[0] + g.affine[row][1] * ijk[1] + g.affine[row][2] * ijk[2] +
           g.affine[row][3];
  };
  double top_c = -1e30, top_r = -1e30;
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t k = 0; k < g.dim[2]; ++k)
      for (int64_t j = 0; j < g.dim[1]; ++j)
        for (int64_t i = 0; i < g.dim[0]; ++i) {
          const int64_t ijk[3] = {i, j, k};
          if (ijk[normal] != slice) continue;
          const double xc = world(w[1], ijk), xr = world(w[2], ijk);
          if (pass == 0) {
            top_c = std::max(top_c, xc);
            top_r = std::max(top_r, xr);
          } else {
            const auto c = std::lround((top_c - xc) / sc), r = std::lround((top_r - xr) / sr);
            v.voxel[static_cast<size_t>(r * v.width + c)] =
                static_cast<size_t>(i + g.dim[0] * (j + g.dim[1] * k));
          }
        }
  return v;
}

/// Pixels on a label boundary: label != 0 and a 4-neighbour (outside = 0) with another label.
std::vector<bool> boundary(const Image& labels, const View& v) {
  auto at = [&](int64_t r, int64_t c) {
    if (r < 0 || c < 0 || r >= v.height || c >= v.width) return 0.0f;
    return labels.data[v.voxel[static_cast<size_t>(r * v.width + c)]];
  };
  std::vector<bool> out(v.voxel.size(), false);
  for (int64_t r = 0; r < v.height; ++r)
    for (int64_t c = 0; c < v.width; ++c) {
      const float l = at(r, c);
      out[static_cast<size_t>(r * v.width + c)] =
          l != 0.0f &&
          (at(r - 1, c) != l || at(r + 1, c) != l || at(r, c - 1) != l || at(r, c + 1) != l);
    }
  return out;
}

RgbImage decode_png(const std::string& path) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  REQUIRE_MESSAGE(png_image_begin_read_from_file(&img, path.c_str()) != 0, img.message);
  img.format = PNG_FORMAT_RGB;
  RgbImage out;
  out.width = img.width;
  out.height = img.height;
  out.rgb.resize(PNG_IMAGE_SIZE(img));
  REQUIRE_MESSAGE(png_image_finish_read(&img, nullptr, out.rgb.data(), 0, nullptr) != 0,
                  img.message);
  return out;
}

/// Writes the volumes as NIfTI, renders through write_overlay_png and decodes the PNG.
RgbImage render_via_files(const std::string& dir, const Image& image, const Image& seg,
                          const Image* compare, Plane plane, int64_t slice,
                          int64_t* drawn = nullptr) {
  efq::io::write_nifti_image(dir + "/image.nii.gz", image.grid, image.data, efq::io::kNiftiFloat32);
  efq::io::write_nifti_image(dir + "/seg.nii.gz", seg.grid, seg.data, efq::io::kNiftiUint8);
  if (compare)
    efq::io::write_nifti_image(dir + "/cmp.nii", compare->grid, compare->data,
                               efq::io::kNiftiUint8);
  const efq::io::Overlay ov =
      efq::io::write_overlay_png(dir + "/image.nii.gz", dir + "/seg.nii.gz",
                                 compare ? dir + "/cmp.nii" : "", plane, slice, dir + "/out.png");
  if (drawn) *drawn = ov.slice;
  return decode_png(dir + "/out.png");
}

bool same(const uint8_t* px, const uint8_t colour[3]) {
  return px[0] == colour[0] && px[1] == colour[1] && px[2] == colour[2];
}

/// Checks every pixel: contour colour exactly where the expected boundaries are, and elsewhere
/// the grey of the expected voxel's intensity. Returns the number of contour pixels.
int64_t check_picture(const RgbImage& pic, const Image& image, const Image& seg,
                      const Image* compare, const View& v) {
  REQUIRE(pic.width == v.width);
  REQUIRE(pic.height == v.height);
  std::vector<float> sorted(image.data);
  std::sort(sorted.begin(), sorted.end());
  const double lo = sorted[static_cast<size_t>(0.01 * static_cast<double>(sorted.size() - 1))];
  const double hi = sorted[static_cast<size_t>(0.99 * static_cast<double>(sorted.size() - 1))];
  const std::vector<bool> b1 = boundary(seg, v);
  const std::vector<bool> b2 = compare ? boundary(*compare, v) : std::vector<bool>(b1.size());
  int64_t contours = 0, wrong = 0;
  for (int64_t r = 0; r < v.height; ++r)
    for (int64_t c = 0; c < v.width; ++c) {
      const size_t p = static_cast<size_t>(r * v.width + c);
      const uint8_t* px = &pic.rgb[3 * p];
      const uint8_t* want = b1[p] && b2[p] ? efq::io::kBothColour
                            : b1[p]        ? efq::io::kSegColour
                            : b2[p]        ? efq::io::kCompareColour
                                           : nullptr;
      bool ok;
      if (want) {
        ++contours;
        ok = same(px, want);
      } else {
        const double x = image.data[v.voxel[p]];
        const double grey = std::clamp(255.0 * (x - lo) / (hi - lo), 0.0, 255.0);
        ok = px[0] == px[1] && px[1] == px[2] && std::fabs(px[0] - grey) <= 0.51;
      }
      if (!ok && wrong++ < 5) {
        CAPTURE(r);
        CAPTURE(c);
        CAPTURE(int(px[0]));
        CAPTURE(int(px[1]));
        CAPTURE(int(px[2]));
        CAPTURE(b1[p]);
        CAPTURE(b2[p]);
        CHECK(ok);
      }
    }
  CHECK(wrong == 0);
  return contours;
}

ErrorCode code_of(const Image& image, const Image& seg, const Image* compare,
                  const efq::io::OverlayOptions& opt, std::string* msg) {
  try {
    efq::io::render_overlay(image, seg, compare, opt);
  } catch (const efq::Error& e) {
    *msg = e.what();
    return e.code();
  }
  return ErrorCode::kInternal;  // "did not throw"
}

}  // namespace

TEST_CASE("each plane of an RAS volume shows the expected voxels and greys and contours") {
  const std::string dir = tmp_dir("overlay_ras");
  const Grid g = ras_grid();
  const Image image = random_image(g, 1), seg = block_labels(g, 2);
  for (Plane plane : {Plane::kAxial, Plane::kCoronal, Plane::kSagittal}) {
    const int normal = voxel_axis_along(g, kPlaneWorld[static_cast<int>(plane)][0]);
    for (int64_t slice : {int64_t{0}, g.dim[normal] / 2, g.dim[normal] - 1}) {
      CAPTURE(std::string(efq::io::plane_name(plane)));
      CAPTURE(slice);
      const RgbImage pic = render_via_files(dir, image, seg, nullptr, plane, slice);
      CHECK(check_picture(pic, image, seg, nullptr, expected_view(g, plane, slice)) > 10);
    }
  }
}

TEST_CASE("permuted and flipped storage gives the same anatomical picture") {
  const std::string dir = tmp_dir("overlay_permuted");
  for (const Grid& g : {sagittal_first_grid(), lps_grid()}) {
    const Image image = random_image(g, 3), seg = block_labels(g, 4);
    for (Plane plane : {Plane::kAxial, Plane::kCoronal, Plane::kSagittal}) {
      const int* w = kPlaneWorld[static_cast<int>(plane)];
      const efq::io::SliceAxes ax = efq::io::slice_axes(g, plane);
      CAPTURE(std::string(efq::io::plane_name(plane)));
      CHECK(ax.normal == voxel_axis_along(g, w[0]));
      CHECK(ax.col == voxel_axis_along(g, w[1]));
      CHECK(ax.row == voxel_axis_along(g, w[2]));
      const int64_t slice = g.dim[ax.normal] / 3;
      const RgbImage pic = render_via_files(dir, image, seg, nullptr, plane, slice);
      CHECK(check_picture(pic, image, seg, nullptr, expected_view(g, plane, slice)) > 10);
    }
  }
  // The sagittal-first grid in particular: axial slices run along j, sagittal along k.
  CHECK(efq::io::slice_axes(sagittal_first_grid(), Plane::kAxial).normal == 1);
  CHECK(efq::io::slice_axes(sagittal_first_grid(), Plane::kCoronal).normal == 0);
  CHECK(efq::io::slice_axes(sagittal_first_grid(), Plane::kSagittal).normal == 2);
}

TEST_CASE("an oblique affine takes the nearest axes") {
  Grid g = sagittal_first_grid();
  const double t = 25.0 * 3.14159265358979 / 180.0;  // rotate 25 degrees about world S
  for (int a = 0; a < 3; ++a) {
    const double x = g.affine[0][a], y = g.affine[1][a];
    g.affine[0][a] = std::cos(t) * x - std::sin(t) * y;
    g.affine[1][a] = std::sin(t) * x + std::cos(t) * y;
  }
  const efq::io::SliceAxes ax = efq::io::slice_axes(g, Plane::kAxial);
  CHECK(ax.normal == 1);
  CHECK(ax.col == 2);  // k: to the patient's right, drawn right to left
  CHECK(ax.col_flip);
  CHECK(ax.row == 0);  // i runs posterior, so row r is i = r with anterior at the top: no flip
  CHECK_FALSE(ax.row_flip);
  CHECK(efq::io::slice_axes(g, Plane::kCoronal).normal == 0);
  CHECK(efq::io::slice_axes(g, Plane::kSagittal).normal == 2);
}

TEST_CASE("with a comparison every boundary pixel is coloured by who draws it") {
  const std::string dir = tmp_dir("overlay_compare");
  const Grid g = sagittal_first_grid();
  const Image image = random_image(g, 5), seg = block_labels(g, 6);
  Image cmp = seg;  // seg shifted by one voxel along i: many shared and many separate contours
  for (int64_t k = 0; k < g.dim[2]; ++k)
    for (int64_t j = 0; j < g.dim[1]; ++j)
      for (int64_t i = 0; i < g.dim[0]; ++i) {
        const size_t v = static_cast<size_t>(i + g.dim[0] * (j + g.dim[1] * k));
        cmp.data[v] = i + 1 < g.dim[0] ? seg.data[v + 1] : 0.0f;
      }
  for (Plane plane : {Plane::kAxial, Plane::kSagittal}) {
    CAPTURE(std::string(efq::io::plane_name(plane)));
    const int64_t slice = 4;
    const RgbImage pic = render_via_files(dir, image, seg, &cmp, plane, slice);
    check_picture(pic, image, seg, &cmp, expected_view(g, plane, slice));
    int64_t n[3] = {0, 0, 0};
    for (size_t p = 0; p < pic.rgb.size(); p += 3) {
      n[0] += same(&pic.rgb[p], efq::io::kSegColour);
      n[1] += same(&pic.rgb[p], efq::io::kCompareColour);
      n[2] += same(&pic.rgb[p], efq::io::kBothColour);
    }
    CAPTURE(n[0]);
    CAPTURE(n[1]);
    CAPTURE(n[2]);
    CHECK((n[0] > 0 && n[1] > 0 && n[2] > 0));  // the test sees all three cases
  }
}

TEST_CASE("the default slice is the one with the most foreground voxels") {
  const Grid g = sagittal_first_grid();  // axial = along j, coronal = along i, sagittal = along k
  const Image image = random_image(g, 7);
  Image seg{g, std::vector<float>(static_cast<size_t>(g.voxels()), 0.0f)};
  auto set = [&](int64_t i, int64_t j, int64_t k, float l) {
    seg.data[static_cast<size_t>(i + g.dim[0] * (j + g.dim[1] * k))] = l;
  };
  efq::io::OverlayOptions opt;
  opt.plane = Plane::kAxial;
  CHECK(efq::io::render_overlay(image, seg, nullptr, opt).slice == g.dim[1] / 2);  // empty: middle
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t k = 0; k < 3; ++k) set(i, 6, k, 2.0f);       // 15 voxels at j = 6
  for (int64_t j = 0; j < g.dim[1]; ++j) set(9, j, 4, 1.0f);  // 10 voxels at i = 9, k = 4
  for (int64_t j = 0; j < 4; ++j) set(2, j, 5, 3.0f);
  opt.plane = Plane::kAxial;
  CHECK(efq::io::render_overlay(image, seg, nullptr, opt).slice == 6);
  opt.plane = Plane::kCoronal;
  CHECK(efq::io::render_overlay(image, seg, nullptr, opt).slice == 9);
  opt.plane = Plane::kSagittal;
  CHECK(efq::io::render_overlay(image, seg, nullptr, opt).slice == 4);
  for (int64_t j = 0; j < 4; ++j) set(3, j, 5, 3.0f);
  set(4, 0, 5, 1.0f);
  set(4, 1, 5, 1.0f);  // k = 5 ties k = 4 with 10 voxels: the lower index wins
  CHECK(efq::io::render_overlay(image, seg, nullptr, opt).slice == 4);
  set(4, 2, 5, 1.0f);
  CHECK(efq::io::render_overlay(image, seg, nullptr, opt).slice == 5);
}

TEST_CASE("label maps on another grid are rejected naming both") {
  const Grid g = ras_grid();
  const Image image = random_image(g, 8);
  efq::io::OverlayOptions opt;
  opt.image_name = "scan.nii.gz";
  opt.seg_name = "pred.nii.gz";
  opt.compare_name = "truth.nii.gz";
  std::string msg;

  const int64_t other_dim[3] = {9, 11, 12};
  const double sp[3] = {1.0, 1.5, 2.5}, org[3] = {0, 0, 0};
  const Image small = block_labels(efq::io::make_grid(other_dim, sp, org), 9);
  CHECK(code_of(image, small, nullptr, opt, &msg) == ErrorCode::kInvalidArgument);
  CHECK(msg.find("'pred.nii.gz' is not on the grid of 'scan.nii.gz'") != std::string::npos);
  CHECK(msg.find("9x11x12 vs 9x11x13") != std::string::npos);

  Image shifted = block_labels(g, 9);
  shifted.grid.affine[1][3] += 1.0;  // one millimetre along A
  const Image good = block_labels(g, 10);
  CHECK(code_of(image, good, &shifted, opt, &msg) == ErrorCode::kInvalidArgument);
  CHECK(msg.find("'truth.nii.gz' is not on the grid of 'scan.nii.gz'") != std::string::npos);
  CHECK(msg.find("affines differ by 1 mm (row 1, column 3") != std::string::npos);

  Image close = block_labels(g, 9);
  close.grid.affine[0][0] += 1e-4;  // float32 rounding of a header: within tolerance
  CHECK_NOTHROW(efq::io::render_overlay(image, close, nullptr, opt));
}

TEST_CASE("a slice out of range names the valid range") {
  const Grid g = sagittal_first_grid();
  const Image image = random_image(g, 11), seg = block_labels(g, 12);
  efq::io::OverlayOptions opt;
  opt.image_name = "scan.nii";
  opt.plane = Plane::kCoronal;  // along i: 0..11
  std::string msg;
  for (int64_t bad : {int64_t{12}, int64_t{-2}, int64_t{1} << 40}) {
    CAPTURE(bad);
    opt.slice = bad;
    CHECK(code_of(image, seg, nullptr, opt, &msg) == ErrorCode::kInvalidArgument);
    CHECK(msg.find("coronal slices of 'scan.nii' are 0..11 (voxel axis i)") != std::string::npos);
  }
  opt.slice = 11;
  CHECK(efq::io::render_overlay(image, seg, nullptr, opt).slice == 11);
}

TEST_CASE("non-integer or negative labels are a format error naming the voxel") {
  const Grid g = ras_grid();
  const Image image = random_image(g, 13);
  efq::io::OverlayOptions opt;
  opt.seg_name = "prob.nii.gz";
  std::string msg;
  for (float bad : {0.5f, -1.0f}) {
    CAPTURE(bad);
    Image seg = block_labels(g, 14);
    seg.data[static_cast<size_t>(2 + 9 * (3 + 11 * 4))] = bad;
    CHECK(code_of(image, seg, nullptr, opt, &msg) == ErrorCode::kFormat);
    CHECK(msg.find("'prob.nii.gz' is not a label map") != std::string::npos);
    CHECK(msg.find("voxel (2, 3, 4) = " + std::string(bad > 0 ? "0.5" : "-1")) !=
          std::string::npos);
  }
}

TEST_CASE("failures leave no PNG and no temporary file behind") {
  const std::string dir = tmp_dir("overlay_atomic");
  const Grid g = ras_grid();
  const Image image = random_image(g, 15), seg = block_labels(g, 16);
  efq::io::write_nifti_image(dir + "/image.nii", g, image.data, efq::io::kNiftiFloat32);
  efq::io::write_nifti_labels(dir + "/seg.nii", g,
                              std::vector<uint8_t>(seg.data.begin(), seg.data.end()));
  Grid other = g;
  other.affine[2][3] += 5.0;
  efq::io::write_nifti_labels(dir + "/moved.nii", other,
                              std::vector<uint8_t>(seg.data.begin(), seg.data.end()));
  auto code = [&](const std::string& seg_path, int64_t slice, const std::string& out) {
    try {
      efq::io::write_overlay_png(dir + "/image.nii", seg_path, "", Plane::kAxial, slice, out);
    } catch (const efq::Error& e) {
      return e.code();
    }
    return ErrorCode::kInternal;
  };
  {
    std::ofstream(dir + "/keep.png") << "old";  // an existing output survives a failure
  }
  CHECK(code(dir + "/moved.nii", -1, dir + "/keep.png") == ErrorCode::kInvalidArgument);
  CHECK(code(dir + "/seg.nii", 99, dir + "/new.png") == ErrorCode::kInvalidArgument);
  CHECK(code(dir + "/seg.nii", 1, dir + "/new.jpg") == ErrorCode::kInvalidArgument);
  CHECK(code(dir + "/seg.nii", 1, dir + "/no/such/dir/new.png") == ErrorCode::kIo);
  CHECK(code(dir + "/missing.nii", 1, dir + "/new.png") == ErrorCode::kIo);

  // A write error inside libpng (the longjmp path): cap the file size so fwrite fails.
  RgbImage noisy{400, 400, std::vector<uint8_t>(3 * 400 * 400)};
  std::mt19937 rng(17);
  for (uint8_t& b : noisy.rgb) b = static_cast<uint8_t>(rng());
  struct rlimit old {};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  void (*old_handler)(int) = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit capped = old;
  capped.rlim_cur = 20000;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &capped) == 0);
  std::string msg;
  try {
    efq::io::write_png_rgb(dir + "/keep.png", noisy);
  } catch (const efq::Error& e) {
    msg = e.what();
    CHECK(e.code() == ErrorCode::kIo);
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  CAPTURE(msg);
  CHECK(msg.find("libpng") != std::string::npos);

  std::ifstream in(dir + "/keep.png");
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(kept == "old");
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir)) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"image.nii", "keep.png", "moved.nii", "seg.nii"});

  // And the same picture without the cap is written and decodes to the same bytes.
  efq::io::write_png_rgb(dir + "/noisy.png", noisy);
  CHECK(decode_png(dir + "/noisy.png").rgb == noisy.rgb);
}
