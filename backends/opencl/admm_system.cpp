// One layer's ADMM system on an OpenCL device (DESIGN §5). The host half is the CPU backend's
// (admm_host.hpp: bias elimination, loss expansion, the once-per-ρ double factorization and
// inverse); the single-precision inverse, the right-hand side's base, the select Gram matrix and
// Θ0·G stay resident on the device for all iterations. Per iteration the host sends V (W-step)
// or Z with its row scales (loss) and reads back W, or two sums per row.
#include <algorithm>
#include <cmath>

#include "backends/cpu/admm_host.hpp"
#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/threads.hpp"
#include "backends/opencl/opencl_backend.hpp"
#include "core/error.hpp"

namespace efq {

namespace {

constexpr size_t kF = sizeof(float);

class ClAdmmSystem final : public AdmmSystem {
 public:
  ClAdmmSystem(OpenClBackend& be, const GramStats& solve, const GramStats& select, const float* w0,
               const float* b0, double eta)
      : be_(be), solve_(solve), k1_(solve.k1), k_(solve.k1 - 1), c2_(solve.c2), eta_(eta),
        real_(be.fp64() ? sizeof(double) : sizeof(float)) {
    {
      const ScopedThreads scope(be_.threads());
      prep_ = admm_prepare(solve, select, w0, b0, eta);
    }
    cl_context ctx = be_.context();
    const size_t rows = static_cast<size_t>(c2_ * k_), rows1 = static_cast<size_t>(c2_ * k1_);
    base_.ensure(ctx, rows * kF, "ADMM right-hand side");
    be_.upload(base_.get(), prep_.base.data(), rows * kF);
    std::vector<float> gf(static_cast<size_t>(k1_ * k1_));
    for (size_t i = 0; i < gf.size(); ++i) gf[i] = static_cast<float>(select.A[i]);
    gram_.ensure(ctx, gf.size() * kF, "ADMM Gram matrix");
    be_.upload(gram_.get(), gf.data(), gf.size() * kF);
    gb_.ensure(ctx, static_cast<size_t>(k1_) * kF, "ADMM Gram bias row");
    be_.upload(gb_.get(), gf.data() + k_ * k1_, static_cast<size_t>(k1_) * kF);
    // W0·G_w (c2×k1) by the same SGEMM as P, so that α·P − W0·G cancels alike.
    std::vector<float> w0f(w0, w0 + rows);
    work_.ensure(ctx, rows1 * kF, "ADMM work rows");
    be_.upload(work_.get(), w0f.data(), rows * kF);
    theta0g_.ensure(ctx, rows1 * kF, "ADMM W0·G");
    be_.sgemm(false, false, c2_, k1_, k_, 1.f, work_.get(), 0, k_, gram_.get(), 0, k1_, 0.f,
              theta0g_.get(), 0, k1_);
    theta0_.ensure(ctx, rows1 * real_, "ADMM Θ0");
    upload_real(theta0_.get(), prep_.theta0);
    e_.ensure(ctx, rows1 * real_, "ADMM E");
    upload_real(e_.get(), prep_.e);
    inverse_.ensure(ctx, static_cast<size_t>(k_ * k_) * kF, "ADMM inverse");
    out_.ensure(ctx, rows * kF, "ADMM W");
    p_.ensure(ctx, rows1 * kF, "ADMM Z·G");
    scales_.ensure(ctx, static_cast<size_t>(c2_) * std::max(kF, real_), "ADMM row scales");
    inv_.ensure(ctx, static_cast<size_t>(c2_) * kF, "ADMM inverse row scales");
    sums_.ensure(ctx, static_cast<size_t>(2 * c2_) * real_, "ADMM loss rows");
    bias_.ensure(ctx, static_cast<size_t>(c2_) * kF, "ADMM bias");
  }

  // The interface allows conjugate gradients for a single-iteration ρ (factored_rho > ρ); this
  // backend always factors ρ itself (one more host factorization, no CG on the device).
  void set_rho(double rho, double /*factored_rho*/) override {
    rho_ = rho;
    if (rho == factored_) return;
    factored_ = rho;
    inverse_host_.resize(static_cast<size_t>(k_ * k_));
    {
      const ScopedThreads scope(be_.threads());
      admm_inverse(solve_, prep_.g, prep_.c, eta_, rho, factor_, triangle_, inverse_host_.data());
    }
    be_.upload(inverse_.get(), inverse_host_.data(), inverse_host_.size() * kF);
  }

  void w_step(const float* v, float* w, float* b) override {
    if (rho_ < 0) fail(ErrorCode::kInternal, "admm_system: w_step before set_rho");
    const int64_t n = c2_ * k_;
    be_.upload(out_.get(), v, static_cast<size_t>(n) * kF);
    const float rho = static_cast<float>(rho_);
    cl_mem base = base_.get(), vv = out_.get(), r = work_.get();
    be_.launch("efq_rhs", n, {karg(base), karg(vv), karg(r), karg(rho), karg(n)});
    be_.sgemm(false, false, c2_, k_, k_, 1.f, r, 0, k_, inverse_.get(), 0, k_, 0.f, out_.get(), 0,
              k_);
    be_.download(out_.get(), w, static_cast<size_t>(n) * kF);
    for (int64_t o = 0; o < c2_; ++o) {  // the eliminated bias, as the CPU backend
      double dot = 0;
      for (int64_t i = 0; i < k_; ++i) dot += static_cast<double>(w[o * k_ + i]) * prep_.g[i];
      b[o] = static_cast<float>((prep_.rb[o] - 2 * dot) / prep_.c);
    }
  }

  // P = C·G[0:k, :] from Z's integers C (one SGEMM every call; the CPU backend updates P by rows
  // of G where few codes changed), then per row the quadratic and linear sums of the expansion
  // around Θ0 on the device; the host adds the rows in order, in double.
  double loss(const float* z, const double* row_scale, const float* b) override {
    const int64_t n = c2_ * k_;
    std::vector<float> inv(static_cast<size_t>(c2_));
    for (int64_t o = 0; o < c2_; ++o)
      inv[o] = row_scale[o] > 0 ? static_cast<float>(1.0 / row_scale[o]) : 0.f;
    cl_mem zb = out_.get(), cb = work_.get(), ib = inv_.get();
    be_.upload(zb, z, static_cast<size_t>(n) * kF);
    be_.upload(ib, inv.data(), inv.size() * kF);
    be_.launch("efq_codes", n, {karg(zb), karg(ib), karg(cb), karg(k_), karg(n)});
    be_.sgemm(false, false, c2_, k1_, k_, 1.f, cb, 0, k_, gram_.get(), 0, k1_, 0.f, p_.get(), 0,
              k1_);
    upload_real(scales_.get(), std::vector<double>(row_scale, row_scale + c2_));
    be_.upload(bias_.get(), b, static_cast<size_t>(c2_) * kF);
    cl_mem pb = p_.get(), t0 = theta0g_.get(), gb = gb_.get(), bb = bias_.get(),
           th = theta0_.get(), eb = e_.get(), sb = scales_.get(), out = sums_.get();
    be_.launch_groups("efq_loss_rows", c2_,
                      {karg(zb), karg(pb), karg(t0), karg(gb), karg(bb), karg(th), karg(eb),
                       karg(sb), karg(out), karg(k_)});
    std::vector<double> sums(static_cast<size_t>(2 * c2_));
    download_real(out, sums);
    double quad = 0, lin = 0;
    for (int64_t o = 0; o < c2_; ++o) {
      quad += sums[2 * o];
      lin += sums[2 * o + 1];
    }
    return std::max(prep_.l0 + 2 * lin + quad, 0.0) / prep_.norm;
  }

 private:
  void upload_real(cl_mem dst, const std::vector<double>& v) {
    if (real_ == sizeof(double)) {
      be_.upload(dst, v.data(), v.size() * sizeof(double));
    } else {
      std::vector<float> f(v.begin(), v.end());
      be_.upload(dst, f.data(), f.size() * kF);
    }
  }
  void download_real(cl_mem src, std::vector<double>& v) {
    if (real_ == sizeof(double)) {
      be_.download(src, v.data(), v.size() * sizeof(double));
    } else {
      std::vector<float> f(v.size());
      be_.download(src, f.data(), f.size() * kF);
      std::copy(f.begin(), f.end(), v.begin());
    }
  }

  OpenClBackend& be_;
  const GramStats& solve_;
  int64_t k1_, k_, c2_;
  double eta_, rho_ = -1, factored_ = -1;
  size_t real_;  // sizeof the kernels' accumulator type (double with cl_khr_fp64)
  AdmmHostPrep prep_;
  std::vector<double> factor_, triangle_;
  std::vector<float> inverse_host_;
  // Device-resident for the layer: base, select Gram (and its bias row), W0·G, Θ0, E, S(ρ)⁻¹.
  ClBuffer base_, gram_, gb_, theta0g_, theta0_, e_, inverse_;
  ClBuffer work_, out_, p_, scales_, inv_, sums_, bias_;  // per-iteration operands
};

}  // namespace

std::unique_ptr<AdmmSystem> OpenClBackend::admm_system(const GramStats& solve,
                                                       const GramStats& select, const float* w0,
                                                       const float* b0, double eta) {
  if (solve.k1 < 2 || solve.c2 < 1 || static_cast<int64_t>(solve.A.size()) != solve.k1 * solve.k1)
    fail(ErrorCode::kInternal, "admm_system: malformed Gram statistics");
  return std::make_unique<ClAdmmSystem>(*this, solve, select, w0, b0, eta);
}

// Σ_o θ_o A θ_oᵀ: T = θ·A by CLBlast's DGEMM, then each row's Σ_j T_oj θ_oj on the device (one
// work-group per row), rows added on the host in order. A device without cl_khr_fp64 computes it
// on the host with the CPU backend's code (the result must be double).
double OpenClBackend::gram_quadratic(const std::vector<double>& a, int64_t n, const double* theta,
                                     int64_t rows) {
  if (static_cast<int64_t>(a.size()) != n * n)
    fail(ErrorCode::kInternal, "gram_quadratic: matrix size mismatch");
  if (!fp64()) return host_->gram_quadratic(a, n, theta, rows);
  if (rows == 0) return 0;
  const size_t d = sizeof(double);
  cl_mem ba = scratch(kA, a.size() * d), bt = scratch(kB, static_cast<size_t>(rows * n) * d),
         bp = scratch(kCol, static_cast<size_t>(rows * n) * d),
         bo = scratch(kAux, static_cast<size_t>(rows) * d);
  upload(ba, a.data(), a.size() * d);
  upload(bt, theta, static_cast<size_t>(rows * n) * d);
  dgemm(rows, n, n, bt, n, ba, n, bp, n);
  launch_groups("efq_row_dots", rows, {karg(bp), karg(bt), karg(bo), karg(n)});
  std::vector<double> part(static_cast<size_t>(rows));
  download(bo, part.data(), part.size() * d);
  double quad = 0;
  for (double p : part) quad += p;
  return quad;
}

// θ·A by CLBlast's DGEMM (on the host with the CPU backend's code without cl_khr_fp64).
void OpenClBackend::gram_product(const std::vector<double>& a, int64_t n, const double* theta,
                                 int64_t rows, double* out) {
  if (static_cast<int64_t>(a.size()) != n * n)
    fail(ErrorCode::kInternal, "gram_product: matrix size mismatch");
  if (!fp64()) return host_->gram_product(a, n, theta, rows, out);
  if (rows == 0) return;
  const size_t d = sizeof(double), tn = static_cast<size_t>(rows * n) * d;
  cl_mem ba = scratch(kA, a.size() * d), bt = scratch(kB, tn), bp = scratch(kCol, tn);
  upload(ba, a.data(), a.size() * d);
  upload(bt, theta, tn);
  dgemm(rows, n, n, bt, n, ba, n, bp, n);
  download(bp, out, tn);
}

}  // namespace efq
