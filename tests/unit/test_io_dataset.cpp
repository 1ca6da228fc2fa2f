// nnU-Net v2 raw dataset parsing on temporary dataset folders (BraTS-like regions, a softmax
// dataset) and its errors: missing modality, missing label, bad JSON, missing dataset.json.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/dataset.hpp"
#include "test_paths.hpp"

namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& sub) {
  fs::path p = efq_test::tmp_root();
  p /= sub;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

void touch(const fs::path& p, const std::string& text = "") {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

const char* kBratsJson = R"({
  "name": "Dataset901_TinyBraTS",
  "channel_names": {"1": "T1", "0": "FLAIR", "3": "T2", "2": "T1Gd"},
  "labels": {"background": 0, "whole tumor": [1, 2, 3], "tumor core": [2, 3],
             "enhancing tumor": 3},
  "regions_class_order": [1, 2, 3],
  "numTraining": 2,
  "file_ending": ".nii.gz"
})";

/// BraTS-like dataset: 2 training cases with labels, 1 test case without labelsTs.
std::string make_brats(const std::string& sub) {
  const fs::path d = fresh_dir(sub);
  touch(d / "dataset.json", kBratsJson);
  for (const char* c : {"BraTS_002", "BraTS_001"}) {
    for (int m = 0; m < 4; ++m)
      touch(d / "imagesTr" / (std::string(c) + "_000" + std::to_string(m) + ".nii.gz"));
    touch(d / "labelsTr" / (std::string(c) + ".nii.gz"));
  }
  for (int m = 0; m < 4; ++m)
    touch(d / "imagesTs" / ("BraTS_100_000" + std::to_string(m) + ".nii.gz"));
  touch(d / "imagesTr" / ".DS_Store");
  return d.string();
}

efq::ErrorCode load_error(const std::string& dir, std::string* msg) {
  try {
    efq::io::load_dataset(dir);
  } catch (const efq::Error& e) {
    *msg = e.what();
    return e.code();
  }
  return efq::ErrorCode::kInternal;
}

}  // namespace

TEST_CASE("BraTS-like region dataset: channels, regions and sorted cases") {
  const std::string dir = make_brats("ds_brats");
  const efq::io::Dataset ds = efq::io::load_dataset(dir);
  CHECK(ds.name == "Dataset901_TinyBraTS");
  CHECK(ds.channel_names == std::vector<std::string>{"FLAIR", "T1", "T1Gd", "T2"});
  CHECK(ds.class_names.empty());
  REQUIRE(ds.regions.size() == 3);
  CHECK(ds.regions[0].name == "whole tumor");
  CHECK(ds.regions[0].labels == std::vector<int>{1, 2, 3});
  CHECK(ds.regions[1].labels == std::vector<int>{2, 3});
  CHECK(ds.regions[2].name == "enhancing tumor");
  CHECK(ds.regions[2].labels == std::vector<int>{3});
  CHECK(ds.regions_class_order == std::vector<int>{1, 2, 3});
  REQUIRE(ds.train.size() == 2);
  CHECK(ds.train[0].name == "BraTS_001");
  CHECK(ds.train[1].name == "BraTS_002");
  REQUIRE(ds.train[0].images.size() == 4);
  CHECK(ds.train[0].images[2] == (fs::path(dir) / "imagesTr" / "BraTS_001_0002.nii.gz").string());
  CHECK(ds.train[0].label == (fs::path(dir) / "labelsTr" / "BraTS_001.nii.gz").string());
  REQUIRE(ds.test.size() == 1);
  CHECK(ds.test[0].name == "BraTS_100");
  CHECK(ds.test[0].label.empty());  // no labelsTs folder: allowed
}

TEST_CASE("softmax dataset: class names by label value, gaps left empty") {
  const fs::path d = fresh_dir("ds_liver");
  touch(d / "dataset.json", R"({"channel_names": {"0": "CT"},
    "labels": {"background": 0, "liver": 1, "tumor": 3}, "file_ending": ".nii"})");
  touch(d / "imagesTs" / "liver_7_0000.nii");
  touch(d / "labelsTs" / "liver_7.nii");
  const efq::io::Dataset ds = efq::io::load_dataset(d.string());
  CHECK(ds.name == "ds_liver");
  CHECK(ds.file_ending == ".nii");
  CHECK(ds.class_names == std::vector<std::string>{"background", "liver", "", "tumor"});
  CHECK(ds.regions.empty());
  CHECK(ds.train.empty());
  REQUIRE(ds.test.size() == 1);
  CHECK(ds.test[0].label == (d / "labelsTs" / "liver_7.nii").string());
}

TEST_CASE("a case missing a modality file is an error naming that file") {
  const std::string dir = make_brats("ds_missing_modality");
  fs::remove(fs::path(dir) / "imagesTr" / "BraTS_002_0003.nii.gz");
  std::string msg;
  CHECK(load_error(dir, &msg) == efq::ErrorCode::kFormat);
  CHECK(msg.find("BraTS_002_0003.nii.gz") != std::string::npos);
}

TEST_CASE("a missing label file is an error only when the labels folder exists") {
  const std::string dir = make_brats("ds_missing_label");
  touch(fs::path(dir) / "labelsTs" / "other.nii.gz");  // labelsTs now exists, BraTS_100 lacks one
  std::string msg;
  CHECK(load_error(dir, &msg) == efq::ErrorCode::kFormat);
  CHECK(msg.find("BraTS_100.nii.gz") != std::string::npos);
}

TEST_CASE("dataset.json problems are reported with the file's path") {
  std::string msg;
  const std::string empty = fresh_dir("ds_nojson");
  CHECK(load_error(empty, &msg) == efq::ErrorCode::kIo);
  CHECK(msg.find("dataset.json") != std::string::npos);

  const std::string bad = make_brats("ds_badjson");
  touch(fs::path(bad) / "dataset.json", R"({"channel_names": {"0": "T1"},)");
  CHECK(load_error(bad, &msg) == efq::ErrorCode::kFormat);
  CHECK(msg.find("dataset.json") != std::string::npos);
  CHECK(msg.find("parse") != std::string::npos);

  const std::string order = make_brats("ds_badorder");
  std::string json = kBratsJson;
  json.replace(json.find("[1, 2, 3],\n  \"numTraining\""), 9, "[1, 2]");
  touch(fs::path(order) / "dataset.json", json);
  CHECK(load_error(order, &msg) == efq::ErrorCode::kFormat);
  CHECK(msg.find("regions_class_order") != std::string::npos);

  const std::string extra = make_brats("ds_extra_channel");
  touch(fs::path(extra) / "imagesTr" / "BraTS_001_0004.nii.gz");
  CHECK(load_error(extra, &msg) == efq::ErrorCode::kFormat);
  CHECK(msg.find("BraTS_001_0004.nii.gz") != std::string::npos);

  CHECK(load_error(empty + "/nope", &msg) == efq::ErrorCode::kIo);
}
