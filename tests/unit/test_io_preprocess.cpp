// Normalisation specs against hand-computed values (docs/model-metadata.md semantics).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/nifti.hpp"
#include "io/preprocess.hpp"
#include "test_paths.hpp"

namespace {

using efq::io::Normalization;

std::vector<float> normalized(std::vector<float> v, const std::string& spec) {
  efq::io::normalize(v, efq::io::parse_normalization(spec));
  return v;
}

void check_close(const std::vector<float>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
  }
}

}  // namespace

TEST_CASE("normalization specs parse into kind and parameters") {
  CHECK(efq::io::parse_normalization("none").kind == Normalization::Kind::kNone);
  CHECK(efq::io::parse_normalization("zscore").kind == Normalization::Kind::kZScore);
  CHECK(efq::io::parse_normalization("zscore-nonzero").kind == Normalization::Kind::kZScoreNonzero);
  const Normalization ct = efq::io::parse_normalization("ct:-100,300.5");
  CHECK(ct.kind == Normalization::Kind::kCtWindow);
  CHECK(ct.a == -100.0);
  CHECK(ct.b == 300.5);
  const Normalization pct = efq::io::parse_normalization("pct:0.5,99.5");
  CHECK(pct.kind == Normalization::Kind::kPercentile);
  CHECK(pct.a == 0.5);
  CHECK(pct.b == 99.5);
}

TEST_CASE("malformed normalization specs are rejected quoting the spec") {
  for (const char* spec :
       {"", "zscore ", "Zscore", "ct:", "ct:1", "ct:a,b", "ct:300,-100", "ct:5,5", "ct:1,2,3",
        "pct:-1,99", "pct:1,101", "pct:50,50", "pct:1x,99", "minmax"}) {
    CAPTURE(spec);
    try {
      efq::io::parse_normalization(spec);
      FAIL("accepted");
    } catch (const efq::Error& e) {
      CHECK(e.code() == efq::ErrorCode::kInvalidArgument);
      CHECK(std::string(e.what()).find("'" + std::string(spec) + "'") != std::string::npos);
    }
  }
}

TEST_CASE("none leaves values unchanged") {
  check_close(normalized({-3.f, 0.f, 7.5f}, "none"), {-3, 0, 7.5});
}

TEST_CASE("zscore uses the population std over all voxels") {
  // mean 2.5, population variance 1.25
  const double sd = std::sqrt(1.25);
  check_close(normalized({1.f, 2.f, 3.f, 4.f}, "zscore"),
              {-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd});
  // constant input: std floored at 1e-8, result exactly 0, not NaN
  check_close(normalized({5.f, 5.f, 5.f}, "zscore"), {0, 0, 0});
}

TEST_CASE("zscore-nonzero takes statistics over nonzero voxels and keeps zeros at 0") {
  // nonzero {2, 4, 6}: mean 4, population std sqrt(8/3)
  const double sd = std::sqrt(8.0 / 3.0);
  const std::vector<float> got = normalized({0.f, 2.f, 4.f, 0.f, 6.f}, "zscore-nonzero");
  check_close(got, {0, -2 / sd, 0, 0, 2 / sd});
  CHECK(got[0] == 0.0f);
  CHECK(got[3] == 0.0f);
  check_close(normalized({0.f, 0.f}, "zscore-nonzero"), {0, 0});
}

TEST_CASE("ct window clips to LO..HI then maps linearly onto 0..1") {
  check_close(normalized({-1000.f, -100.f, 100.f, 300.f, 2000.f}, "ct:-100,300"),
              {0, 0, 0.5, 1, 1});
}

TEST_CASE("percentile clip interpolates order statistics like numpy, then z-scores") {
  // {1..9}: 25th percentile = 3, 75th = 7 (exact order statistics); clipped values have
  // mean 5 and population variance 26/9
  {
    const double sd = std::sqrt(26.0 / 9.0);
    const std::vector<double> clipped = {7, 3, 5, 3, 7, 3, 7, 4, 6};
    std::vector<double> want;
    for (double c : clipped) want.push_back((c - 5.0) / sd);
    check_close(normalized({9.f, 1.f, 5.f, 2.f, 8.f, 3.f, 7.f, 4.f, 6.f}, "pct:25,75"), want);
  }
  // {10, 20, 30, 40}: numpy.percentile(.., 10) = 13, (.., 90) = 37
  {
    const double sd = std::sqrt(84.5);  // clipped {13, 20, 30, 37}, mean 25
    check_close(normalized({40.f, 10.f, 30.f, 20.f}, "pct:10,90"),
                {12 / sd, -12 / sd, 5 / sd, -5 / sd});
  }
}

TEST_CASE("zscore of the real ch2 T1 has mean 0 and std 1") {
  std::vector<float> v = efq::io::read_nifti(efq_test::mricron_templates() + "ch2.nii.gz").data;
  efq::io::normalize(v, efq::io::parse_normalization("zscore"));
  double s = 0, ss = 0;
  for (float x : v) s += x;
  const double mean = s / static_cast<double>(v.size());
  for (float x : v) ss += (x - mean) * (x - mean);
  CHECK(mean == doctest::Approx(0.0).epsilon(1e-5));
  CHECK(std::sqrt(ss / static_cast<double>(v.size())) == doctest::Approx(1.0).epsilon(1e-5));
}
