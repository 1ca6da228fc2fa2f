// The BraTS-like brain MRI phantom: a skull-stripped brain (exactly 0 outside) with a CSF rim,
// folded cortical gray matter, deep gray nuclei, white matter and lateral/third ventricles, and a
// glioma of nested regions: edema (label 2) around an enhancing rim (label 3) around a necrotic
// core (label 1). Four co-registered modalities FLAIR, T1, T1ce, T2 are rendered from one tissue
// map with per-case contrasts, partial-volume blur, a smooth multiplicative bias field per
// modality and Gaussian noise.
//
// Normalized coordinates: x (+ = patient's right), y (+ = anterior), z (+ = superior).
#include <algorithm>
#include <cmath>

#include "phantom/generators.hpp"
#include "phantom/prng.hpp"
#include "phantom/shapes.hpp"

namespace efq::phantom::detail {
namespace {

enum Tissue : uint8_t { kBg, kCsf, kGm, kWm, kNecrosis, kEdema, kEnhancing, kTissueCount };

constexpr int kModalities = 4;  // FLAIR, T1, T1ce, T2 (modality_names order)

/// Typical relative intensities [modality][tissue]: CSF dark on FLAIR/T1 and bright on T2;
/// WM brighter than GM on T1, darker on T2/FLAIR; edema bright on FLAIR/T2; the enhancing rim
/// bright on T1ce; the necrotic core dark on T1/T1ce and bright on T2.
constexpr double kContrast[kModalities][kTissueCount] = {
    // bg   CSF   GM    WM    nec   edema enh
    {0.0, 0.12, 0.70, 0.50, 0.55, 1.20, 0.95},  // FLAIR
    {0.0, 0.25, 0.55, 0.80, 0.22, 0.48, 0.55},  // T1
    {0.0, 0.25, 0.58, 0.80, 0.20, 0.50, 1.35},  // T1ce
    {0.0, 1.40, 0.85, 0.55, 1.25, 1.15, 0.90},  // T2
};

/// An ellipsoid given in the brain's scaled local frame q.
struct LocalEllipsoid {
  double c[3];
  double r[3];
  bool contains(const double q[3]) const {
    double s = 0.0;
    for (int a = 0; a < 3; ++a) {
      const double d = (q[a] - c[a]) / r[a];
      s += d * d;
    }
    return s < 1.0;
  }
};

/// Cortical folding: a sum of three mid-frequency waves in the brain frame, in [-1, 1].
struct Folding {
  Ripple w[3];
  double at(const double q[3]) const {
    double s = 0.0;
    for (const Ripple& r : w)
      s += std::sin(r.k[0] * q[0] + r.k[1] * q[1] + r.k[2] * q[2] + r.phase);
    return s / 3.0;
  }
};

/// Draws the healthy brain into `tissue`; returns the brain blob.
Blob draw_brain(const Lattice& lat, Rng& rng, std::vector<uint8_t>& tissue) {
  const double c[3] = {rng.uniform(-0.03, 0.03), rng.uniform(-0.04, 0.04),
                       rng.uniform(-0.05, 0.05)};
  const double scale = rng.uniform(0.93, 1.03);
  const double r[3] = {0.66 * scale * rng.uniform(0.97, 1.03), 0.84 * scale,
                       0.70 * scale * rng.uniform(0.97, 1.03)};
  Blob brain = make_blob(c, r, rng.uniform(-0.08, 0.08));
  add_ripples(brain, rng, 4, 0.015, 0.035, 1.5, 3.5);

  Blob folds_src;  // only used to draw random wave vectors
  add_ripples(folds_src, rng, 3, 1.0, 1.0, 9.0, 14.0);
  Folding folds;
  for (int n = 0; n < 3; ++n) folds.w[n] = folds_src.ripples[static_cast<size_t>(n)];

  const double t_csf = rng.uniform(0.025, 0.04);
  const double t_gm = rng.uniform(0.10, 0.13);
  const double v = rng.uniform(0.8, 1.4);  // ventricle size (atrophy varies between cases)
  const double vy = rng.uniform(0.0, 0.1);
  const LocalEllipsoid ventricles[3] = {
      {{-0.11, vy, 0.12}, {0.08 * v, 0.35, 0.13 * v}},
      {{0.11, vy, 0.12}, {0.08 * v, 0.35, 0.13 * v}},
      {{0.0, -0.05, -0.02}, {0.02 * v, 0.12, 0.08}},  // third ventricle
  };
  const LocalEllipsoid nuclei[2] = {
      {{-0.21, -0.05, -0.02}, {0.12, 0.16, 0.12}},
      {{0.21, -0.05, -0.02}, {0.12, 0.16, 0.12}},
  };

  for_each_in_box(lat, blob_box(lat, brain), [&](size_t idx, double x, double y, double z) {
    const double l = brain.level(x, y, z);
    if (l >= 1.0) return;
    double q[3];
    brain.local(x, y, z, q);
    uint8_t t = kWm;
    if (l > 1.0 - t_csf) {
      t = kCsf;
    } else if (l > 1.0 - t_csf - 1.6 * t_gm) {
      const double f = folds.at(q);
      const double depth = 1.0 - t_csf - l;  // distance below the CSF rim
      if (f > 0.7 && depth < 1.2 * t_gm) {
        t = kCsf;  // a sulcus
      } else if (depth < t_gm * (1.0 + 0.5 * f)) {
        t = kGm;
      }
    }
    if (t == kWm) {
      for (const LocalEllipsoid& e : nuclei) {
        if (e.contains(q)) t = kGm;
      }
      for (const LocalEllipsoid& e : ventricles) {
        if (e.contains(q)) t = kCsf;
      }
    }
    tissue[idx] = t;
  });
  return brain;
}

struct TumorShape {
  Blob edema, core, necrosis;
};

TumorShape make_tumor(Rng& rng, const Lattice& lat, const Blob& brain) {
  const double side = rng.sign();
  const double q[3] = {side * rng.uniform(0.15, 0.35), rng.uniform(-0.35, 0.35),
                       rng.uniform(-0.1, 0.3)};
  double c[3];
  const double lx = q[0] * brain.r[0], ly = q[1] * brain.r[1];
  c[0] = brain.c[0] + brain.cos_a * lx - brain.sin_a * ly;
  c[1] = brain.c[1] + brain.sin_a * lx + brain.cos_a * ly;
  c[2] = brain.c[2] + q[2] * brain.r[2];

  // Radii with a floor in voxels, so every region stays visible on coarse grids.
  const double vox = lat.coarsest_voxel();
  const double re = rng.uniform(0.22, 0.34);
  double rc = re * rng.uniform(0.50, 0.70);
  double rn = rc * rng.uniform(0.45, 0.70);
  rn = std::max(rn, 1.5 * vox);
  rc = std::max(rc, rn + 2.0 * vox);
  const double re_f = std::max(re, rc + 2.0 * vox);

  TumorShape s;
  auto blob = [&](double radius, const double center[3], double amp_lo, double amp_hi) {
    const double a1 = rng.uniform(0.85, 1.18), a2 = rng.uniform(0.85, 1.18);
    const double r[3] = {radius * a1, radius * a2, radius / (a1 * a2)};
    Blob b = make_blob(center, r, rng.uniform(0.0, 3.14159));
    add_ripples(b, rng, 3, amp_lo, amp_hi, 2.0, 4.0);
    return b;
  };
  s.edema = blob(re_f, c, 0.08, 0.15);
  s.core = blob(rc, c, 0.04, 0.08);
  double cn[3];
  for (int a = 0; a < 3; ++a) cn[a] = c[a] + rng.uniform(-0.15, 0.15) * (rc - rn);
  s.necrosis = blob(rn, cn, 0.04, 0.08);
  return s;
}

/// Draws the tumor over the brain; edema only over parenchyma, the core over anything inside.
void draw_tumor(const Lattice& lat, const TumorShape& s, std::vector<uint8_t>& tissue) {
  for_each_in_box(lat, blob_box(lat, s.edema), [&](size_t idx, double x, double y, double z) {
    const uint8_t t = tissue[idx];
    if (t == kBg) return;
    if (s.core.level(x, y, z) < 1.0) {
      tissue[idx] = s.necrosis.level(x, y, z) < 1.0 ? kNecrosis : kEnhancing;
    } else if ((t == kWm || t == kGm) && s.edema.level(x, y, z) < 1.0) {
      tissue[idx] = kEdema;
    }
  });
  // Fallback for degenerate grids: make sure labels 1, 2 and 3 are all present.
  bool present[kTissueCount] = {};
  for (const uint8_t t : tissue) present[t] = true;
  if (present[kNecrosis] && present[kEnhancing] && present[kEdema]) return;
  int64_t ijk[3];
  for (int a = 0; a < 3; ++a) {
    const double f = (s.core.c[a] + 1.0) * 0.5 * static_cast<double>(lat.n[a]);
    ijk[a] = std::clamp(static_cast<int64_t>(f), int64_t{1}, lat.n[a] - 4);
  }
  const uint8_t order[3] = {kNecrosis, kEnhancing, kEdema};
  for (int n = 0; n < 3; ++n) {
    if (!present[order[n]]) tissue[lat.index(ijk[0] + n, ijk[1], ijk[2])] = order[n];
  }
}

}  // namespace

PhantomCase generate_brats(uint64_t seed, const int64_t dim[3]) {
  Rng rng(hash_seed(seed, 0x4252415453ull));            // anatomy and contrast
  Rng noise_rng(hash_seed(seed, 0x4252415453ull + 1));  // acquisition noise only
  const Lattice lat = make_lattice(dim);
  std::vector<uint8_t> tissue(lat.size(), kBg);

  const Blob brain = draw_brain(lat, rng, tissue);
  draw_tumor(lat, make_tumor(rng, lat, brain), tissue);

  PhantomCase out;
  out.labels.resize(lat.size());
  for (size_t idx = 0; idx < tissue.size(); ++idx) {
    const uint8_t t = tissue[idx];
    out.labels[idx] = t == kNecrosis ? 1 : t == kEdema ? 2 : t == kEnhancing ? 3 : 0;
  }

  std::vector<double> img(lat.size());
  for (int m = 0; m < kModalities; ++m) {
    double level[kTissueCount];
    const double gain = rng.uniform(600.0, 1200.0);
    for (int t = 0; t < kTissueCount; ++t)
      level[t] = gain * kContrast[m][t] * rng.uniform(0.94, 1.06);
    for (size_t idx = 0; idx < img.size(); ++idx) img[idx] = level[tissue[idx]];
    blur121(img, lat);

    const double bias_amp = rng.uniform(0.10, 0.20);
    const std::vector<double> bx = smooth_profile(rng, lat.u[0], bias_amp);
    const std::vector<double> by = smooth_profile(rng, lat.u[1], bias_amp);
    const std::vector<double> bz = smooth_profile(rng, lat.u[2], bias_amp);
    const double sigma = gain * rng.uniform(0.015, 0.035);
    const double floor = gain * 1e-3;  // inside the brain stays > 0, so nonzero == brain mask

    out.modalities.emplace_back(img.size());
    std::vector<float>& dst = out.modalities.back();
    for (int64_t k = 0; k < lat.n[2]; ++k) {
      for (int64_t j = 0; j < lat.n[1]; ++j) {
        const double byz = by[static_cast<size_t>(j)] * bz[static_cast<size_t>(k)];
        size_t idx = lat.index(0, j, k);
        for (int64_t i = 0; i < lat.n[0]; ++i, ++idx) {
          // Draw the noise for every voxel so the stream does not depend on the mask.
          const double n = sigma * noise_rng.normal();
          if (tissue[idx] == kBg) {
            dst[idx] = 0.0f;
          } else {
            const double v = img[idx] * bx[static_cast<size_t>(i)] * byz + n;
            dst[idx] = static_cast<float>(std::max(v, floor));
          }
        }
      }
    }
  }
  return out;
}

}  // namespace efq::phantom::detail
