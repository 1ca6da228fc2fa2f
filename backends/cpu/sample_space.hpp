// The ADMM W-step in the sample space, for layers with fewer calibration positions than weights.
#pragma once

#include <cstdint>
#include <vector>

namespace efq {

// With the kept rows X̃ = [Xw | s] (r × k1, row j = √h_j·[x_j, 1], GramStats::rows) the bias-
// eliminated system of the CPU AdmmSystem is
//   S(ρ) = 2·XwᵀXw + α·I − (4/c)·(Xwᵀs)(Xwᵀs)ᵀ = α·I + Xwᵀ M Xw,   α = η + ρ,
//   M = 2·I − (4/c)·s sᵀ (r×r),  c = 2·sᵀs + η,
// and by the push-through identity (no inverse of M needed, so η = 0 is fine)
//   S(ρ)⁻¹ = (1/α)·(I − Xwᵀ N(ρ) Xw),   N(ρ) = (α·I + M K)⁻¹ M,   K = Xw Xwᵀ.
// Per ρ value: one r×r LU solve in double (K is formed once) instead of a k×k factorization and
// inverse; per iteration: W = (R − ((R Xwᵀ) N) Xw)/α, two c2×k×r GEMMs instead of one c2×k×k.
// They run in double: the subtraction cancels where 2G's eigenvalues dwarf α (single precision
// lost up to 5× the dense path's accuracy there, measured in the unit test), and at r ≤ k/4 two
// double GEMMs still cost less than the dense path's one single-precision GEMM.
// Worth it when r ≤ k/4 (the rule of gram_accumulate for keeping the rows): e.g. the 256→256
// bottleneck of the paper's BraTS UResQ on its crop has r = 1152 positions for k = 6912.
// Every product is deterministic for any thread count (tiled OpenBLAS, single-threaded LAPACK).
class SampleSpaceSolve {
 public:
  SampleSpaceSolve(const float* rows, int64_t r, int64_t k1, double c, double eta);
  void set_rho(double rho);
  /// W (c2×k) = R (c2×k) · S(ρ)⁻¹, row-major.
  void apply(const float* rhs, int64_t c2, float* w);
  int64_t samples() const { return r_; }

 private:
  std::vector<double> rows_;           // X̃ (r×k1) in double
  int64_t r_, k1_, k_;
  double c_, eta_, alpha_ = -1;
  std::vector<double> kmat_, s_, ks_;  // K (r×r), s, Kᵀs = K s
  std::vector<double> n_;              // N(ρ), r×r
  std::vector<double> rd_, q_, q2_;    // c2×k, c2×r, c2×r work
};

}  // namespace efq
