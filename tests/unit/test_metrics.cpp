// Dice conventions and known values; per-class and per-region (BraTS-style nested regions).
#include <doctest/doctest.h>

#include <vector>

#include "core/error.hpp"
#include "infer/metrics.hpp"
#include "io/nifti.hpp"
#include "test_paths.hpp"

using efq::infer::Region;

TEST_CASE("Dice conventions: both empty is 1, exactly one empty is 0") {
  const std::vector<uint8_t> empty(10, 0), some = {0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
  CHECK(efq::infer::dice(empty, empty) == 1.0);
  CHECK(efq::infer::dice(some, empty) == 0.0);
  CHECK(efq::infer::dice(empty, some) == 0.0);
  CHECK(efq::infer::dice(some, some) == 1.0);
  CHECK(efq::infer::dice({}, {}) == 1.0);
}

TEST_CASE("Dice of partially overlapping masks") {
  CHECK(efq::infer::dice({1, 1, 0, 0}, {1, 0, 1, 0}) == doctest::Approx(0.5));
  CHECK(efq::infer::dice({1, 1, 1, 0}, {1, 0, 0, 0}) == doctest::Approx(2.0 / 4.0));
  CHECK(efq::infer::dice({1, 1, 1, 1, 0}, {0, 1, 1, 1, 1}) == doctest::Approx(6.0 / 8.0));
  CHECK_THROWS_AS(efq::infer::dice({1, 0}, {1}), efq::Error);
}

TEST_CASE("Dice per class counts every label value including background") {
  const std::vector<uint8_t> pred = {0, 1, 1, 2}, ref = {0, 1, 2, 2};
  const std::vector<double> d = efq::infer::dice_per_class(pred, ref, 4);
  REQUIRE(d.size() == 4);
  CHECK(d[0] == 1.0);
  CHECK(d[1] == doctest::Approx(2.0 / 3.0));
  CHECK(d[2] == doctest::Approx(2.0 / 3.0));
  CHECK(d[3] == 1.0);  // absent in both
  CHECK(efq::infer::dice_per_class({0, 3}, {0, 0}, 4)[3] == 0.0);
  CHECK_THROWS_AS(efq::infer::dice_per_class(pred, {0, 1}, 3), efq::Error);
  CHECK_THROWS_AS(efq::infer::dice_per_class(pred, ref, 0), efq::Error);
}

TEST_CASE("Dice per region uses the union of each region's labels") {
  // BraTS: whole tumor {1,2,3} ⊇ tumor core {2,3} ⊇ enhancing {3}
  const std::vector<Region> regions = {{"whole tumor", {1, 2, 3}},
                                       {"tumor core", {2, 3}},
                                       {"enhancing tumor", {3}},
                                       {"absent", {9}}};
  const std::vector<uint8_t> pred = {0, 1, 2, 3, 3, 0, 2};
  const std::vector<uint8_t> ref = {0, 2, 2, 3, 1, 1, 0};
  const std::vector<double> d = efq::infer::dice_per_region(pred, ref, regions);
  REQUIRE(d.size() == 4);
  CHECK(d[0] == doctest::Approx(2.0 * 4 / (5 + 5)));  // pred WT {1,2,3,4,6}, ref {1,2,3,4,5}
  CHECK(d[1] == doctest::Approx(2.0 * 2 / (4 + 3)));  // pred {2,3,4,6}, ref {1,2,3}
  CHECK(d[2] == doctest::Approx(2.0 * 1 / (2 + 1)));  // pred {3,4}, ref {3}
  CHECK(d[3] == 1.0);
  CHECK_THROWS_AS(efq::infer::dice_per_region(pred, {0}, regions), efq::Error);
}

TEST_CASE("Dice on the real AAL atlas: identity is 1, a one-voxel shift lowers it") {
  const efq::io::Image aal = efq::io::read_nifti(efq_test::mricron_templates() + "aal.nii.gz");
  const std::vector<uint8_t> labels(aal.data.begin(), aal.data.end());
  std::vector<uint8_t> shifted(labels.size(), 0);
  std::copy(labels.begin(), labels.end() - 1, shifted.begin() + 1);  // one voxel along i
  const std::vector<double> same = efq::infer::dice_per_class(labels, labels, 117);
  for (double d : same) CHECK(d == 1.0);
  const std::vector<double> d = efq::infer::dice_per_class(shifted, labels, 117);
  double mean = 0;
  for (int k = 1; k <= 116; ++k) {
    CAPTURE(k);
    CHECK(d[k] < 1.0);
    CHECK(d[k] > 0.5);
    mean += d[k] / 116.0;
  }
  CHECK(mean > 0.8);
}
