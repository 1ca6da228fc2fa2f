// The host half of one layer's ADMM system (DESIGN §5), shared by every backend: the bias
// coordinate eliminated (Schur complement), the loss expanded around Θ0, and the ρ-shifted k×k
// system factored and inverted once per ρ in double (blocked Cholesky over OpenBLAS/LAPACK).
// A device backend calls these on the host and uploads the single-precision inverse; the CPU
// backend (admm_system.cpp) uses them directly. Run them under ScopedThreads (threads.hpp): their
// parallel tiles use the calling thread's OpenMP count.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/backend.hpp"

namespace efq {

/// What the W-step and the loss need besides the iterates, for one layer (k = k1 − 1 weights per
/// row, c2 rows): g = A[0:k, k], c = 2·A[k, k] + η, rb_o = 2·B[o, k] + η·b0_o,
/// base_o = 2·B_w,o + η·W0_o − (2·rb_o / c)·g (the W-step's right-hand side without ρ·V),
/// Θ0 = [W0 | b0], E = Θ0·G_select − B_select, l0 = L(Θ0) (un-normalised) and the loss's divisor.
struct AdmmHostPrep {
  int64_t k1 = 0, c2 = 0;
  double c = 1, l0 = 0, norm = 1;
  std::vector<double> g, rb, theta0, e;  // k; c2; c2×k1; c2×k1
  std::vector<float> base;               // c2×k
};

/// Builds AdmmHostPrep from the solve and select statistics and Θ0 (w0: c2×k, b0: c2).
/// Throws kNumerical when the statistics are empty, kInternal when their shapes differ.
AdmmHostPrep admm_prepare(const GramStats& solve, const GramStats& select, const float* w0,
                          const float* b0, double eta);

/// inverse (k×k, row-major, float) = S(ρ)⁻¹ with S(ρ) = 2·G_ww + (η + ρ)·I − (4/c)·g gᵀ, computed
/// in double; `factor` and `triangle` are k×k work buffers (grown as needed, reusable).
/// Throws kNumerical when S(ρ) is not positive definite.
void admm_inverse(const GramStats& solve, const std::vector<double>& g, double c, double eta,
                  double rho, std::vector<double>& factor, std::vector<double>& triangle,
                  float* inverse);

}  // namespace efq
