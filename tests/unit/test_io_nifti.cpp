// NIfTI reading/writing on the real Colin27/AAL templates (Debian mricron-data) and on files
// damaged on purpose: truncated data, absurd dimensions, NaN voxels, several volumes.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/nifti.hpp"
#include "test_paths.hpp"

namespace {

namespace fs = std::filesystem;
using efq::ErrorCode;

const std::string kTemplates = efq_test::mricron_templates();

std::string tmp_dir(const std::string& sub) {
  fs::path p = efq_test::tmp_root();
  p /= sub;
  fs::create_directories(p);
  return p.string();
}

ErrorCode code_of(const std::string& path, std::string* msg = nullptr) {
  try {
    efq::io::read_nifti(path);
  } catch (const efq::Error& e) {
    if (msg) *msg = e.what();
    return e.code();
  }
  return ErrorCode::kInternal;  // "did not throw"
}

std::vector<char> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

void spit(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

efq::io::Grid small_grid() {
  const int64_t dim[3] = {7, 5, 4};
  const double spacing[3] = {0.8, 1.25, 3.0};
  const double origin[3] = {-12.5, 30.25, 7.0};
  return efq::io::make_grid(dim, spacing, origin);
}

std::vector<float> ramp(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = 0.37f * static_cast<float>(i) - 9.5f;
  return v;
}

bool no_temp_files(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) return false;
  return true;
}

}  // namespace

TEST_CASE("ch2 template reads with its real grid and intensities") {
  const efq::io::Image img = efq::io::read_nifti(kTemplates + "ch2.nii.gz");
  CHECK(img.grid.dim[0] == 181);
  CHECK(img.grid.dim[1] == 217);
  CHECK(img.grid.dim[2] == 181);
  REQUIRE(img.data.size() == 181u * 217u * 181u);
  const double expected[3][4] = {{1, 0, 0, -90}, {0, 1, 0, -125}, {0, 0, 1, -71}};
  for (int r = 0; r < 3; ++r) {
    CHECK(img.grid.spacing[r] == doctest::Approx(1.0));
    for (int c = 0; c < 4; ++c) {
      CAPTURE(r);
      CAPTURE(c);
      CHECK(img.grid.affine[r][c] == doctest::Approx(expected[r][c]));
    }
  }
  CHECK(static_cast<bool>(img.grid.header));
  const auto [mn, mx] = std::minmax_element(img.data.begin(), img.data.end());
  CHECK(*mn == 0.0f);
  CHECK(*mx == 254.0f);
}

TEST_CASE("AAL atlas holds 116 labels plus background on ch2's grid") {
  const efq::io::Image aal = efq::io::read_nifti(kTemplates + "aal.nii.gz");
  const efq::io::Image ch2 = efq::io::read_nifti(kTemplates + "ch2.nii.gz");
  std::set<float> values(aal.data.begin(), aal.data.end());
  CHECK(values.size() == 117);
  CHECK(*values.rbegin() == 116.0f);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) CHECK(aal.grid.affine[r][c] == ch2.grid.affine[r][c]);
}

TEST_CASE("label map round trip keeps values, affine and the source header") {
  const std::string dir = tmp_dir("nifti_roundtrip");
  const efq::io::Image aal = efq::io::read_nifti(kTemplates + "aal.nii.gz");
  std::vector<uint8_t> labels(aal.data.begin(), aal.data.end());
  const std::string out = dir + "/aal_copy.nii.gz";
  efq::io::write_nifti_labels(out, aal.grid, labels);
  const efq::io::Image back = efq::io::read_nifti(out);
  CHECK(back.data == aal.data);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) CHECK(back.grid.affine[r][c] == aal.grid.affine[r][c]);
  CHECK(no_temp_files(dir));
  // Header fields as stored (uncompressed NIfTI-1): AAL has sform_code 4 (MNI), qform_code 0.
  efq::io::write_nifti_labels(dir + "/aal_copy.nii", aal.grid, labels);
  const std::vector<char> bytes = slurp(dir + "/aal_copy.nii");
  REQUIRE(bytes.size() == 352 + labels.size());
  int16_t datatype = 0, qform_code = -1, sform_code = -1;
  std::memcpy(&datatype, &bytes[70], 2);
  std::memcpy(&qform_code, &bytes[252], 2);
  std::memcpy(&sform_code, &bytes[254], 2);
  CHECK(datatype == 2);
  CHECK(qform_code == 0);
  CHECK(sform_code == 4);
  CHECK(std::string(&bytes[148]) == "efficientq");
  // Overwriting an existing output works (rename replaces it).
  std::fill(labels.begin(), labels.end(), uint8_t{3});
  efq::io::write_nifti_labels(out, aal.grid, labels);
  CHECK(efq::io::read_nifti(out).data[12345] == 3.0f);
}

TEST_CASE("float round trip on a header-less grid keeps spacing, origin and values") {
  const std::string dir = tmp_dir("nifti_float");
  const efq::io::Grid g = small_grid();
  const std::vector<float> data = ramp(g.voxels());
  for (const char* name : {"/f.nii", "/f.nii.gz"}) {
    const std::string out = dir + name;
    efq::io::write_nifti_float(out, g, data, 1);
    const efq::io::Image back = efq::io::read_nifti(out);
    CAPTURE(out);
    CHECK(back.data == data);
    for (int a = 0; a < 3; ++a) {
      CHECK(back.grid.dim[a] == g.dim[a]);
      CHECK(back.grid.spacing[a] == doctest::Approx(g.spacing[a]));
    }
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) CHECK(back.grid.affine[r][c] == doctest::Approx(g.affine[r][c]));
  }
}

TEST_CASE("a 2-D file reads as a volume with nz = 1") {
  const std::string dir = tmp_dir("nifti_2d");
  const int64_t dim[3] = {4, 3, 1};
  const double sp[3] = {1, 1, 1}, org[3] = {0, 0, 0};
  const std::string path = dir + "/flat.nii";
  efq::io::write_nifti_image(path, efq::io::make_grid(dim, sp, org), ramp(12),
                             efq::io::kNiftiFloat32);
  std::vector<char> bytes = slurp(path);
  const int16_t d[4] = {2, 4, 3, 0};  // ndim 2, and an unused dim[3] of 0
  std::memcpy(&bytes[40], d, sizeof d);
  spit(path, bytes);
  const efq::io::Image img = efq::io::read_nifti(path);
  CHECK(img.grid.dim[2] == 1);
  CHECK(img.grid.voxels() == 12);
  CHECK(img.data == ramp(12));
}

TEST_CASE("integer phantoms are rounded and clamped to the datatype") {
  const std::string dir = tmp_dir("nifti_int");
  const int64_t dim[3] = {3, 2, 1};
  const double sp[3] = {1, 1, 1}, org[3] = {0, 0, 0};
  const efq::io::Grid g = efq::io::make_grid(dim, sp, org);
  const std::vector<float> v = {40000.f, -40000.f, 2.5f, -1.6f, 7.2f, 0.f};
  efq::io::write_nifti_image(dir + "/i16.nii.gz", g, v, efq::io::kNiftiInt16);
  CHECK(efq::io::read_nifti(dir + "/i16.nii.gz").data ==
        std::vector<float>{32767.f, -32768.f, 3.f, -2.f, 7.f, 0.f});
  efq::io::write_nifti_image(dir + "/u8.nii", g, v, efq::io::kNiftiUint8);
  CHECK(efq::io::read_nifti(dir + "/u8.nii").data ==
        std::vector<float>{255.f, 0.f, 3.f, 0.f, 7.f, 0.f});
  CHECK_THROWS_AS(efq::io::write_nifti_image(dir + "/x.nii", g, v, 64), efq::Error);
}

TEST_CASE("scl_slope and scl_inter are applied") {
  const std::string dir = tmp_dir("nifti_scale");
  const int64_t dim[3] = {2, 2, 1};
  const double sp[3] = {1, 1, 1}, org[3] = {0, 0, 0};
  const efq::io::Grid g = efq::io::make_grid(dim, sp, org);
  const std::string path = dir + "/scaled.nii";
  efq::io::write_nifti_image(path, g, {0.f, 1.f, 2.f, 100.f}, efq::io::kNiftiInt16);
  std::vector<char> bytes = slurp(path);
  const float slope = 0.5f, inter = -3.0f;  // NIfTI-1: scl_slope at byte 112, scl_inter at 116
  std::memcpy(&bytes[112], &slope, 4);
  std::memcpy(&bytes[116], &inter, 4);
  spit(path, bytes);
  CHECK(efq::io::read_nifti(path).data == std::vector<float>{-3.f, -2.5f, -2.f, 47.f});
}

TEST_CASE("truncated files are rejected with an error, not a crash") {
  const std::string dir = tmp_dir("nifti_trunc");
  const int64_t dim[3] = {32, 32, 32};
  const double sp[3] = {1, 1, 1}, org[3] = {0, 0, 0};
  const efq::io::Grid g = efq::io::make_grid(dim, sp, org);
  const std::vector<float> data = ramp(g.voxels());
  for (const char* name : {"/t.nii.gz", "/t.nii"}) {
    const std::string path = dir + name;
    efq::io::write_nifti_float(path, g, data, 1);
    std::vector<char> bytes = slurp(path);
    for (size_t keep : {bytes.size() / 2, size_t{600}, size_t{100}}) {
      spit(path, std::vector<char>(bytes.begin(), bytes.begin() + static_cast<long>(keep)));
      std::string msg;
      const ErrorCode code = code_of(path, &msg);
      CAPTURE(path);
      CAPTURE(keep);
      CHECK((code == ErrorCode::kFormat || code == ErrorCode::kIo));
      CHECK(msg.find(path) != std::string::npos);
    }
  }
}

TEST_CASE("absurd dimensions are rejected from the header before any data is read") {
  const std::string dir = tmp_dir("nifti_dims");
  const int64_t dim[3] = {4, 4, 4};
  const double sp[3] = {1, 1, 1}, org[3] = {0, 0, 0};
  const std::string path = dir + "/d.nii";
  efq::io::write_nifti_image(path, efq::io::make_grid(dim, sp, org), std::vector<float>(64, 1.f),
                             efq::io::kNiftiUint8);
  const std::vector<char> good = slurp(path);
  auto with_dims = [&](std::vector<int16_t> d) {  // dim[0..] at byte 40, int16 each
    std::vector<char> b = good;
    if (b.size() < 40 + d.size() * 2) throw std::runtime_error("short header");
    std::memcpy(b.data() + 40, d.data(), d.size() * 2);
    spit(path, b);
  };
  std::string msg;
  with_dims({3, 30000, 30000, 30000});  // 2.7e13 voxels; the file holds 64 bytes
  CHECK(code_of(path, &msg) == ErrorCode::kFormat);
  CHECK(msg.find("2^31") != std::string::npos);
  with_dims({3, 4, -5, 4});
  CHECK(code_of(path, &msg) == ErrorCode::kFormat);
  CHECK(msg.find(path) != std::string::npos);
  with_dims({4, 4, 4, 2, 2});  // two volumes of 4x4x2
  CHECK(code_of(path, &msg) == ErrorCode::kFormat);
  CHECK(msg.find("2 volumes") != std::string::npos);
}

TEST_CASE("a 4-D file with several channels is written, and refused as one volume") {
  const std::string dir = tmp_dir("nifti_4d");
  const efq::io::Grid g = small_grid();
  const std::string path = dir + "/probs.nii.gz";
  efq::io::write_nifti_float(path, g, ramp(g.voxels() * 3), 3);
  std::string msg;
  CHECK(code_of(path, &msg) == ErrorCode::kFormat);
  CHECK(msg.find("3 volumes") != std::string::npos);
  CHECK_THROWS_AS(efq::io::write_nifti_float(path, g, ramp(g.voxels() * 3), 2), efq::Error);
}

TEST_CASE("NaN and Inf voxels are counted and rejected") {
  const std::string dir = tmp_dir("nifti_nan");
  const efq::io::Grid g = small_grid();
  std::vector<float> data = ramp(g.voxels());
  data[0] = NAN;
  data[5] = NAN;
  data[17] = INFINITY;
  data[18] = -INFINITY;
  const std::string path = dir + "/nan.nii.gz";
  efq::io::write_nifti_float(path, g, data, 1);
  std::string msg;
  CHECK(code_of(path, &msg) == ErrorCode::kNumerical);
  CHECK(msg.find("4 of 140") != std::string::npos);
}

TEST_CASE("missing files and non-NIfTI files give clear errors") {
  const std::string dir = tmp_dir("nifti_bad");
  std::string msg;
  CHECK(code_of(dir + "/absent.nii.gz", &msg) == ErrorCode::kIo);
  CHECK(msg.find("absent.nii.gz") != std::string::npos);
  spit(dir + "/text.nii", std::vector<char>(1000, 'x'));
  CHECK(code_of(dir + "/text.nii", &msg) == ErrorCode::kFormat);
  CHECK(msg.find("text.nii") != std::string::npos);
}

TEST_CASE("failed writes leave neither the output nor a temp file behind") {
  const std::string dir = tmp_dir("nifti_atomic");
  const efq::io::Grid g = small_grid();
  const std::vector<float> data = ramp(g.voxels());
  // The destination is a non-empty directory: rename fails after the temp file was written.
  fs::create_directories(dir + "/busy.nii.gz/inner");
  try {
    efq::io::write_nifti_float(dir + "/busy.nii.gz", g, data, 1);
    FAIL("write onto a directory succeeded");
  } catch (const efq::Error& e) {
    CHECK(e.code() == ErrorCode::kIo);
  }
  CHECK(no_temp_files(dir));
  CHECK_THROWS_AS(efq::io::write_nifti_float(dir + "/no/such/dir/x.nii.gz", g, data, 1),
                  efq::Error);
  CHECK_FALSE(fs::exists(dir + "/no"));
  try {
    efq::io::write_nifti_float(dir + "/x.img", g, data, 1);
    FAIL("bad extension accepted");
  } catch (const efq::Error& e) {
    CHECK(e.code() == ErrorCode::kInvalidArgument);
  }
  CHECK_THROWS_AS(efq::io::write_nifti_float(dir + "/short.nii", g, {1.f, 2.f}, 1), efq::Error);
}
