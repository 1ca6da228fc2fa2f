/* The struct_size rule (efficientq.h, "Rules") seen from hosts compiled against other headers:
 *  - a host whose header declares a struct grown by one field (a newer header) passes the first
 *    version's size or its larger size: the library writes the first version's fields and not one
 *    byte past them (guard bytes untouched);
 *  - a size below the first version's fails with EFQ_ERR_INVALID_ARGUMENT and writes nothing
 *    (for efq_model_save_efq: not the file either);
 *  - an input struct (efq_conv_geometry) from a newer header, with an unknown trailing field, is
 *    read up to the fields this library knows.
 * First-version sizes are computed from the first version's last field, never from sizeof of
 * today's struct, as a host would. */
#include <efficientq/efficientq.h>
#include <efficientq/efficientq_experimental.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

#define GUARD 0xA5
#define END_OF(type, field) (offsetof(type, field) + sizeof(((type*)0)->field))

/* A struct as a newer header would declare it: today's fields, one more, then guard bytes. */
typedef union grown {
  unsigned char bytes[256];
  efq_model_info info;
  efq_efq_size size;
  efq_layer_solution_info solution;
  efq_conv_geometry geometry;
  efq_device_info device;
} grown;

static void fill_guard(grown* g, size_t struct_size) {
  memset(g->bytes, GUARD, sizeof g->bytes);
  memcpy(g->bytes, &struct_size, sizeof struct_size);
}

/* 1 when every byte in [from, end of the buffer) still holds the guard pattern. */
static int guard_intact(const grown* g, size_t from) {
  size_t i;
  for (i = from; i < sizeof g->bytes; ++i)
    if (g->bytes[i] != GUARD) return 0;
  return 1;
}

static void check_model_info(const efq_model* model) {
  const size_t v1 = END_OF(efq_model_info, opset);
  grown g;
  /* First-version size: its fields written, nothing after them. */
  fill_guard(&g, v1);
  EXPECT(efq_model_get_info(model, &g.info) == EFQ_OK);
  EXPECT(g.info.struct_size == v1);
  EXPECT(g.info.input_channels == 1 && g.info.num_nodes > 0 && g.info.opset >= 11);
  EXPECT(guard_intact(&g, v1));
  /* A newer header's size (one int64 more): the field this library does not know is untouched. */
  fill_guard(&g, v1 + sizeof(int64_t));
  EXPECT(efq_model_get_info(model, &g.info) == EFQ_OK);
  EXPECT(g.info.num_quantizable > 0 && guard_intact(&g, v1));
  /* Below the first version: refused, nothing written. */
  fill_guard(&g, v1 - sizeof(int64_t));
  EXPECT(efq_model_get_info(model, &g.info) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(strstr(efq_last_error_message(), "struct_size") != NULL);
  EXPECT(guard_intact(&g, sizeof(size_t)));
  fill_guard(&g, 0);
  EXPECT(efq_model_get_info(model, &g.info) == EFQ_ERR_INVALID_ARGUMENT);
}

static int file_exists(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f) fclose(f);
  return f != NULL;
}

static void check_efq_size(const efq_model* quantized, const char* dir) {
  const size_t v1 = END_OF(efq_efq_size, file_bytes);
  char path[1200];
  grown g;
  snprintf(path, sizeof path, "%s/struct_size_small.efq", dir);
  remove(path);
  fill_guard(&g, v1 - 1);
  EXPECT(efq_model_save_efq(quantized, path, &g.size) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(guard_intact(&g, sizeof(size_t)));
  EXPECT(!file_exists(path)); /* refused before writing */
  snprintf(path, sizeof path, "%s/struct_size.efq", dir);
  fill_guard(&g, v1 + sizeof(int64_t));
  EXPECT(efq_model_save_efq(quantized, path, &g.size) == EFQ_OK);
  EXPECT(g.size.packed_code_bytes > 0 && g.size.fp32_weight_bytes > g.size.packed_code_bytes &&
         g.size.file_bytes > 0);
  EXPECT(guard_intact(&g, v1));
  fill_guard(&g, v1);
  EXPECT(efq_model_save_efq(quantized, path, &g.size) == EFQ_OK);
  EXPECT(g.size.file_bytes > 0 && guard_intact(&g, v1));
}

static void check_layer_problem(void) {
  const size_t geometry_v1 = END_OF(efq_conv_geometry, pad_end);
  const size_t info_v1 = END_OF(efq_layer_solution_info, best_iteration);
  /* A 1x1x1 convolution, 2 -> 2 channels, on a 3x3x3 input. */
  float w[4] = {0.5f, -0.25f, 0.125f, 1.0f}, b[2] = {0.f, 0.1f}, x[2 * 27], y[2 * 27];
  const int64_t spatial[3] = {3, 3, 3};
  efq_layer_problem* p = NULL;
  efq_config* cfg = NULL;
  grown g;
  int i;
  for (i = 0; i < 27; ++i) {
    x[i] = (float)(i % 7) - 3.f;
    x[27 + i] = (float)(i % 5) * 0.5f;
    y[i] = w[0] * x[i] + w[1] * x[27 + i] + b[0];
    y[27 + i] = w[2] * x[i] + w[3] * x[27 + i] + b[1];
  }
  EXPECT(efq_config_create(&cfg) == EFQ_OK);
  EXPECT(efq_config_set_string(cfg, EFQ_PARAM_METHOD, "rtn") == EFQ_OK);
  /* Input struct from a newer header: an unknown trailing field (guard bytes) is not read. */
  fill_guard(&g, geometry_v1 + sizeof(int64_t));
  memset(g.bytes + sizeof(size_t), 0, geometry_v1 - sizeof(size_t));
  g.geometry.spatial_rank = 3;
  g.geometry.out_channels = 2;
  g.geometry.in_channels = 2;
  for (i = 0; i < 3; ++i) g.geometry.kernel[i] = 1;
  EXPECT(efq_layer_problem_create(&g.geometry, w, b, cfg, &p) == EFQ_OK);
  EXPECT(efq_layer_problem_add_batch(p, 1, spatial, x, y, NULL) == EFQ_OK);
  EXPECT(efq_layer_problem_solve(NULL, p) == EFQ_OK);
  efq_layer_problem_destroy(p);
  p = NULL;
  /* Below the first version's size: refused. */
  g.geometry.struct_size = geometry_v1 - sizeof(int64_t);
  EXPECT(efq_layer_problem_create(&g.geometry, w, b, cfg, &p) == EFQ_ERR_INVALID_ARGUMENT && !p);
  g.geometry.struct_size = geometry_v1;
  EXPECT(efq_layer_problem_create(&g.geometry, w, b, cfg, &p) == EFQ_OK);
  EXPECT(efq_layer_problem_add_batch(p, 1, spatial, x, y, NULL) == EFQ_OK);
  EXPECT(efq_layer_problem_solve(NULL, p) == EFQ_OK);
  /* Output struct: first-version size and a newer header's; then too small. */
  fill_guard(&g, info_v1);
  EXPECT(efq_layer_problem_get_solution(p, &g.solution, NULL, NULL, NULL, NULL, NULL) == EFQ_OK);
  EXPECT(g.solution.num_weights == 4 && g.solution.out_channels == 2 && g.solution.qmax > 0);
  EXPECT(guard_intact(&g, info_v1));
  /* Today's header (stop_reason grown after the first version): filled, NUL-terminated (a
   * baseline's is empty). */
  fill_guard(&g, sizeof(efq_layer_solution_info));
  EXPECT(efq_layer_problem_get_solution(p, &g.solution, NULL, NULL, NULL, NULL, NULL) == EFQ_OK);
  EXPECT(g.solution.num_scales >= 1 && g.solution.stop_reason[0] == '\0');
  EXPECT(guard_intact(&g, sizeof(efq_layer_solution_info)));
  /* A newer header's, one field more: nothing after today's fields is written. */
  fill_guard(&g, sizeof(efq_layer_solution_info) + sizeof(int64_t));
  EXPECT(efq_layer_problem_get_solution(p, &g.solution, NULL, NULL, NULL, NULL, NULL) == EFQ_OK);
  EXPECT(g.solution.num_scales >= 1 && guard_intact(&g, sizeof(efq_layer_solution_info)));
  fill_guard(&g, sizeof(size_t));
  EXPECT(efq_layer_problem_get_solution(p, &g.solution, NULL, NULL, NULL, NULL, NULL) ==
         EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(guard_intact(&g, sizeof(size_t)));
  efq_layer_problem_destroy(p);
  efq_config_destroy(cfg);
}

/* efq_device_get_info (issue 12): device 0 is the CPU; the rule as for the other output structs;
 * an index out of range is refused. Every device's strings are NUL-terminated. */
static void check_device_info(void) {
  const size_t v1 = END_OF(efq_device_info, memory_bytes);
  int64_t n = 0, i;
  grown g;
  EXPECT(efq_device_count(&n) == EFQ_OK && n >= 1);
  fill_guard(&g, v1);
  EXPECT(efq_device_get_info(0, &g.device) == EFQ_OK);
  EXPECT(strcmp(g.device.id, "cpu") == 0 && strcmp(g.device.backend, "cpu") == 0);
  EXPECT(g.device.memory_bytes > 0 && guard_intact(&g, v1));
  fill_guard(&g, v1 + sizeof(int64_t));
  EXPECT(efq_device_get_info(0, &g.device) == EFQ_OK && guard_intact(&g, v1));
  fill_guard(&g, v1 - sizeof(uint64_t));
  EXPECT(efq_device_get_info(0, &g.device) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(guard_intact(&g, sizeof(size_t)));
  fill_guard(&g, v1);
  EXPECT(efq_device_get_info(n, &g.device) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(efq_device_get_info(-1, &g.device) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(efq_device_count(NULL) == EFQ_ERR_INVALID_ARGUMENT);
  for (i = 0; i < n; ++i) {
    fill_guard(&g, v1);
    EXPECT(efq_device_get_info(i, &g.device) == EFQ_OK);
    EXPECT(memchr(g.device.id, 0, sizeof g.device.id) && memchr(g.device.name, 0, sizeof g.device.name));
    EXPECT(memchr(g.device.vendor, 0, sizeof g.device.vendor) && g.device.id[0] != 0);
    printf("device %ld: %s %s (%s)\n", (long)i, g.device.id, g.device.name, g.device.vendor);
  }
}

int main(int argc, char** argv) {
  char model_path[1024], dir[1024], image[1200];
  const int64_t small[3] = {48, 40, 32};
  const char* paths[1];
  efq_model* model = NULL;
  efq_model* quantized = NULL;
  efq_volume* vol = NULL;
  efq_config* cfg = NULL;
  const efq_volume* calib[1];
  if (argc < 3) return 2;
  snprintf(model_path, sizeof model_path, "%s/tests/data/fixtures/uresq.onnx", argv[1]);
  snprintf(dir, sizeof dir, "%s/tmp/struct_size", argv[2]);

  EXPECT(efq_model_load_onnx(NULL, model_path, &model) == EFQ_OK);
  if (model) check_model_info(model);

  /* A quantized model (round-to-nearest: fast) for efq_model_save_efq's efq_efq_size. */
  EXPECT(efq_phantom_write_dataset(EFQ_PHANTOM_LIVER, 0, 1, 3, small, dir) == EFQ_OK);
  snprintf(image, sizeof image, "%s/imagesTs/liver_000_0000.nii.gz", dir);
  paths[0] = image;
  EXPECT(efq_volume_load_nifti(NULL, paths, 1, &vol) == EFQ_OK);
  EXPECT(efq_config_create(&cfg) == EFQ_OK);
  EXPECT(efq_config_set_string(cfg, EFQ_PARAM_METHOD, "rtn") == EFQ_OK);
  calib[0] = vol;
  if (model && vol)
    EXPECT(efq_quantize(NULL, model, calib, 1, cfg, &quantized, NULL) == EFQ_OK);
  if (quantized) check_efq_size(quantized, dir);

  check_layer_problem();
  check_device_info();

  efq_model_destroy(quantized);
  efq_config_destroy(cfg);
  efq_volume_destroy(vol);
  efq_model_destroy(model);
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  else printf("struct_size rule ok\n");
  return failures ? 1 : 0;
}
