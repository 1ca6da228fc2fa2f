// One layer's ADMM system on the CPU (DESIGN §5): the bias coordinate eliminated by a Schur
// complement, the ρ-shifted weight system factored and inverted once per ρ value in double
// (a blocked Cholesky and inverse over OpenBLAS/LAPACK tiles), and every iteration's W-step and monitoring loss as
// single-precision GEMMs (tiled OpenBLAS) on buffers kept in the backend's arena. Layers with
// fewer calibration positions than a quarter of their weights per output use the sample-space
// form instead (sample_space.hpp): an r×r solve per ρ, no k×k factorization.
#include <cblas.h>
#include <lapacke.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "backends/cpu/admm_host.hpp"
#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/sample_space.hpp"
#include "backends/cpu/serial_blas.hpp"
#include "backends/cpu/threads.hpp"
#include "backends/cpu/tiled_sgemm.hpp"
#include "core/error.hpp"

namespace efq {

namespace {

constexpr int kTileOrder = 256;  // tile edge of the blocked factorization and inverse

// Cholesky factor L of the SPD matrix in `s` (n×n row-major, lower triangle used), in place:
// right-looking blocked, the panel solves and the trailing update in parallel tiles.
void cholesky(double* s, int n) {
  const int nb = kTileOrder;
  for (int j0 = 0; j0 < n; j0 += nb) {
    const int jb = std::min(nb, n - j0);
    double* ljj = s + static_cast<size_t>(j0) * n + j0;
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', jb, ljj, n) != 0)
      fail(ErrorCode::kNumerical, "the layer's normal matrix is not positive definite");
    const int r0 = j0 + jb, tiles = (n - r0 + nb - 1) / nb;
#pragma omp parallel for schedule(dynamic, 1)
    for (int t = 0; t < tiles; ++t) {  // panel: P ← P·L_jj⁻ᵀ
      const int i0 = r0 + t * nb, ib = std::min(nb, n - i0);
      cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, ib, jb, 1.0,
                  ljj, n, s + static_cast<size_t>(i0) * n + j0, n);
    }
    const int pairs = tiles * (tiles + 1) / 2;
#pragma omp parallel for schedule(dynamic, 1)
    for (int q = 0; q < pairs; ++q) {  // trailing lower tiles: S_ab −= P_a P_bᵀ
      int a = 0;
      while ((a + 1) * (a + 2) / 2 <= q) ++a;
      const int b = q - a * (a + 1) / 2;
      const int i0 = r0 + a * nb, ib = std::min(nb, n - i0), c0 = r0 + b * nb, cb = std::min(nb, n - c0);
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ib, cb, jb, -1.0,
                  s + static_cast<size_t>(i0) * n + j0, n, s + static_cast<size_t>(c0) * n + j0, n,
                  1.0, s + static_cast<size_t>(i0) * n + c0, n);
    }
  }
}

// inv = (L Lᵀ)⁻¹ = Mᵀ M with M = L⁻¹, in single precision (full n×n): M by column blocks in
// parallel (block c solves L Y = I_c on the rows from c0 down, the rows above being zero), then
// the lower tiles of Mᵀ M in parallel, each mirrored. About n³ flops in all, with the factorization.
void spd_inverse(const double* l, int n, double* m, float* inv) {
  const int nb = kTileOrder, blocks = (n + nb - 1) / nb;
#pragma omp parallel for schedule(dynamic, 1)
  for (int c = 0; c < blocks; ++c) {
    const int c0 = c * nb, w = std::min(nb, n - c0);
    for (int i = 0; i < n; ++i) {
      double* row = m + static_cast<size_t>(i) * n + c0;
      std::fill(row, row + w, 0.0);
      if (i >= c0 && i < c0 + w) row[i - c0] = 1.0;
    }
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n - c0, w, 1.0,
                l + static_cast<size_t>(c0) * n + c0, n, m + static_cast<size_t>(c0) * n + c0, n);
  }
  const int pairs = blocks * (blocks + 1) / 2;
#pragma omp parallel
  {
    std::vector<double> t(static_cast<size_t>(nb) * nb);
#pragma omp for schedule(dynamic, 1)
    for (int q = 0; q < pairs; ++q) {  // tile (a, b), a ≥ b: Σ_{r ≥ a0} M[r, a]ᵀ M[r, b]
      int a = 0;
      while ((a + 1) * (a + 2) / 2 <= q) ++a;
      const int b = q - a * (a + 1) / 2;
      const int a0 = a * nb, wa = std::min(nb, n - a0), b0 = b * nb, wb = std::min(nb, n - b0);
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, wa, wb, n - a0, 1.0,
                  m + static_cast<size_t>(a0) * n + a0, n, m + static_cast<size_t>(a0) * n + b0, n,
                  0.0, t.data(), wb);
      for (int i = 0; i < wa; ++i)
        for (int j = 0; j < wb; ++j) {
          const float v = static_cast<float>(t[static_cast<size_t>(i) * wb + j]);
          inv[static_cast<size_t>(a0 + i) * n + b0 + j] = v;
          inv[static_cast<size_t>(b0 + j) * n + a0 + i] = v;
        }
    }
  }
}

}  // namespace

AdmmHostPrep admm_prepare(const GramStats& solve, const GramStats& select, const float* w0,
                          const float* b0, double eta) {
  if (select.k1 != solve.k1 || select.c2 != solve.c2)
    fail(ErrorCode::kInternal, "admm_system: solve and select statistics differ in shape");
  AdmmHostPrep pr;
  const int64_t k1 = solve.k1, k = k1 - 1, c2 = solve.c2;
  pr.k1 = k1;
  pr.c2 = c2;
  const double* a = solve.A.data();
  pr.g.resize(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) pr.g[i] = a[i * k1 + k];
  pr.c = 2 * a[k * k1 + k] + eta;
  if (!(pr.c > 0)) fail(ErrorCode::kNumerical, "the layer's calibration statistics are empty");
  // Right-hand side without the ρ·V term, bias eliminated:
  //   base_o = 2·B_w,o + η·W0_o − (2·rb_o / c)·g,   rb_o = 2·B_b,o + η·b0_o.
  pr.rb.resize(static_cast<size_t>(c2));
  pr.base.resize(static_cast<size_t>(c2 * k));
  for (int64_t o = 0; o < c2; ++o) {
    pr.rb[o] = 2 * solve.B[o * k1 + k] + eta * b0[o];
    const double f = 2 * pr.rb[o] / pr.c;
    for (int64_t i = 0; i < k; ++i)
      pr.base[o * k + i] =
          static_cast<float>(2 * solve.B[o * k1 + i] + eta * w0[o * k + i] - f * pr.g[i]);
  }
  // Loss around Θ0 = [W0 | b0] (no cancellation in single precision):
  //   L(Θ0 + D) = L0 + 2·Σ E∘D + Σ_o D_o G D_oᵀ,  E = Θ0 G − C,  L0 = L(Θ0) in double.
  pr.theta0.resize(static_cast<size_t>(c2 * k1));
  for (int64_t o = 0; o < c2; ++o) {
    for (int64_t i = 0; i < k; ++i) pr.theta0[o * k1 + i] = w0[o * k + i];
    pr.theta0[o * k1 + k] = b0[o];
  }
  pr.e.resize(pr.theta0.size());
  {
    SerialBlas serial;
    const int rows = 16, chunks = static_cast<int>((c2 + rows - 1) / rows), kk = static_cast<int>(k1);
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < chunks; ++c)
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                  static_cast<int>(std::min<int64_t>(rows, c2 - c * rows)), kk, kk, 1.0,
                  pr.theta0.data() + static_cast<size_t>(c) * rows * kk, kk, select.A.data(), kk,
                  0.0, pr.e.data() + static_cast<size_t>(c) * rows * kk, kk);
  }
  double quad = 0, lin = 0;
  for (size_t i = 0; i < pr.e.size(); ++i) {
    quad += pr.e[i] * pr.theta0[i];
    lin += select.B[i] * pr.theta0[i];
    pr.e[i] -= select.B[i];
  }
  pr.l0 = quad - 2 * lin + select.yy;
  pr.norm = static_cast<double>(std::max<int64_t>(select.count * c2, 1));
  return pr;
}

// S = 2·G_ww + (η + ρ)·I − (4/c)·g gᵀ (lower triangle, row-major), then S⁻¹ in double.
void admm_inverse(const GramStats& solve, const std::vector<double>& g, double c, double eta,
                  double rho, std::vector<double>& factor, std::vector<double>& triangle,
                  float* inverse) {
  const int64_t k1 = solve.k1, k = k1 - 1;
  if (factor.size() < static_cast<size_t>(k * k)) factor.resize(static_cast<size_t>(k * k));
  if (triangle.size() < static_cast<size_t>(k * k)) triangle.resize(static_cast<size_t>(k * k));
  double* s = factor.data();
  const double* a = solve.A.data();
  for (int64_t i = 0; i < k; ++i) {
    const double gi = 4 * g[i] / c;
    for (int64_t j = 0; j <= i; ++j) s[i * k + j] = 2 * a[i * k1 + j] - gi * g[j];
    s[i * k + i] += eta + rho;
  }
  SerialBlas serial;
  cholesky(s, static_cast<int>(k));
  spd_inverse(s, static_cast<int>(k), triangle.data(), inverse);
}

namespace {

template <typename T>
T* grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

class CpuAdmmSystem final : public AdmmSystem {
 public:
  CpuAdmmSystem(CpuSolverArena& arena, int threads, const GramStats& solve,
                const GramStats& select, const float* w0, const float* b0, double eta)
      : ar_(arena), threads_(threads), solve_(solve), k1_(solve.k1), k_(solve.k1 - 1),
        c2_(solve.c2), eta_(eta) {
    const ScopedThreads scope(threads_);
    same_stats_ = &select == &solve;
    AdmmHostPrep prep = admm_prepare(solve, select, w0, b0, eta);
    g_ = std::move(prep.g);
    rb_ = std::move(prep.rb);
    theta0_ = std::move(prep.theta0);
    e_ = std::move(prep.e);
    base_ = std::move(prep.base);
    c_ = prep.c;
    l0_ = prep.l0;
    norm_ = prep.norm;
    float* gf = grow(ar_.gram, static_cast<size_t>(k1_ * k1_));
    for (size_t i = 0; i < static_cast<size_t>(k1_ * k1_); ++i) gf[i] = static_cast<float>(select.A[i]);
    // W0·G_w (c2×k1) in single precision, by the same GEMM as P so that α·P − W0·G cancels alike.
    {
      std::vector<float> w0f(w0, w0 + c2_ * k_);
      theta0g_.resize(static_cast<size_t>(c2_ * k1_));
      sgemm(c2_, k1_, k_, w0f.data(), k_, gf, k1_, theta0g_.data());
    }
    grow(ar_.rows, static_cast<size_t>(c2_ * k1_));
    if (solve.has_rows() && 4 * solve.count <= k1_)
      sample_ = std::make_unique<SampleSpaceSolve>(solve.rows.data(), solve.count, k1_, c_, eta_);
  }

  std::string kind() const override {
    return sample_ ? "sample space (" + std::to_string(sample_->samples()) + " rows)" : "dense";
  }

  void set_rho(double rho, double factored_rho) override {
    const ScopedThreads scope(threads_);
    rho_ = rho;
    codes_valid_ = false;  // rebuild P at the next loss (bounds the drift of its row updates)
    // CG needs S(ρ)·p from the single-precision Gram matrix, which holds the select statistics:
    // only when they are the solve statistics; otherwise factor ρ itself.
    // In the sample space every ρ value is cheap to prepare: no CG.
    if (!(factored_rho > rho) || !same_stats_ || sample_) factored_rho = rho;
    cg_ = factored_rho != rho;
    if (factored_rho != factored_) factor(factored_rho);
  }

  void factor(double rho) {
    factored_ = rho;
    if (sample_) {
      sample_->set_rho(rho);
      return;
    }
    admm_inverse(solve_, g_, c_, eta_, rho, ar_.factor, ar_.triangle,
                 grow(ar_.inverse, static_cast<size_t>(k_ * k_)));
  }

  void w_step(const float* v, float* w, float* b) override {
    const ScopedThreads scope(threads_);
    if (rho_ < 0) fail(ErrorCode::kInternal, "admm_system: w_step before set_rho");
    float* r = ar_.rows.data();
    const float rho = static_cast<float>(rho_);
    const int64_t n = c2_ * k_;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) r[i] = base_[i] + rho * v[i];
    if (sample_) {
      sample_->apply(r, c2_, w);
    } else if (cg_) {
      cg_solve(r, w);
    } else {
      sgemm(c2_, k_, k_, r, k_, ar_.inverse.data(), k_, w);
    }
    for (int64_t o = 0; o < c2_; ++o) {
      double dot = 0;
      for (int64_t i = 0; i < k_; ++i) dot += static_cast<double>(w[o * k_ + i]) * g_[i];
      b[o] = static_cast<float>((rb_[o] - 2 * dot) / c_);
    }
  }

  // D·G (D = [Z − W0 | b − b0]) from P = C·G_w (C = Z's integers per row, kept across calls
  // and updated by rows of G where codes changed; rebuilt by one GEMM when many did, and at
  // every ρ change against drift) and the constant W0·G: T_o = α_o P_o − (Θ0 G)_o + (b_o − b0_o) G_b.
  double loss(const float* z, const double* row_scale, const float* b) override {
    const ScopedThreads scope(threads_);
    const int64_t n = c2_ * k_;
    float* c = grow(ar_.codes, static_cast<size_t>(n));
    int64_t changed = 0;
    const bool have = codes_valid_;
    if (have)  // how many of Z's integers changed since the last call
      for (int64_t o = 0; o < c2_; ++o) {
        const float inv = row_scale[o] > 0 ? static_cast<float>(1.0 / row_scale[o]) : 0.f;
        for (int64_t i = 0; i < k_; ++i) changed += std::nearbyint(z[o * k_ + i] * inv) != c[o * k_ + i];
      }
    float* p = grow(ar_.product, static_cast<size_t>(c2_ * k1_));
    const float* g = ar_.gram.data();
    if (!have || changed * 16 > n) {  // rebuild: P = C · G[0:k, :]
      for (int64_t o = 0; o < c2_; ++o)
        for (int64_t i = 0; i < k_; ++i)
          c[o * k_ + i] = std::nearbyint(z[o * k_ + i] * static_cast<float>(row_scale[o] > 0 ? 1.0 / row_scale[o] : 0.0));
      if (sample_ && same_stats_) {  // G = X̃ᵀX̃: P = (C·Xwᵀ)·X̃, two c2×r×k GEMMs
        const float* rows = solve_.rows.data();
        const int64_t r = solve_.count;
        std::vector<float>& t = sample_p_;
        t.resize(static_cast<size_t>(c2_ * r));
        tiled_sgemm(false, true, c2_, r, k_, 1.f, c, k_, rows, k1_, 0.f, t.data(), r);
        tiled_sgemm(false, false, c2_, k1_, r, 1.f, t.data(), r, rows, k1_, 0.f, p, k1_);
      } else {
        sgemm(c2_, k1_, k_, c, k_, g, k1_, p);
      }
      codes_valid_ = true;
    } else if (changed > 0) {  // P_o += Δc · G_i for each changed code (rows in parallel)
#pragma omp parallel for schedule(dynamic, 8) if (changed > 64)
      for (int64_t o = 0; o < c2_; ++o) {
        const float inv = row_scale[o] > 0 ? static_cast<float>(1.0 / row_scale[o]) : 0.f;
        float* po = p + o * k1_;
        for (int64_t i = 0; i < k_; ++i) {
          const float q = std::nearbyint(z[o * k_ + i] * inv);
          const float d = q - c[o * k_ + i];
          if (d == 0.f) continue;
          c[o * k_ + i] = q;
          const float* gi = g + i * k1_;
          for (int64_t j = 0; j < k1_; ++j) po[j] += d * gi[j];
        }
      }
    }
    double quad = 0, lin = 0;
    const float* gb = g + k_ * k1_;
    for (int64_t o = 0; o < c2_; ++o) {
      const double a = row_scale[o], db = static_cast<double>(b[o]) - theta0_[o * k1_ + k_];
      const float* po = p + o * k1_;
      const float* t0 = theta0g_.data() + o * k1_;
      const double* th = theta0_.data() + o * k1_;
      const double* eo = e_.data() + o * k1_;
      double qo = 0, lo = 0;
      for (int64_t j = 0; j < k1_; ++j) {
        const double d = j < k_ ? static_cast<double>(z[o * k_ + j]) - th[j] : db;
        const double t = a * po[j] - t0[j] + db * gb[j];
        qo += t * d;
        lo += eo[j] * d;
      }
      quad += qo;
      lin += lo;
    }
    return std::max(l0_ + 2 * lin + quad, 0.0) / norm_;
  }

 private:
  // W·S(ρ) = R for every row, by conjugate gradients preconditioned with S(ρ_f)⁻¹ (ρ_f = the
  // factored value > ρ). The preconditioned operator's eigenvalues (λ+ρ)/(λ+ρ_f), λ ≥ η (S − ρI
  // is a Schur complement of 2G + ηI), lie in [(η+ρ)/(η+ρ_f), 1]: the iteration count that brings
  // the error below 1e-7 follows from that bound, fixed before the first step (so the arithmetic
  // is the same for any data and thread count).
  void cg_solve(const float* r, float* w) {
    const int64_t n = c2_ * k_;
    const double kappa = (eta_ + factored_) / (eta_ + rho_);
    const double q = (std::sqrt(kappa) - 1) / (std::sqrt(kappa) + 1);
    const int steps = q <= 0 ? 1 : std::min(40, static_cast<int>(std::ceil(std::log(5e-8) / std::log(q))));
    std::vector<float>& res = cg_res_; res.assign(r, r + n);
    std::vector<float>& z = cg_z_; z.resize(static_cast<size_t>(n));
    std::vector<float>& p = cg_p_; p.resize(static_cast<size_t>(n));
    std::vector<float>& sp = cg_sp_; sp.resize(static_cast<size_t>(n));
    std::fill(w, w + n, 0.f);
    sgemm(c2_, k_, k_, res.data(), k_, ar_.inverse.data(), k_, z.data());
    p = z;
    std::vector<double> rz(static_cast<size_t>(c2_));
    for (int64_t o = 0; o < c2_; ++o) rz[o] = dot(res.data() + o * k_, z.data() + o * k_);
    for (int s = 0; s < steps; ++s) {
      apply_s(p.data(), sp.data());
      for (int64_t o = 0; o < c2_; ++o) {
        const double pq = dot(p.data() + o * k_, sp.data() + o * k_);
        const float alpha = pq > 0 ? static_cast<float>(rz[o] / pq) : 0.f;
        for (int64_t i = 0; i < k_; ++i) {
          w[o * k_ + i] += alpha * p[o * k_ + i];
          res[o * k_ + i] -= alpha * sp[o * k_ + i];
        }
      }
      if (s + 1 == steps) break;
      sgemm(c2_, k_, k_, res.data(), k_, ar_.inverse.data(), k_, z.data());
      for (int64_t o = 0; o < c2_; ++o) {
        const double rz_new = dot(res.data() + o * k_, z.data() + o * k_);
        const float beta = rz[o] > 0 ? static_cast<float>(rz_new / rz[o]) : 0.f;
        rz[o] = rz_new;
        for (int64_t i = 0; i < k_; ++i) p[o * k_ + i] = z[o * k_ + i] + beta * p[o * k_ + i];
      }
    }
  }

  // Y = X·S(ρ) = 2·X·G_ww + (η + ρ)·X − (4/c)·(X·g)·gᵀ, G_ww from the single-precision Gram.
  void apply_s(const float* x, float* y) {
    sgemm(c2_, k_, k_, x, k_, ar_.gram.data(), k1_, y);
    for (int64_t o = 0; o < c2_; ++o) {
      double xg = 0;
      for (int64_t i = 0; i < k_; ++i) xg += static_cast<double>(x[o * k_ + i]) * g_[i];
      const double f = 4 * xg / c_;
      for (int64_t i = 0; i < k_; ++i)
        y[o * k_ + i] = static_cast<float>(2.0 * y[o * k_ + i] + (eta_ + rho_) * x[o * k_ + i] - f * g_[i]);
    }
  }

  double dot(const float* a, const float* b) const {
    double s = 0;
    for (int64_t i = 0; i < k_; ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
  }

  // C (m×n) = A (m×k) · B (k×n), row-major; the same result whatever the thread count.
  static void sgemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                    int64_t ldb, float* c) {
    tiled_sgemm(false, false, m, n, k, 1.f, a, lda, b, ldb, 0.f, c, n);
  }

  CpuSolverArena& ar_;
  int threads_;  // the backend's: every call runs under ScopedThreads(threads_)
  const GramStats& solve_;
  int64_t k1_, k_, c2_;
  double eta_, c_ = 1, rho_ = -1, l0_ = 0, norm_ = 1;
  std::vector<double> g_, rb_, theta0_, e_;
  std::vector<float> base_, theta0g_;
  std::vector<float> cg_res_, cg_z_, cg_p_, cg_sp_;
  bool codes_valid_ = false, cg_ = false, same_stats_ = false;
  std::unique_ptr<SampleSpaceSolve> sample_;  // set when the solve statistics kept their rows
  std::vector<float> sample_p_;               // c2×r: C·Xwᵀ
  double factored_ = -1;
};

}  // namespace

std::unique_ptr<AdmmSystem> CpuBackend::admm_system(const GramStats& solve, const GramStats& select,
                                                    const float* w0, const float* b0, double eta) {
  if (solve.k1 < 2 || solve.c2 < 1 || static_cast<int64_t>(solve.A.size()) != solve.k1 * solve.k1)
    fail(ErrorCode::kInternal, "admm_system: malformed Gram statistics");
  const ScopedThreads scope(threads_);
  return std::make_unique<CpuAdmmSystem>(arena_, threads_, solve, select, w0, b0, eta);
}

std::string openblas_version() {
  std::istringstream config(openblas_get_config());  // "OpenBLAS 0.3.21 NO_AFFINITY ..."
  std::string name, version;
  config >> name >> version;
  return version.empty() ? "unknown" : version;
}

}  // namespace efq
