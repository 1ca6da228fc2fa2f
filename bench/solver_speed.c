/* Speed of one layer's EfficientQ solve, through the experimental layer API (the same code the
 * quantizer runs per layer): a 3x3x3 convolution C -> C on a random S^3 input with a random
 * target, W4 per channel, ITERS ADMM iterations. Prints one line:
 *   channels k1 iterations add_batch_s solve_s per_iteration_ms mse_before mse_after
 * Built and run by bench/solver_speed.sh. */
#define _POSIX_C_SOURCE 199309L
#include <efficientq/efficientq_experimental.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long rng = 2024;
static float uniform(void) { /* xorshift64*, in [-1, 1) */
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return (float)((double)((rng * 2685821657736338717ULL) >> 11) / 4503599627370496.0 - 1.0);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int check(efq_status st, const char* what) {
  if (st != EFQ_OK) {
    fprintf(stderr, "solver_speed: %s: %s\n", what, efq_last_error_message());
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: solver_speed CHANNELS SPATIAL ITERATIONS [THREADS [DEVICE]]\n");
    return 2;
  }
  const int64_t c = atoll(argv[1]), s = atoll(argv[2]), iters = atoll(argv[3]);
  const int64_t threads = argc > 4 ? atoll(argv[4]) : 0;
  const char* device = argc > 5 ? argv[5] : "cpu";
  const int64_t nw = c * c * 27, nvox = s * s * s;
  float* w = malloc(sizeof(float) * (size_t)nw);
  float* x = malloc(sizeof(float) * (size_t)(c * nvox));
  float* y = malloc(sizeof(float) * (size_t)(c * nvox));
  if (!w || !x || !y) return 1;
  for (int64_t i = 0; i < nw; ++i) w[i] = 0.05f * uniform();
  for (int64_t i = 0; i < c * nvox; ++i) x[i] = uniform() > 0 ? uniform() : 0.f; /* ReLU-like */
  for (int64_t i = 0; i < c * nvox; ++i) y[i] = uniform();
  efq_conv_geometry g = {sizeof(g), 3, c, c, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}};
  efq_config* cfg = NULL;
  efq_context* ctx = NULL;
  efq_layer_problem* p = NULL;
  if (check(efq_config_create(&cfg), "config") ||
      check(efq_config_set_int(cfg, EFQ_PARAM_WBITS, 4), "wbits") ||
      check(efq_config_set_int(cfg, EFQ_PARAM_ITERATIONS, iters), "iterations") ||
      check(efq_config_set_int(cfg, EFQ_PARAM_THREADS, threads), "threads") ||
      check(efq_config_set_string(cfg, EFQ_PARAM_DEVICE, device), "device") ||
      /* a fixed iteration count: the per-iteration time is the difference of two runs */
      check(efq_config_set_int(cfg, EFQ_PARAM_EARLY_STOP, 0), "early stop") ||
      check(efq_context_create(&ctx), "context") ||
      check(efq_layer_problem_create(&g, w, NULL, cfg, &p), "create"))
    return 1;
  const int64_t spatial[3] = {s, s, s};
  double t0 = now();
  if (check(efq_layer_problem_add_batch(p, 1, spatial, x, y, NULL), "add_batch")) return 1;
  double t1 = now();
  if (check(efq_layer_problem_solve(ctx, p), "solve")) return 1;
  double t2 = now();
  efq_layer_solution_info info = {0};
  info.struct_size = sizeof(info);
  if (check(efq_layer_problem_get_solution(p, &info, NULL, NULL, NULL, NULL, NULL), "solution"))
    return 1;
  printf("%lld %lld %lld %.2f %.2f %.1f %.6g %.6g\n", (long long)c, (long long)(c * 27 + 1),
         (long long)info.iterations, t1 - t0, t2 - t1, 1e3 * (t2 - t1) / (double)iters,
         info.mse_before, info.mse_after);
  efq_layer_problem_destroy(p);
  efq_context_destroy(ctx);
  efq_config_destroy(cfg);
  free(w);
  free(x);
  free(y);
  return 0;
}
