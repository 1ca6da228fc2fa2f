// Single-precision GEMM for the solver: OpenBLAS, one single-threaded call per tile of C.
#pragma once

#include <cstdint>

namespace efq {

// Row-major C = alpha·op(A)·op(B) + beta·C, with op(X) = Xᵀ when the flag is set; m×n result,
// inner dimension k. C is cut into a fixed grid of tiles that does not depend on the thread count,
// each tile is one single-threaded OpenBLAS call with the whole k, and the tiles run under OpenMP:
// every element is summed the same way whatever the thread count.
//
// Why not oneDNN's dnnl_sgemm: in oneDNN 2.6 its AVX-512 kernels corrupt the heap when the calling
// thread receives a signal during the call (a no-op SIGUSR1 handler at 100 Hz is enough; any
// profiler, a Mono or JVM host's GC signals, Ctrl-C). tests/unit/test_signal_safety.cpp keeps the
// solver's GEMMs honest about it.
void tiled_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc);

/// The same in double precision (cblas_dgemm per tile).
void tiled_dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                 const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
                 int64_t ldc);

}  // namespace efq
