/* The machine's single-precision GEMM rate (oneDNN sgemm, the library's fastest operation on the
 * CPU), measured in the same run as a benchmark so its numbers can be given as a fraction of it:
 * C (M×N) = A (M×K) · B (K×N) with M = 256, N = K = 6912 (the shape of a 256-channel W-step),
 * best of 5, on the OpenMP threads of the environment. Prints GFLOP/s. */
#define _POSIX_C_SOURCE 199309L
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void) {
  const dnnl_dim_t m = 256, n = 6912, k = 6912;
  float* a = malloc(sizeof(float) * (size_t)(m * k));
  float* b = malloc(sizeof(float) * (size_t)(k * n));
  float* c = malloc(sizeof(float) * (size_t)(m * n));
  if (!a || !b || !c) return 1;
  for (dnnl_dim_t i = 0; i < m * k; ++i) a[i] = (float)(i % 7) - 3.f;
  for (dnnl_dim_t i = 0; i < k * n; ++i) b[i] = (float)(i % 5) - 2.f;
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    const double t0 = now();
    if (dnnl_sgemm('N', 'N', m, n, k, 1.f, a, k, b, n, 0.f, c, n) != dnnl_success) return 1;
    const double t = now() - t0;
    if (t < best) best = t;
  }
  printf("%.1f\n", 2.0 * (double)m * (double)n * (double)k / best / 1e9);
  free(a);
  free(b);
  free(c);
  return 0;
}
