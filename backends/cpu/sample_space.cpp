#include "backends/cpu/sample_space.hpp"

#include <lapacke.h>

#include <algorithm>

#include "backends/cpu/serial_blas.hpp"
#include "backends/cpu/tiled_sgemm.hpp"
#include "core/error.hpp"

namespace efq {

SampleSpaceSolve::SampleSpaceSolve(const float* rows, int64_t r, int64_t k1, double c, double eta)
    : rows_(rows), r_(r), k1_(k1), k_(k1 - 1), c_(c), eta_(eta) {
  if (r < 1 || k1 < 2) fail(ErrorCode::kInternal, "sample-space solve: empty problem");
  std::vector<float> kf(static_cast<size_t>(r * r));
  tiled_sgemm(false, true, r, r, k_, 1.f, rows, k1, rows, k1, 0.f, kf.data(), r);  // K = Xw Xwᵀ
  kmat_.assign(kf.begin(), kf.end());
  s_.resize(static_cast<size_t>(r));
  for (int64_t j = 0; j < r; ++j) s_[j] = rows[j * k1 + k_];
  ks_.assign(static_cast<size_t>(r), 0.0);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < r; ++j) ks_[j] += s_[i] * kmat_[i * r + j];
}

void SampleSpaceSolve::set_rho(double rho) {
  alpha_ = eta_ + rho;
  if (!(alpha_ > 0)) fail(ErrorCode::kNumerical, "the layer's ADMM system is singular (η + ρ ≤ 0)");
  const int64_t r = r_;
  // T = α·I + M K = α·I + 2K − (4/c)·s (Ks)ᵀ;  right-hand side M = 2I − (4/c)·s sᵀ.
  std::vector<double> t(static_cast<size_t>(r * r)), m(static_cast<size_t>(r * r));
  const double f = 4 / c_;
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < r; ++j) {
      t[i * r + j] = 2 * kmat_[i * r + j] - f * s_[i] * ks_[j] + (i == j ? alpha_ : 0.0);
      m[i * r + j] = (i == j ? 2.0 : 0.0) - f * s_[i] * s_[j];
    }
  std::vector<lapack_int> piv(static_cast<size_t>(r));
  const SerialBlas serial;
  if (LAPACKE_dgesv(LAPACK_ROW_MAJOR, static_cast<lapack_int>(r), static_cast<lapack_int>(r), t.data(),
                    static_cast<lapack_int>(r), piv.data(), m.data(), static_cast<lapack_int>(r)) != 0)
    fail(ErrorCode::kNumerical, "the layer's sample-space ADMM system is singular");
  n_.assign(m.begin(), m.end());
}

void SampleSpaceSolve::apply(const float* rhs, int64_t c2, float* w) {
  if (alpha_ < 0) fail(ErrorCode::kInternal, "sample-space solve: apply before set_rho");
  const int64_t r = r_, k = k_;
  q_.resize(static_cast<size_t>(c2 * r));
  q2_.resize(q_.size());
  tiled_sgemm(false, true, c2, r, k, 1.f, rhs, k, rows_, k1_, 0.f, q_.data(), r);   // R Xwᵀ
  tiled_sgemm(false, false, c2, r, r, 1.f, q_.data(), r, n_.data(), r, 0.f, q2_.data(), r);  // ·N
  std::copy(rhs, rhs + c2 * k, w);
  tiled_sgemm(false, false, c2, k, r, -1.f, q2_.data(), r, rows_, k1_, 1.f, w, k);  // R − ·Xw
  const float inv = static_cast<float>(1 / alpha_);
  for (int64_t i = 0; i < c2 * k; ++i) w[i] *= inv;
}

}  // namespace efq
