// The LiTS-like abdominal CT phantom: body outline, subcutaneous fat, abdominal wall, spine with
// discs and paraspinal muscles, aorta and IVC, kidneys in perirenal fat, an irregular liver with
// contrast-filled vessels and 1-5 hypodense tumors, bowel gas; then partial-volume blur and noise.
//
// The anatomy is first drawn as a tissue map (one class per voxel), which fixes the labels; the
// intensities are rendered from it. Normalized coordinates: x (+ = patient's right),
// y (+ = anterior), z (+ = superior), each in (-1, 1) over the field of view.
#include <algorithm>
#include <cmath>

#include "phantom/generators.hpp"
#include "phantom/prng.hpp"
#include "phantom/shapes.hpp"

namespace efq::phantom::detail {
namespace {

enum Tissue : uint8_t {
  kAir,
  kFat,
  kMuscle,
  kViscera,
  kGas,
  kCortical,
  kMarrow,
  kDisc,
  kCanal,
  kAorta,
  kIvc,
  kKidney,
  kSinus,
  kLiver,
  kVessel,
  kTumor,
  kTissueCount
};

/// The body cross-section: an ellipse whose width tapers slightly along z.
struct Body {
  double cx = 0, cy = 0, ax = 0.85, ay = 0.65, taper = 0;
  double s_fat = 0.9;      // inner edge of the subcutaneous fat (relative radius)
  double s_muscle = 0.85;  // inner edge of the abdominal wall
  double radius(double x, double y, double z) const {
    const double dx = (x - cx) / (ax * (1.0 + taper * z));
    const double dy = (y - cy) / ay;
    return std::sqrt(dx * dx + dy * dy);
  }
};

/// An axis-aligned ellipse in the (x, y) plane, extruded along z.
bool in_ellipse(double x, double y, double ex, double ey, double rx, double ry) {
  const double dx = (x - ex) / rx, dy = (y - ey) / ry;
  return dx * dx + dy * dy < 1.0;
}

double fract(double v) { return v - std::floor(v); }

/// Draws body, fat, wall, spine, paraspinal muscles, aorta and IVC; returns the vertebra center.
void draw_trunk(const Lattice& lat, Rng& rng, const Body& body, std::vector<uint8_t>& tissue,
                double vertebra[2]) {
  const double xv = body.cx + rng.uniform(-0.02, 0.02);
  const double yv = body.cy - body.ay * rng.uniform(0.40, 0.45);
  const double rvx = rng.uniform(0.10, 0.12), rvy = rng.uniform(0.09, 0.105);
  const double disc_period = rng.uniform(0.30, 0.38), disc_phase = rng.uniform(0.0, 1.0);
  const double y_canal = yv - rvy - 0.045;
  const double y_spinous = yv - rvy - 0.14;
  const double y_para = yv - rvy - 0.09;
  const double para_r = rng.uniform(0.10, 0.13);
  const double aorta_r = rng.uniform(0.04, 0.05), ivc_r = rng.uniform(0.04, 0.055);
  const double ax_c = xv - 0.07, ay_c = yv + rvy + aorta_r + 0.01;
  const double ix_c = xv + 0.10, iy_c = yv + rvy + ivc_r + 0.015;
  vertebra[0] = xv;
  vertebra[1] = yv;

  for_each_in_box(lat, full_box(lat), [&](size_t idx, double x, double y, double z) {
    const double e = body.radius(x, y, z);
    uint8_t t = kAir;
    if (e < body.s_muscle) {
      t = kViscera;
    } else if (e < body.s_fat) {
      t = kMuscle;
    } else if (e < 1.0) {
      t = kFat;
    }
    if (e < body.s_fat) {  // posterior structures stay inside the subcutaneous fat
      if (in_ellipse(x, y, xv - 0.17, y_para, para_r, para_r * 0.95) ||
          in_ellipse(x, y, xv + 0.17, y_para, para_r, para_r * 0.95)) {
        t = kMuscle;
      }
      if (in_ellipse(x, y, xv, y_canal - 0.005, 0.085, 0.075) ||
          in_ellipse(x, y, xv, y_spinous, 0.025, 0.07)) {
        t = kCortical;
      }
      if (in_ellipse(x, y, xv, y_canal, 0.045, 0.04)) t = kCanal;
      if (in_ellipse(x, y, xv, yv, rvx, rvy)) {
        t = kCortical;
        if (in_ellipse(x, y, xv, yv, rvx * 0.8, rvy * 0.8)) t = kMarrow;
        if (fract(z / disc_period + disc_phase) < 0.18) t = kDisc;
      }
      if (in_ellipse(x, y, ax_c, ay_c, aorta_r, aorta_r)) t = kAorta;
      if (in_ellipse(x, y, ix_c, iy_c, ivc_r, ivc_r * 0.8)) t = kIvc;
    }
    tissue[idx] = t;
  });
}

/// Mesenteric fat: turns the viscera into fat where a smooth random field is high, so that the
/// organs stand out against a mottled bowel/fat background as on real CT.
void draw_mesentery(const Lattice& lat, Rng& rng, std::vector<uint8_t>& tissue) {
  // f = sum over 3 terms of sin(kx x + a) sin(ky y + b) sin(kz z + c): separable, so each factor
  // is tabulated once per axis; the product form gives blobs rather than straight bands.
  constexpr int kTerms = 3;
  std::vector<double> table[kTerms][3];
  for (auto& term : table) {
    for (int a = 0; a < 3; ++a) {
      const double k = rng.uniform(6.0, 12.0), phase = rng.uniform(0.0, 6.283185307179586);
      term[a].resize(lat.u[a].size());
      for (size_t i = 0; i < lat.u[a].size(); ++i) term[a][i] = std::sin(k * lat.u[a][i] + phase);
    }
  }
  const double threshold = rng.uniform(0.35, 0.6);
  for (int64_t k = 0; k < lat.n[2]; ++k) {
    for (int64_t j = 0; j < lat.n[1]; ++j) {
      size_t idx = lat.index(0, j, k);
      for (int64_t i = 0; i < lat.n[0]; ++i, ++idx) {
        if (tissue[idx] != kViscera) continue;
        double f = 0.0;
        for (const auto& term : table) {
          f += term[0][static_cast<size_t>(i)] * term[1][static_cast<size_t>(j)] *
               term[2][static_cast<size_t>(k)];
        }
        if (f > threshold) tissue[idx] = kFat;
      }
    }
  }
}

/// Draws both kidneys, each inside a shell of perirenal fat, with a renal sinus.
void draw_kidneys(const Lattice& lat, Rng& rng, const Body& body, const double vertebra[2],
                  std::vector<uint8_t>& tissue) {
  for (const double side : {-1.0, 1.0}) {
    const double c[3] = {vertebra[0] + side * rng.uniform(0.30, 0.36),
                         vertebra[1] + rng.uniform(-0.01, 0.06),
                         rng.uniform(-0.45, -0.12) - (side > 0 ? 0.08 : 0.0)};
    const double r[3] = {rng.uniform(0.085, 0.105), rng.uniform(0.12, 0.15),
                         rng.uniform(0.26, 0.34)};
    const double angle = side * rng.uniform(0.3, 0.6);
    Blob kidney = make_blob(c, r, angle);
    add_ripples(kidney, rng, 2, 0.02, 0.04, 1.5, 3.0);
    const double rf[3] = {r[0] * 1.45, r[1] * 1.35, r[2] * 1.15};
    Blob fat = make_blob(c, rf, angle);
    const double sinus_shift = -side * 0.35 * r[0];
    for_each_in_box(lat, blob_box(lat, fat), [&](size_t idx, double x, double y, double z) {
      if (body.radius(x, y, z) >= body.s_muscle || tissue[idx] != kViscera) return;
      if (fat.level(x, y, z) >= 1.0) return;
      const double lk = kidney.level(x, y, z);
      if (lk >= 1.0) {
        tissue[idx] = kFat;
      } else {
        tissue[idx] = kidney.level(x - sinus_shift, y, z) < 0.45 ? kSinus : kKidney;
      }
    });
  }
}

struct LiverShape {
  Blob main;
  Blob lobe;
};

LiverShape make_liver(Rng& rng, const Body& body) {
  LiverShape s;
  const double c[3] = {body.cx + rng.uniform(0.30, 0.38), body.cy + rng.uniform(0.0, 0.10),
                       rng.uniform(0.05, 0.30)};
  const double r[3] = {rng.uniform(0.32, 0.38), rng.uniform(0.38, 0.46), rng.uniform(0.50, 0.65)};
  s.main = make_blob(c, r, rng.uniform(-0.3, 0.3));
  add_ripples(s.main, rng, 4, 0.04, 0.09, 1.5, 3.5);
  const double cl[3] = {c[0] - rng.uniform(0.28, 0.36), c[1] + rng.uniform(0.12, 0.20),
                        c[2] + rng.uniform(0.0, 0.12)};
  const double rl[3] = {rng.uniform(0.20, 0.26), rng.uniform(0.14, 0.20), rng.uniform(0.22, 0.30)};
  s.lobe = make_blob(cl, rl, rng.uniform(-0.3, 0.3));
  add_ripples(s.lobe, rng, 2, 0.03, 0.06, 1.5, 3.0);
  return s;
}

/// World coordinates of a point given in a blob's scaled local frame.
void to_world(const Blob& b, const double q[3], double p[3]) {
  const double lx = q[0] * b.r[0], ly = q[1] * b.r[1];
  p[0] = b.c[0] + b.cos_a * lx - b.sin_a * ly;
  p[1] = b.c[1] + b.sin_a * lx + b.cos_a * ly;
  p[2] = b.c[2] + q[2] * b.r[2];
}

/// A uniformly random point of the unit ball scaled by `radius`.
void random_in_ball(Rng& rng, double radius, double q[3]) {
  do {
    for (int a = 0; a < 3; ++a) q[a] = rng.uniform(-1.0, 1.0);
  } while (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] > 1.0);
  for (int a = 0; a < 3; ++a) q[a] *= radius;
}

void draw_liver(const Lattice& lat, const Body& body, const LiverShape& liver,
                std::vector<uint8_t>& tissue) {
  auto paint = [&](const Blob& b) {
    for_each_in_box(lat, blob_box(lat, b), [&](size_t idx, double x, double y, double z) {
      const uint8_t t = tissue[idx];
      if (t != kViscera && t != kFat && t != kKidney && t != kSinus) return;
      if (body.radius(x, y, z) >= body.s_muscle || b.level(x, y, z) >= 1.0) return;
      tissue[idx] = kLiver;
    });
  };
  paint(liver.main);
  paint(liver.lobe);
}

/// Portal/hepatic vessel trees: a few trunks from the hilum, each with side branches.
std::vector<Tube> make_vessels(Rng& rng, const Blob& liver) {
  std::vector<Tube> tubes;
  const double qh[3] = {-0.45, -0.3, -0.1};
  double hilum[3];
  to_world(liver, qh, hilum);
  const int trunks = static_cast<int>(rng.uniform_int(3, 4));
  for (int n = 0; n < trunks; ++n) {
    Tube trunk;
    for (int a = 0; a < 3; ++a) trunk.a[a] = hilum[a];
    double q[3];
    random_in_ball(rng, 0.75, q);
    to_world(liver, q, trunk.b);
    trunk.radius = rng.uniform(0.025, 0.035);
    tubes.push_back(trunk);
    const int branches = static_cast<int>(rng.uniform_int(1, 2));
    for (int m = 0; m < branches; ++m) {
      Tube br;
      const double s = rng.uniform(0.35, 0.75);
      for (int a = 0; a < 3; ++a) br.a[a] = trunk.a[a] + s * (trunk.b[a] - trunk.a[a]);
      random_in_ball(rng, 0.8, q);
      to_world(liver, q, br.b);
      br.radius = trunk.radius * rng.uniform(0.6, 0.8);
      tubes.push_back(br);
    }
  }
  return tubes;
}

void draw_vessels(const Lattice& lat, const std::vector<Tube>& tubes,
                  std::vector<uint8_t>& tissue) {
  for (const Tube& t : tubes) {
    double lo[3], hi[3];
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(t.a[a], t.b[a]) - t.radius;
      hi[a] = std::max(t.a[a], t.b[a]) + t.radius;
    }
    const double r2 = t.radius * t.radius;
    for_each_in_box(lat, coord_box(lat, lo, hi), [&](size_t idx, double x, double y, double z) {
      if (tissue[idx] == kLiver && segment_distance2(t, x, y, z) < r2) tissue[idx] = kVessel;
    });
  }
}

struct Tumor {
  Blob shape;
  double hu = 0;
};

/// 1-5 tumors of 0.07-0.12 normalized radius, centered well inside the main liver body, drawn
/// only over liver tissue (so the liver label always contains them).
std::vector<Tumor> make_tumors(Rng& rng, const Body& body, const Blob& liver, double hu_base) {
  std::vector<Tumor> tumors;
  const int count = static_cast<int>(rng.uniform_int(1, 5));
  const double rmin = std::min(liver.r[0], std::min(liver.r[1], liver.r[2]));
  for (int n = 0; n < count; ++n) {
    const double r = rng.uniform(0.07, 0.12);
    const double a1 = rng.uniform(0.8, 1.25), a2 = rng.uniform(0.8, 1.25);
    const double radii[3] = {r * a1, r * a2, r / (a1 * a2)};
    double c[3] = {liver.c[0], liver.c[1], liver.c[2]};
    for (int attempt = 0; attempt < 200; ++attempt) {
      double q[3], p[3];
      random_in_ball(rng, 0.8, q);
      to_world(liver, q, p);
      if (liver.level(p[0], p[1], p[2]) < 1.0 - 1.3 * r / rmin &&
          body.radius(p[0], p[1], p[2]) < body.s_muscle - 0.1) {
        for (int a = 0; a < 3; ++a) c[a] = p[a];
        break;
      }
    }
    Tumor t;
    t.shape = make_blob(c, radii, rng.uniform(0.0, 3.14159));
    add_ripples(t.shape, rng, 2, 0.03, 0.08, 2.0, 4.0);
    t.hu = hu_base + rng.uniform(-4.0, 4.0);
    tumors.push_back(t);
  }
  return tumors;
}

}  // namespace

PhantomCase generate_liver(uint64_t seed, const int64_t dim[3]) {
  Rng rng(hash_seed(seed, 0x4C49564552ull));            // anatomy and contrast
  Rng noise_rng(hash_seed(seed, 0x4C49564552ull + 1));  // acquisition noise only
  const Lattice lat = make_lattice(dim);
  std::vector<uint8_t> tissue(lat.size(), kAir);

  Body body;
  body.cx = rng.uniform(-0.04, 0.04);
  body.cy = rng.uniform(-0.06, 0.02);
  body.ax = rng.uniform(0.80, 0.92);
  body.ay = rng.uniform(0.60, 0.72);
  body.taper = rng.uniform(-0.04, 0.04);
  body.s_fat = 1.0 - rng.uniform(0.06, 0.12);
  body.s_muscle = body.s_fat - rng.uniform(0.03, 0.05);

  double hu[kTissueCount];
  hu[kAir] = -1000.0;
  hu[kFat] = rng.uniform(-110.0, -85.0);
  hu[kMuscle] = rng.uniform(45.0, 60.0);
  hu[kViscera] = rng.uniform(25.0, 45.0);
  hu[kGas] = rng.uniform(-950.0, -750.0);
  hu[kCortical] = rng.uniform(700.0, 1000.0);
  hu[kMarrow] = rng.uniform(200.0, 350.0);
  hu[kDisc] = rng.uniform(70.0, 100.0);
  hu[kCanal] = rng.uniform(5.0, 20.0);
  hu[kAorta] = rng.uniform(150.0, 200.0);
  hu[kIvc] = rng.uniform(110.0, 150.0);
  hu[kKidney] = rng.uniform(130.0, 180.0);
  hu[kSinus] = rng.uniform(-60.0, -20.0);
  hu[kLiver] = rng.uniform(55.0, 68.0);
  hu[kVessel] = rng.uniform(140.0, 170.0);
  hu[kTumor] = rng.uniform(22.0, 34.0);

  double vertebra[2];
  draw_trunk(lat, rng, body, tissue, vertebra);
  draw_mesentery(lat, rng, tissue);
  draw_kidneys(lat, rng, body, vertebra, tissue);
  const LiverShape liver = make_liver(rng, body);
  draw_liver(lat, body, liver, tissue);
  draw_vessels(lat, make_vessels(rng, liver.main), tissue);

  const std::vector<Tumor> tumors = make_tumors(rng, body, liver.main, hu[kTumor]);
  size_t tumor_voxels = 0;
  for (const Tumor& t : tumors) {
    for_each_in_box(lat, blob_box(lat, t.shape), [&](size_t idx, double x, double y, double z) {
      const uint8_t v = tissue[idx];
      if ((v == kLiver || v == kVessel || v == kTumor) && t.shape.level(x, y, z) < 1.0) {
        tumor_voxels += v != kTumor;
        tissue[idx] = kTumor;
      }
    });
  }
  if (tumor_voxels == 0) {  // guaranteed non-empty: mark the voxel at the first tumor's center
    int64_t ijk[3];
    for (int a = 0; a < 3; ++a) {
      const double f = (tumors[0].shape.c[a] + 1.0) * 0.5 * static_cast<double>(lat.n[a]);
      ijk[a] = std::clamp(static_cast<int64_t>(f), int64_t{0}, lat.n[a] - 1);
    }
    tissue[lat.index(ijk[0], ijk[1], ijk[2])] = kTumor;
  }

  // Bowel gas: a few small pockets in the viscera on the patient's left, away from the liver.
  const int pockets = static_cast<int>(rng.uniform_int(3, 6));
  for (int n = 0; n < pockets; ++n) {
    const double c[3] = {body.cx - rng.uniform(0.05, 0.5), body.cy + rng.uniform(-0.1, 0.4),
                         rng.uniform(-0.8, 0.6)};
    const double r = rng.uniform(0.03, 0.07);
    const double radii[3] = {r, r * rng.uniform(0.7, 1.3), r * rng.uniform(0.7, 1.5)};
    Blob gas = make_blob(c, radii, 0.0);
    for_each_in_box(lat, blob_box(lat, gas), [&](size_t idx, double x, double y, double z) {
      if (tissue[idx] == kViscera && gas.level(x, y, z) < 1.0) tissue[idx] = kGas;
    });
  }

  // Render: tissue intensities, darker tumor centers, partial-volume blur, then CT noise.
  std::vector<double> img(lat.size());
  for (size_t idx = 0; idx < img.size(); ++idx) img[idx] = hu[tissue[idx]];
  for (const Tumor& t : tumors) {
    for_each_in_box(lat, blob_box(lat, t.shape), [&](size_t idx, double x, double y, double z) {
      if (tissue[idx] != kTumor) return;
      const double l = t.shape.level(x, y, z);
      if (l < 1.0) img[idx] = t.hu - 6.0 * (1.0 - l);
    });
  }
  blur121(img, lat);
  add_gaussian_noise(img, noise_rng, rng.uniform(10.0, 20.0));

  PhantomCase out;
  out.modalities.emplace_back(img.size());
  std::vector<float>& ct = out.modalities[0];
  for (size_t idx = 0; idx < img.size(); ++idx) {
    ct[idx] = static_cast<float>(std::clamp(img[idx], -1024.0, 3071.0));
  }
  out.labels.resize(lat.size());
  for (size_t idx = 0; idx < tissue.size(); ++idx) {
    const uint8_t t = tissue[idx];
    out.labels[idx] = t == kTumor ? 2 : (t == kLiver || t == kVessel) ? 1 : 0;
  }
  return out;
}

}  // namespace efq::phantom::detail
