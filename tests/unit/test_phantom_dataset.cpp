// write_dataset: the nnU-Net v2 raw layout on disk, read back with our own NIfTI and dataset
// readers (CT as rounded int16 HU, MRI as float32, labels as uint8).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/dataset.hpp"
#include "io/nifti.hpp"
#include "phantom/phantom.hpp"

namespace fs = std::filesystem;
using efq::phantom::Kind;

namespace {

/// A fresh, empty temporary folder, removed when the object goes out of scope.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() / ("efq_test_phantom_" + name);
    fs::remove_all(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

efq::phantom::PhantomCase case_of(Kind kind, uint64_t seed, int64_t index, const int64_t dim[3]) {
  efq::phantom::PhantomOptions o;
  o.kind = kind;
  o.seed = efq::phantom::case_seed(seed, index);
  for (int a = 0; a < 3; ++a) o.dim[a] = dim[a];
  return efq::phantom::generate(o);
}

}  // namespace

TEST_CASE("liver dataset: nnU-Net layout, int16 HU images and uint8 labels that round-trip") {
  TempDir dir("liver");
  const int64_t dim[3] = {24, 20, 16};
  efq::phantom::write_dataset(Kind::kLiver, 2, 1, 5, dim, dir.path.string());

  CHECK(fs::is_regular_file(dir.path / "dataset.json"));
  CHECK(fs::is_regular_file(dir.path / "imagesTr" / "liver_000_0000.nii.gz"));
  CHECK(fs::is_regular_file(dir.path / "imagesTr" / "liver_001_0000.nii.gz"));
  CHECK(fs::is_regular_file(dir.path / "labelsTr" / "liver_001.nii.gz"));
  // Test cases continue the numbering (and the seeds) after the training cases.
  CHECK(fs::is_regular_file(dir.path / "imagesTs" / "liver_002_0000.nii.gz"));
  CHECK(fs::is_regular_file(dir.path / "labelsTs" / "liver_002.nii.gz"));

  const efq::io::Dataset ds = efq::io::load_dataset(dir.path.string());
  CHECK(ds.channel_names == std::vector<std::string>{"CT"});
  CHECK(ds.train.size() == 2);
  CHECK(ds.test.size() == 1);

  const efq::phantom::PhantomCase ref = case_of(Kind::kLiver, 5, 1, dim);
  const efq::io::Image img =
      efq::io::read_nifti((dir.path / "imagesTr" / "liver_001_0000.nii.gz").string());
  const efq::io::Image lab =
      efq::io::read_nifti((dir.path / "labelsTr" / "liver_001.nii.gz").string());
  REQUIRE(img.data.size() == ref.modalities[0].size());
  REQUIRE(lab.data.size() == ref.labels.size());
  for (int a = 0; a < 3; ++a) {
    CHECK(img.grid.dim[a] == dim[a]);
    CHECK(img.grid.spacing[a] == doctest::Approx(ref.spacing[a]));
  }
  size_t bad_ct = 0, bad_label = 0;
  for (size_t i = 0; i < img.data.size(); ++i) {
    bad_ct += img.data[i] != std::round(ref.modalities[0][i]);
    bad_label += lab.data[i] != static_cast<float>(ref.labels[i]);
  }
  CHECK(bad_ct == 0);
  CHECK(bad_label == 0);
}

TEST_CASE("brats dataset: four float32 channels per case and region labels") {
  TempDir dir("brats");
  const int64_t dim[3] = {20, 20, 20};
  efq::phantom::write_dataset(Kind::kBrats, 1, 1, 9, dim, dir.path.string());
  for (int c = 0; c < 4; ++c) {
    CAPTURE(c);
    CHECK(fs::is_regular_file(dir.path / "imagesTr" /
                              ("brats_000_000" + std::to_string(c) + ".nii.gz")));
    CHECK(fs::is_regular_file(dir.path / "imagesTs" /
                              ("brats_001_000" + std::to_string(c) + ".nii.gz")));
  }
  const efq::io::Dataset ds = efq::io::load_dataset(dir.path.string());
  CHECK(ds.channel_names == std::vector<std::string>{"FLAIR", "T1", "T1ce", "T2"});
  CHECK(ds.regions_class_order == std::vector<int>{2, 1, 3});

  const efq::phantom::PhantomCase ref = case_of(Kind::kBrats, 9, 0, dim);
  const efq::io::Image t1ce =
      efq::io::read_nifti((dir.path / "imagesTr" / "brats_000_0002.nii.gz").string());
  CHECK(t1ce.data == ref.modalities[2]);  // float32 is stored exactly
}

TEST_CASE("write_dataset rejects bad counts and dims before writing anything") {
  TempDir dir("bad");
  const int64_t bad_dim[3] = {8, 24, 24};
  CHECK_THROWS_AS(efq::phantom::write_dataset(Kind::kLiver, -1, 0, 1, nullptr, dir.path.string()),
                  efq::Error);
  CHECK_THROWS_AS(efq::phantom::write_dataset(Kind::kLiver, 1, 0, 1, bad_dim, dir.path.string()),
                  efq::Error);
  CHECK_FALSE(fs::exists(dir.path));
}
