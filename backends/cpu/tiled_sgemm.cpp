#include "backends/cpu/tiled_sgemm.hpp"

#include <algorithm>
#include <type_traits>

#include "backends/cpu/serial_blas.hpp"

namespace efq {

namespace {
constexpr int64_t kTileRows = 256;
constexpr int64_t kTileCols = 256;
constexpr double kParallelFlops = 1 << 22;  // below this, one call on the calling thread
}  // namespace

namespace {

template <typename T>
void gemm_tile(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, T alpha, const T* a, int lda,
               const T* b, int ldb, T beta, T* c, int ldc) {
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

template <typename T>
void tiled_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  const SerialBlas serial;
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  const int64_t row_tiles = (m + kTileRows - 1) / kTileRows, col_tiles = (n + kTileCols - 1) / kTileCols;
  const int64_t tiles = row_tiles * col_tiles;
  const bool parallel = tiles > 1 && 2.0 * m * n * k > kParallelFlops;
#pragma omp parallel for schedule(dynamic, 1) if (parallel)
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t i0 = (t / col_tiles) * kTileRows, j0 = (t % col_tiles) * kTileCols;
    const int64_t tm = std::min(kTileRows, m - i0), tn = std::min(kTileCols, n - j0);
    const T* at = trans_a ? a + i0 : a + i0 * lda;
    const T* bt = trans_b ? b + j0 * ldb : b + j0;
    gemm_tile<T>(ta, tb, static_cast<int>(tm), static_cast<int>(tn), static_cast<int>(k), alpha, at,
                 static_cast<int>(lda), bt, static_cast<int>(ldb), beta, c + i0 * ldc + j0,
                 static_cast<int>(ldc));
  }
}

}  // namespace

void tiled_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc) {
  tiled_gemm<float>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void tiled_dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                 const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
                 int64_t ldc) {
  tiled_gemm<double>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace efq
