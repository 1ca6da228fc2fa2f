/* The experimental layer-level solver API from C99: a 3-D convolution (4 -> 6 channels, 3x3x3,
 * stride 1, pad 1) with random weights and data, its FP output as target; solved at W3 by
 * EfficientQ and by the baselines. The input the solver sees is perturbed after the target was
 * computed, as in a partially quantized network, so no grid point reproduces the target. Checks, all from outside the library:
 *  - codes lie on the code set, weights = (code - zero point) * scale exactly (float);
 *  - the reconstruction MSE recomputed here by convolving with the returned weights equals the
 *    library's (Gram-computed) mse_after;
 *  - EfficientQ <= MSE projection < round-to-nearest; voxel weights change the solution;
 *  - errors: unsolved problem, wrong rank, NaN data, NULLs. */
#include <efficientq/efficientq_experimental.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

enum { N = 2, CI = 4, CO = 6, K = 3, S = 7, KV = CI * K * K * K };
#define IDX5(n, c, z, y, x, C) (((((size_t)(n) * (C) + (c)) * S + (z)) * S + (y)) * S + (x))

static float input[N * CI * S * S * S], target[N * CO * S * S * S], attention[N * S * S * S];
static float w0[CO * KV], b0[CO];

static unsigned long long rng = 12345;
static double uniform(void) { /* xorshift64*, in [-1, 1) */
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return (double)((rng * 2685821657736338717ULL) >> 11) / 4503599627370496.0 - 1.0;
}

/* out = conv(in, w) + b, zero padding 1. */
static void conv(const float* in, const float* w, const float* b, float* out) {
  int n, o, z, y, x, c, dz, dy, dx;
  for (n = 0; n < N; ++n)
    for (o = 0; o < CO; ++o)
      for (z = 0; z < S; ++z)
        for (y = 0; y < S; ++y)
          for (x = 0; x < S; ++x) {
            double acc = b[o];
            for (c = 0; c < CI; ++c)
              for (dz = 0; dz < K; ++dz)
                for (dy = 0; dy < K; ++dy)
                  for (dx = 0; dx < K; ++dx) {
                    int iz = z + dz - 1, iy = y + dy - 1, ix = x + dx - 1;
                    if (iz < 0 || iy < 0 || ix < 0 || iz >= S || iy >= S || ix >= S) continue;
                    acc += (double)w[((o * CI + c) * K + dz) * K * K + dy * K + dx] *
                           in[IDX5(n, c, iz, iy, ix, CI)];
                  }
            out[IDX5(n, o, z, y, x, CO)] = (float)acc;
          }
}

typedef struct solved {
  efq_layer_solution_info info;
  float w[CO * KV], b[CO];
  int32_t codes[CO * KV], zp[CO];
  float scales[CO];
} solved;

static int solve(const char* method, const float* h, solved* out) {
  efq_conv_geometry g;
  efq_config* cfg = NULL;
  efq_layer_problem* p = NULL;
  const int64_t spatial[3] = {S, S, S};
  int i, ok = 0;
  memset(&g, 0, sizeof g);
  g.struct_size = sizeof g;
  g.spatial_rank = 3;
  g.out_channels = CO;
  g.in_channels = CI;
  for (i = 0; i < 3; ++i) { g.kernel[i] = K; g.pad_begin[i] = g.pad_end[i] = 1; }
  EXPECT(efq_config_create(&cfg) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_WBITS, 3) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_ITERATIONS, 60) == EFQ_OK);
  EXPECT(efq_config_set_string(cfg, EFQ_PARAM_METHOD, method) == EFQ_OK);
  EXPECT(efq_layer_problem_create(&g, w0, b0, cfg, &p) == EFQ_OK);
  /* Not solved yet. */
  EXPECT(efq_layer_problem_solve(NULL, p) == EFQ_ERR_INVALID_STATE);
  EXPECT(efq_layer_problem_get_solution(p, NULL, NULL, NULL, NULL, NULL, NULL) ==
         EFQ_ERR_INVALID_STATE);
  /* Two batches of one case each: statistics stream. */
  EXPECT(efq_layer_problem_add_batch(p, 1, spatial, input, target, h) == EFQ_OK);
  EXPECT(efq_layer_problem_add_batch(p, 1, spatial, input + CI * S * S * S,
                                     target + CO * S * S * S, h ? h + S * S * S : NULL) == EFQ_OK);
  EXPECT(efq_layer_problem_solve(NULL, p) == EFQ_OK);
  memset(&out->info, 0, sizeof out->info);
  out->info.struct_size = sizeof out->info;
  EXPECT(efq_layer_problem_get_solution(p, &out->info, out->w, out->b, out->codes, out->scales,
                                        out->zp) == EFQ_OK);
  ok = out->info.num_weights == CO * KV && out->info.out_channels == CO &&
       out->info.num_scales == CO;
  efq_layer_problem_destroy(p);
  efq_config_destroy(cfg);
  return ok;
}

static double recon_mse(const solved* s) {
  static float y[N * CO * S * S * S];
  double e = 0;
  size_t i;
  conv(input, s->w, s->b, y);
  for (i = 0; i < sizeof y / sizeof y[0]; ++i) e += ((double)y[i] - target[i]) * ((double)y[i] - target[i]);
  return e / (double)(sizeof y / sizeof y[0]);
}

int main(void) {
  static solved eq, mse, rtn, att;
  size_t i;
  efq_conv_geometry bad;
  efq_layer_problem* p = NULL;
  const int64_t spatial[3] = {S, S, S};
  for (i = 0; i < sizeof input / sizeof input[0]; ++i) input[i] = (float)uniform();
  for (i = 0; i < sizeof w0 / sizeof w0[0]; ++i) w0[i] = (float)(0.2 * uniform());
  for (i = 0; i < CO; ++i) b0[i] = (float)(0.1 * uniform());
  for (i = 0; i < sizeof attention / sizeof attention[0]; ++i) attention[i] = i % 5 == 0 ? 4.f : 1.f;
  conv(input, w0, b0, target);
  for (i = 0; i < sizeof input / sizeof input[0]; ++i) input[i] += (float)(0.3 * uniform());

  EXPECT(solve("efficientq", NULL, &eq));
  EXPECT(solve("mse", NULL, &mse));
  EXPECT(solve("rtn", NULL, &rtn));
  EXPECT(solve("efficientq", attention, &att));

  /* Codes on the grid, weights = scale * (code - zp) in double rounded to float. */
  for (i = 0; i < CO * KV; ++i) {
    const size_t c = i / KV;
    EXPECT(eq.codes[i] >= eq.info.qmin && eq.codes[i] <= eq.info.qmax);
    EXPECT((eq.codes[i] - eq.info.qmin) % eq.info.qstep == 0);
    EXPECT(eq.w[i] == (float)(eq.codes[i] - eq.zp[c]) * eq.scales[c]);
  }
  /* W3 on the default symmetric grid: the 8 odd codes in ±7 (issue 15; narrow range: ±3) */
  EXPECT(eq.info.qmin == -7 && eq.info.qmax == 7 && eq.info.qstep == 2);
  /* The library's Gram-computed loss is the convolution-computed MSE. */
  {
    const double e_eq = recon_mse(&eq), e_mse = recon_mse(&mse), e_rtn = recon_mse(&rtn);
    printf("W3 reconstruction MSE: efficientq %.4g (library %.4g), mse %.4g, rtn %.4g\n", e_eq,
           eq.info.mse_after, e_mse, e_rtn);
    EXPECT(fabs(e_eq - eq.info.mse_after) <= 1e-4 * e_eq);
    EXPECT(fabs(e_mse - mse.info.mse_after) <= 1e-4 * e_mse);
    EXPECT(e_eq <= e_mse * (1 + 1e-9));
    EXPECT(e_mse < e_rtn);
    EXPECT(e_eq < 0.8 * e_rtn);
    EXPECT(eq.info.iterations >= 1 && eq.info.iterations <= 60 && mse.info.iterations == 0);
    /* Grown field: why ADMM stopped (a fixed 60-iteration run here), empty for a baseline. */
    EXPECT(strcmp(eq.info.stop_reason, "max_iterations") == 0);
    EXPECT(mse.info.stop_reason[0] == '\0');
  }
  EXPECT(memcmp(att.codes, eq.codes, sizeof eq.codes) != 0); /* the voxel weights matter */

  /* Errors. */
  memset(&bad, 0, sizeof bad);
  bad.struct_size = sizeof bad;
  bad.spatial_rank = 4;
  bad.out_channels = CO;
  bad.in_channels = CI;
  EXPECT(efq_layer_problem_create(&bad, w0, b0, NULL, &p) == EFQ_ERR_INVALID_ARGUMENT && p == NULL);
  EXPECT(strstr(efq_last_error_message(), "spatial_rank") != NULL);
  bad.spatial_rank = 3;
  bad.kernel[0] = bad.kernel[1] = bad.kernel[2] = K;
  bad.pad_begin[0] = bad.pad_begin[1] = bad.pad_begin[2] = 1;
  bad.pad_end[0] = bad.pad_end[1] = bad.pad_end[2] = 1;
  EXPECT(efq_layer_problem_create(&bad, NULL, b0, NULL, &p) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(efq_layer_problem_create(&bad, w0, b0, NULL, &p) == EFQ_OK);
  input[17] = (float)NAN;
  EXPECT(efq_layer_problem_add_batch(p, 1, spatial, input, target, NULL) == EFQ_ERR_NUMERICAL);
  EXPECT(strstr(efq_last_error_message(), "input[17]") != NULL);
  input[17] = 0.f;
  EXPECT(efq_layer_problem_add_batch(p, 0, spatial, input, target, NULL) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(efq_layer_problem_add_batch(p, 1, spatial, input, NULL, NULL) == EFQ_ERR_INVALID_ARGUMENT);
  efq_layer_problem_destroy(p);
  efq_layer_problem_destroy(NULL);

  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  else printf("layer API ok\n");
  return failures ? 1 : 0;
}
