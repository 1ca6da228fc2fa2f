/* The C ABI driven from C99 (-pedantic -Werror): version, status strings, errors, a full
 * load → segment → Dice → save round on a fixture network and a phantom volume. */
#include <efficientq/efficientq.h>
#include <efficientq/efficientq_experimental.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

static int progress_calls = 0;
static int on_progress(void* user, const efq_progress* p) {
  (void)user;
  if (p->struct_size >= offsetof(efq_progress, item) + sizeof p->item && p->step <= p->total)
    ++progress_calls;
  return 0;
}
static int cancel_now(void* user, const efq_progress* p) {
  (void)user;
  (void)p;
  return 1;
}

int main(int argc, char** argv) {
  char model_path[1024], dir[1024], image[1200], label[1200], seg_path[1200];
  efq_context* ctx = NULL;
  efq_model* model = NULL;
  efq_volume* vol = NULL;
  efq_volume* ref = NULL;
  efq_volume* small_vol = NULL;
  efq_segmentation* seg = NULL;
  efq_config* cfg = NULL;
  efq_report* rep = NULL;
  efq_report* rep2 = NULL;
  double fid = -1, d_fid = -1, d_eval = -2;
  efq_model_info info;
  const char* paths[1];
  double dice[8];
  size_t n = 0;
  const uint8_t* labels = NULL;
  int64_t dims[3];
  int64_t small[3] = {48, 40, 32};
  double lo = 0, hi = 0, dflt = 0;
  int s;
  FILE* f;
  if (argc < 3) return 2;
  snprintf(model_path, sizeof model_path, "%s/tests/data/fixtures/uresq.onnx", argv[1]);
  snprintf(dir, sizeof dir, "%s/tmp/capi", argv[2]);

  /* Version and status strings. */
  EXPECT(efq_version_number() == EFQ_VERSION_NUMBER);
  EXPECT(strlen(efq_version_string()) >= 5);
  EXPECT(strstr(efq_build_info(), "cpu") != NULL);
  EXPECT(EFQ_OK == 0 && EFQ_ERR_INVALID_ARGUMENT == 1 && EFQ_ERR_IO == 2 && EFQ_ERR_FORMAT == 3 &&
         EFQ_ERR_UNSUPPORTED == 4 && EFQ_ERR_OUT_OF_MEMORY == 5 && EFQ_ERR_BACKEND == 6 &&
         EFQ_ERR_NUMERICAL == 7 && EFQ_ERR_CANCELLED == 8 && EFQ_ERR_INVALID_STATE == 9 &&
         EFQ_ERR_INTERNAL == 99);
  for (s = 0; s <= 100; ++s) EXPECT(efq_status_string((efq_status)s) != NULL);
  EXPECT(strcmp(efq_status_string((efq_status)12345), "unknown status") == 0);

  /* destroy(NULL) is a no-op; NULL arguments are errors, not crashes. */
  efq_context_destroy(NULL);
  efq_model_destroy(NULL);
  efq_volume_destroy(NULL);
  efq_segmentation_destroy(NULL);
  efq_config_destroy(NULL);
  efq_report_destroy(NULL);
  efq_string_free(NULL);
  EXPECT(efq_context_create(NULL) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(efq_model_load_onnx(NULL, NULL, &model) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(strlen(efq_last_error_message()) > 0);

  EXPECT(efq_context_create(&ctx) == EFQ_OK);
  EXPECT(efq_context_set_progress_callback(ctx, on_progress, NULL) == EFQ_OK);

  /* Errors name what failed. */
  EXPECT(efq_model_load_onnx(ctx, "/nonexistent/model.onnx", &model) == EFQ_ERR_IO);
  EXPECT(strstr(efq_last_error_message(), "/nonexistent/model.onnx") != NULL);
  EXPECT(model == NULL);

  /* Parameters: bounds, defaults within bounds, out-of-range rejected. */
  EXPECT(efq_config_create(&cfg) == EFQ_OK);
  EXPECT(efq_param_bounds(EFQ_PARAM_OVERLAP, &lo, &hi, &dflt) == EFQ_OK);
  EXPECT(lo <= dflt && dflt <= hi);
  EXPECT(efq_config_set_real(cfg, EFQ_PARAM_OVERLAP, 1.5) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(efq_config_set_string(cfg, EFQ_PARAM_BLEND, "cubic") == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(efq_config_set_string(cfg, EFQ_PARAM_NORMALIZATION, "ct:-100,200") == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_ROI_D, 32) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_ROI_H, 32) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_ROI_W, 32) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_WANT_PROBABILITIES, 1) == EFQ_OK);

  /* Model. */
  EXPECT(efq_model_load_onnx(ctx, model_path, &model) == EFQ_OK);
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  EXPECT(efq_model_get_info(model, &info) == EFQ_OK);
  EXPECT(info.input_channels == 1 && info.num_quantizable > 5 && info.num_parameters > 1000);

  /* A phantom case as the volume. */
  EXPECT(efq_phantom_write_dataset(EFQ_PHANTOM_LIVER, 0, 1, 3, small, dir) == EFQ_OK);
  snprintf(image, sizeof image, "%s/imagesTs/liver_000_0000.nii.gz", dir);
  snprintf(label, sizeof label, "%s/labelsTs/liver_000.nii.gz", dir);
  paths[0] = image;
  EXPECT(efq_volume_load_nifti(ctx, paths, 1, &vol) == EFQ_OK);
  EXPECT(efq_volume_get_dims(vol, dims, NULL) == EFQ_OK);
  EXPECT(dims[0] == 48 && dims[1] == 40 && dims[2] == 32);

  EXPECT(efq_segment(ctx, model, vol, cfg, &seg) == EFQ_OK);
  EXPECT(progress_calls > 0);
  EXPECT(efq_segmentation_get_labels(seg, &labels, dims) == EFQ_OK);
  EXPECT(labels != NULL && dims[0] == 48);
  paths[0] = label;
  EXPECT(efq_volume_load_nifti(ctx, paths, 1, &ref) == EFQ_OK);
  EXPECT(efq_segmentation_dice(seg, ref, dice, 8, &n) == EFQ_OK);
  EXPECT(n == 3);
  EXPECT(dice[0] >= 0.0 && dice[0] <= 1.0);
  snprintf(seg_path, sizeof seg_path, "%s/seg.nii.gz", dir);
  EXPECT(efq_segmentation_save_nifti(seg, seg_path, NULL) == EFQ_OK);
  f = fopen(seg_path, "rb");
  EXPECT(f != NULL);
  if (f) fclose(f);

  /* Fidelity of the model against itself is exactly 1; with labels, its Dice is
   * efq_evaluate_dice's; other reports have no fidelity; the reference is required. */
  EXPECT(efq_evaluate_fidelity(ctx, model, model, dir, cfg, &rep) == EFQ_OK);
  EXPECT(efq_report_get_mean_fidelity(rep, &fid) == EFQ_OK);
  EXPECT(fid == 1.0);
  EXPECT(efq_report_get_mean_foreground_dice(rep, &d_fid) == EFQ_OK);
  EXPECT(efq_evaluate_dice(ctx, model, dir, cfg, &rep2) == EFQ_OK);
  EXPECT(efq_report_get_mean_foreground_dice(rep2, &d_eval) == EFQ_OK);
  EXPECT(d_fid == d_eval);
  EXPECT(efq_report_get_mean_fidelity(rep2, &fid) == EFQ_ERR_INVALID_STATE);
  efq_report_destroy(rep);
  rep = NULL;
  EXPECT(efq_evaluate_fidelity(ctx, model, NULL, dir, cfg, &rep) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(strstr(efq_last_error_message(), "reference") != NULL);
  EXPECT(rep == NULL);
  efq_report_destroy(rep2);
  /* The memory limit: a context parameter (loads included) that a config overrides. 1 MiB is
   * less than this segmentation's accumulators, so the call fails before allocating them. */
  EXPECT(efq_context_set_int(ctx, EFQ_PARAM_WBITS, 4) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(strstr(efq_last_error_message(), "not a context parameter") != NULL);
  EXPECT(efq_context_set_int(ctx, EFQ_PARAM_MEMORY_LIMIT_MB, -1) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(efq_param_bounds(EFQ_PARAM_MEMORY_LIMIT_MB, &lo, &hi, &dflt) == EFQ_OK);
  EXPECT(lo == 0 && dflt == 0 && hi >= 1048576);
  EXPECT(efq_context_set_int(ctx, EFQ_PARAM_MEMORY_LIMIT_MB, 1) == EFQ_OK);
  efq_segmentation_destroy(seg);
  seg = NULL;
  EXPECT(efq_segment(ctx, model, vol, cfg, &seg) == EFQ_ERR_OUT_OF_MEMORY);
  EXPECT(strstr(efq_last_error_message(), "more than the memory limit of 1 MiB") != NULL);
  EXPECT(seg == NULL);
  paths[0] = image;
  EXPECT(efq_volume_load_nifti(ctx, paths, 1, &small_vol) == EFQ_OK); /* 48x40x32: 0.3 MiB */
  efq_volume_destroy(small_vol);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_MEMORY_LIMIT_MB, 0) == EFQ_OK); /* the default wins */
  EXPECT(efq_segment(ctx, model, vol, cfg, &seg) == EFQ_OK);
  EXPECT(efq_context_set_int(ctx, EFQ_PARAM_MEMORY_LIMIT_MB, 0) == EFQ_OK);

  /* A cancelling progress callback stops the call with EFQ_ERR_CANCELLED. */
  efq_segmentation_destroy(seg);
  seg = NULL;
  EXPECT(efq_context_set_progress_callback(ctx, cancel_now, NULL) == EFQ_OK);
  EXPECT(efq_segment(ctx, model, vol, cfg, &seg) == EFQ_ERR_CANCELLED);
  EXPECT(seg == NULL);

  efq_segmentation_destroy(seg);
  efq_volume_destroy(ref);
  efq_volume_destroy(vol);
  efq_model_destroy(model);
  efq_config_destroy(cfg);
  efq_context_destroy(ctx);
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  else printf("C ABI test passed\n");
  return failures ? 1 : 0;
}
