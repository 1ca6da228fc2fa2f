#include "backends/cpu/sample_space.hpp"

#include <lapacke.h>

#include <algorithm>

#include "backends/cpu/serial_blas.hpp"
#include "backends/cpu/tiled_sgemm.hpp"
#include "core/error.hpp"

namespace efq {

SampleSpaceSolve::SampleSpaceSolve(const float* rows, int64_t r, int64_t k1, double c, double eta)
    : rows_(rows, rows + r * k1), r_(r), k1_(k1), k_(k1 - 1), c_(c), eta_(eta) {
  if (r < 1 || k1 < 2) fail(ErrorCode::kInternal, "sample-space solve: empty problem");
  kmat_.resize(static_cast<size_t>(r * r));
  tiled_dgemm(false, true, r, r, k_, 1.0, rows_.data(), k1, rows_.data(), k1, 0.0, kmat_.data(), r);  // K = Xw Xwᵀ
  s_.resize(static_cast<size_t>(r));
  for (int64_t j = 0; j < r; ++j) s_[j] = rows_[j * k1 + k_];
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
  n_ = std::move(m);
}

void SampleSpaceSolve::apply(const float* rhs, int64_t c2, float* w) {
  if (alpha_ < 0) fail(ErrorCode::kInternal, "sample-space solve: apply before set_rho");
  const int64_t r = r_, k = k_;
  rd_.assign(rhs, rhs + c2 * k);
  q_.resize(static_cast<size_t>(c2 * r));
  q2_.resize(q_.size());
  const double* x = rows_.data();
  tiled_dgemm(false, true, c2, r, k, 1.0, rd_.data(), k, x, k1_, 0.0, q_.data(), r);         // R Xwᵀ
  tiled_dgemm(false, false, c2, r, r, 1.0, q_.data(), r, n_.data(), r, 0.0, q2_.data(), r);  // ·N
  tiled_dgemm(false, false, c2, k, r, -1.0, q2_.data(), r, x, k1_, 1.0, rd_.data(), k);      // R − ·Xw
  const double inv = 1 / alpha_;
  for (int64_t i = 0; i < c2 * k; ++i) w[i] = static_cast<float>(rd_[i] * inv);
}

}  // namespace efq
