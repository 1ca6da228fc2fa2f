// Phantom generators: determinism (pinned checksums), anatomy and contrast properties of the
// LiTS-like CT and the BraTS-like MRI, option checks, names and dataset.json.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "phantom/phantom.hpp"
#include "phantom/prng.hpp"

using efq::phantom::Kind;
using efq::phantom::PhantomCase;
using efq::phantom::PhantomOptions;

namespace {

PhantomCase make(Kind kind, uint64_t seed, int64_t nx = 0, int64_t ny = 0, int64_t nz = 0) {
  PhantomOptions o;
  o.kind = kind;
  o.seed = seed;
  o.dim[0] = nx;
  o.dim[1] = ny;
  o.dim[2] = nz;
  return efq::phantom::generate(o);
}

/// FNV-1a over bytes.
uint64_t fnv1a(const void* data, size_t n, uint64_t h = 0xCBF29CE484222325ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
  return h;
}

/// Hash of the exact float bits of every modality and of the labels.
uint64_t exact_hash(const PhantomCase& c) {
  uint64_t h = fnv1a(c.labels.data(), c.labels.size());
  for (const auto& m : c.modalities) h = fnv1a(m.data(), m.size() * sizeof(float), h);
  return h;
}

/// Platform-robust hash: labels plus intensities rounded to integers (the generator works in
/// double, so last-bit libm or FMA differences cannot move a value across a rounding boundary
/// in practice), which a change of PRNG or anatomy still changes.
uint64_t rounded_hash(const PhantomCase& c) {
  uint64_t h = fnv1a(c.labels.data(), c.labels.size());
  for (const auto& m : c.modalities) {
    for (const float v : m) {
      const int32_t r = static_cast<int32_t>(std::lround(v));
      h = fnv1a(&r, sizeof r, h);
    }
  }
  return h;
}

struct Stats {
  double count = 0, sum = 0;
  void add(double v) {
    count += 1;
    sum += v;
  }
  double mean() const { return count > 0 ? sum / count : 0.0; }
};

}  // namespace

TEST_CASE("splitmix64 reproduces the published reference outputs for seed 0") {
  uint64_t s = 0;
  CHECK(efq::phantom::splitmix64_next(s) == 0xE220A8397B1DCDAFull);
  CHECK(efq::phantom::splitmix64_next(s) == 0x6E789E6AA1B965F4ull);
  CHECK(efq::phantom::splitmix64_next(s) == 0x06C45D188009454Full);
}

TEST_CASE("xoshiro256** stream is pinned, uniform lies in 0..1 and normal has unit moments") {
  efq::phantom::Rng rng(42);
  const uint64_t first[3] = {rng.next_u64(), rng.next_u64(), rng.next_u64()};
  CHECK(first[0] == 0x15780B2E0C2EC716ull);
  CHECK(first[1] == 0x6104D9866D113A7Eull);
  CHECK(first[2] == 0xAE17533239E499A1ull);
  double lo = 1.0, hi = 0.0, sum = 0.0, sum2 = 0.0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    const double g = rng.normal();
    sum += g;
    sum2 += g * g;
  }
  CHECK(lo >= 0.0);
  CHECK(hi < 1.0);
  CHECK(hi - lo > 0.999);
  CHECK(std::fabs(sum / n) < 0.01);
  CHECK(std::fabs(sum2 / n - 1.0) < 0.015);
}

TEST_CASE("case_seed is a pinned hash that differs between cases") {
  CHECK(efq::phantom::case_seed(1, 0) == 0xF18D6CE93D6CF1EEull);
  CHECK(efq::phantom::case_seed(1, 0) != efq::phantom::case_seed(1, 1));
  CHECK(efq::phantom::case_seed(1, 0) != efq::phantom::case_seed(2, 0));
}

TEST_CASE("small phantoms match their pinned checksums (a PRNG or anatomy change shows here)") {
  CHECK(rounded_hash(make(Kind::kLiver, 7, 24, 24, 16)) == 0x28B4D37F67CBFE00ull);
  CHECK(rounded_hash(make(Kind::kBrats, 7, 24, 24, 24)) == 0x0D8058342A793FBEull);
}

TEST_CASE("same seed gives identical arrays, another seed different ones") {
  for (const Kind kind : {Kind::kLiver, Kind::kBrats}) {
    CAPTURE(static_cast<int>(kind));
    const PhantomCase a = make(kind, 123), b = make(kind, 123), c = make(kind, 124);
    CHECK(exact_hash(a) == exact_hash(b));
    CHECK(a.modalities == b.modalities);
    CHECK(a.labels == b.labels);
    CHECK(exact_hash(a) != exact_hash(c));
    CHECK(a.labels != c.labels);
  }
}

TEST_CASE("default geometry, modality count and array sizes") {
  const PhantomCase liver = make(Kind::kLiver, 1);
  CHECK(liver.dim[0] == 96);
  CHECK(liver.dim[1] == 96);
  CHECK(liver.dim[2] == 64);
  CHECK(liver.spacing[0] == doctest::Approx(1.5));
  CHECK(liver.spacing[2] == doctest::Approx(2.5));
  REQUIRE(liver.modalities.size() == 1);
  CHECK(liver.modalities[0].size() == size_t{96 * 96 * 64});
  CHECK(liver.labels.size() == size_t{96 * 96 * 64});

  const PhantomCase brats = make(Kind::kBrats, 1);
  CHECK(brats.dim[0] == 96);
  CHECK(brats.dim[2] == 96);
  CHECK(brats.spacing[1] == doctest::Approx(1.5));
  REQUIRE(brats.modalities.size() == 4);
  for (const auto& m : brats.modalities) CHECK(m.size() == size_t{96 * 96 * 96});
}

TEST_CASE("a non-default grid keeps the field of view: spacing scales inversely") {
  const PhantomCase c = make(Kind::kLiver, 3, 48, 0, 32);
  CHECK(c.dim[0] == 48);
  CHECK(c.dim[1] == 96);
  CHECK(c.dim[2] == 32);
  CHECK(c.spacing[0] == doctest::Approx(3.0));
  CHECK(c.spacing[1] == doctest::Approx(1.5));
  CHECK(c.spacing[2] == doctest::Approx(5.0));
  CHECK(c.labels.size() == size_t{48 * 96 * 32});
}

TEST_CASE("bad dims are rejected with kInvalidArgument") {
  for (const int64_t bad : {int64_t{-1}, int64_t{8}, efq::phantom::kMaxPhantomDim + 1}) {
    CAPTURE(bad);
    PhantomOptions o;
    o.dim[1] = bad;
    try {
      efq::phantom::generate(o);
      FAIL("no exception");
    } catch (const efq::Error& e) {
      CHECK(e.code() == efq::ErrorCode::kInvalidArgument);
      CHECK(std::string(e.what()).find("dim[1]") != std::string::npos);
    }
  }
}

TEST_CASE("liver CT: labels, tumor and liver fractions, HU of air, liver, tumor and bone") {
  for (uint64_t seed = 0; seed < 6; ++seed) {
    CAPTURE(seed);
    const PhantomCase c = make(Kind::kLiver, seed);
    const std::vector<float>& ct = c.modalities[0];
    const int64_t nx = c.dim[0], ny = c.dim[1], nz = c.dim[2];
    Stats liver, tumor, air;
    double n_label[3] = {0, 0, 0};
    float lo = 1e9f, hi = -1e9f, air_max = -1e9f;
    bool labels_ok = true;
    for (int64_t k = 0; k < nz; ++k) {
      for (int64_t j = 0; j < ny; ++j) {
        for (int64_t i = 0; i < nx; ++i) {
          const size_t idx = static_cast<size_t>(i + nx * (j + ny * k));
          const uint8_t l = c.labels[idx];
          const float v = ct[idx];
          lo = std::min(lo, v);
          hi = std::max(hi, v);
          if (l > 2) {
            labels_ok = false;
            continue;
          }
          n_label[l] += 1;
          if (l == 1) liver.add(v);
          if (l == 2) tumor.add(v);
          // The 6 x 6 corner columns lie outside the elliptic body on every slice.
          const bool corner = (i < 6 || i >= nx - 6) && (j < 6 || j >= ny - 6);
          if (corner) {
            air.add(v);
            air_max = std::max(air_max, v);
          }
        }
      }
    }
    const double n = static_cast<double>(c.labels.size());
    CHECK(labels_ok);
    CHECK(n_label[2] >= 50);       // at least one tumor, several voxels wide
    CHECK(n_label[2] / n < 0.01);  // severe class imbalance, as in LiTS
    CHECK((n_label[1] + n_label[2]) / n > 0.02);
    CHECK((n_label[1] + n_label[2]) / n < 0.15);
    CHECK(air.mean() == doctest::Approx(-1000.0).epsilon(0.01));
    CHECK(air_max < -900.0f);
    CHECK(lo >= -1024.0f);
    CHECK(hi <= 3071.0f);
    CHECK(hi > 500.0f);  // bone
    CHECK(liver.mean() > 40.0);
    CHECK(liver.mean() < 100.0);
    CHECK(tumor.mean() > 0.0);
    CHECK(tumor.mean() < liver.mean() - 10.0);  // hypodense
  }
}

TEST_CASE("brats MRI: labels, zero background, nested regions, tissue contrasts") {
  for (uint64_t seed = 0; seed < 4; ++seed) {
    CAPTURE(seed);
    const PhantomCase c = make(Kind::kBrats, seed);
    REQUIRE(c.modalities.size() == 4);
    const auto& flair = c.modalities[0];
    const auto& t1 = c.modalities[1];
    const auto& t1ce = c.modalities[2];
    const size_t n = c.labels.size();
    double count[4] = {0, 0, 0, 0};
    size_t mismatched_zero = 0, labelled_zero = 0, brain = 0;
    bool labels_ok = true;
    for (size_t idx = 0; idx < n; ++idx) {
      const uint8_t l = c.labels[idx];
      if (l > 3) {
        labels_ok = false;
        continue;
      }
      count[l] += 1;
      // The brain mask is where the first modality is nonzero; all four must agree exactly.
      const bool in_brain = flair[idx] != 0.0f;
      brain += in_brain;
      for (const auto& m : c.modalities) mismatched_zero += (m[idx] != 0.0f) != in_brain;
      labelled_zero += l != 0 && !in_brain;
    }
    CHECK(labels_ok);
    CHECK(mismatched_zero == 0);
    CHECK(labelled_zero == 0);
    CHECK(flair[0] == 0.0f);  // a corner is outside the head
    CHECK(static_cast<double>(brain) / n > 0.1);
    CHECK(static_cast<double>(brain) / n < 0.5);
    // Nested regions whole tumor {1,2,3} > tumor core {1,3} > enhancing {3}, all non-empty.
    CHECK(count[1] > 0);
    CHECK(count[2] > 0);
    CHECK(count[3] > 0);
    CHECK(count[1] + count[3] < count[1] + count[2] + count[3]);

    // Normal-appearing white matter: non-tumor brain voxels in the upper 40% of T1 (WM is the
    // brightest tissue on T1).
    std::vector<float> normal_t1;
    for (size_t idx = 0; idx < n; ++idx) {
      if (c.labels[idx] == 0 && t1[idx] != 0.0f) normal_t1.push_back(t1[idx]);
    }
    REQUIRE(!normal_t1.empty());
    std::vector<float> sorted = normal_t1;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() * 6 / 10, sorted.end());
    const float wm_t1 = sorted[sorted.size() * 6 / 10];
    Stats wm_flair, wm_t1s, edema_flair, edema_t1ce, enh_t1ce, nec_t1ce, nec_t1;
    for (size_t idx = 0; idx < n; ++idx) {
      const uint8_t l = c.labels[idx];
      if (l == 0 && t1[idx] != 0.0f && t1[idx] >= wm_t1) {
        wm_flair.add(flair[idx]);
        wm_t1s.add(t1[idx]);
      }
      if (l == 2) {
        edema_flair.add(flair[idx]);
        edema_t1ce.add(t1ce[idx]);
      }
      if (l == 3) enh_t1ce.add(t1ce[idx]);
      if (l == 1) {
        nec_t1ce.add(t1ce[idx]);
        nec_t1.add(t1[idx]);
      }
    }
    CHECK(enh_t1ce.mean() > 1.3 * edema_t1ce.mean());   // enhancing rim bright on T1ce
    CHECK(edema_flair.mean() > 1.5 * wm_flair.mean());  // edema bright on FLAIR
    CHECK(nec_t1ce.mean() < enh_t1ce.mean());           // necrotic core dark on T1ce
    CHECK(nec_t1.mean() < wm_t1s.mean());               // and on T1
  }
}

TEST_CASE("modality names and case prefixes") {
  CHECK(efq::phantom::modality_names(Kind::kLiver) == std::vector<std::string>{"CT"});
  CHECK(efq::phantom::modality_names(Kind::kBrats) ==
        std::vector<std::string>{"FLAIR", "T1", "T1ce", "T2"});
  CHECK(efq::phantom::case_prefix(Kind::kLiver) == "liver");
  CHECK(efq::phantom::case_prefix(Kind::kBrats) == "brats");
}

TEST_CASE("dataset.json carries nnU-Net v2 channels, labels, regions and counts") {
  const std::string liver = efq::phantom::dataset_json(Kind::kLiver, 12);
  CHECK(liver.find("\"channel_names\": {\"0\": \"CT\"}") != std::string::npos);
  CHECK(liver.find("\"labels\": {\"background\": 0, \"liver\": 1, \"tumor\": 2}") !=
        std::string::npos);
  CHECK(liver.find("\"numTraining\": 12,") != std::string::npos);
  CHECK(liver.find("\"file_ending\": \".nii.gz\"") != std::string::npos);
  CHECK(liver.find("regions_class_order") == std::string::npos);

  const std::string brats = efq::phantom::dataset_json(Kind::kBrats, 3);
  CHECK(brats.find("{\"0\": \"FLAIR\", \"1\": \"T1\", \"2\": \"T1ce\", \"3\": \"T2\"}") !=
        std::string::npos);
  CHECK(brats.find("\"whole tumor\": [1, 2, 3]") != std::string::npos);
  CHECK(brats.find("\"tumor core\": [1, 3]") != std::string::npos);
  CHECK(brats.find("\"enhancing tumor\": [3]") != std::string::npos);
  CHECK(brats.find("\"regions_class_order\": [2, 1, 3]") != std::string::npos);
  CHECK(brats.find("\"numTraining\": 3,") != std::string::npos);

  CHECK_THROWS_AS(efq::phantom::dataset_json(Kind::kLiver, -1), efq::Error);
}
