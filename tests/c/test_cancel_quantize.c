/* Cancelling a quantization from the progress callback (issue 13 item 5): efq_quantize returns
 * EFQ_ERR_CANCELLED, hands back no model and no report, and the model it was given is untouched:
 * its ONNX bytes, its description and its segmentation are the same as before. Cancelled at the
 * first report, after a few layers and in the middle of a layer's ADMM iterations. */
#include <efficientq/efficientq.h>
#include <efficientq/efficientq_experimental.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

typedef struct {
  int calls;       /* progress reports seen */
  int cancel_at;   /* cancel on this report (1-based) */
  int cancelled;   /* the report that returned non-zero, 0 while none */
} cancel_state;

static int cancel_after(void* user, const efq_progress* p) {
  cancel_state* s = (cancel_state*)user;
  (void)p;
  ++s->calls;
  if (s->calls >= s->cancel_at && !s->cancelled) s->cancelled = s->calls;
  return s->cancelled ? 1 : 0;
}

static int count_reports(void* user, const efq_progress* p) {
  (void)p;
  ++*(int*)user;
  return 0;
}

static int same_file(const char* a, const char* b) {
  long na = 0, nb = 0;
  unsigned char* x = read_file(a, &na);
  unsigned char* y = read_file(b, &nb);
  int same = x && y && na == nb && na > 0 && memcmp(x, y, (size_t)na) == 0;
  free(x);
  free(y);
  return same;
}

int main(int argc, char** argv) {
  char model_path[1024], dir[1024], image[1200], before[1200], after[1200];
  efq_context* ctx = NULL;
  efq_model* model = NULL;
  efq_model* q = NULL;
  efq_report* rep = NULL;
  efq_volume* vol = NULL;
  efq_config* cfg = NULL;
  efq_segmentation* seg0 = NULL;
  efq_segmentation* seg1 = NULL;
  char* desc0 = NULL;
  char* desc1 = NULL;
  const char* paths[1];
  const uint8_t* l0 = NULL;
  const uint8_t* l1 = NULL;
  int64_t d0[3], d1[3];
  int64_t small[3] = {32, 32, 24};
  int total_reports = 0, k;
  cancel_state st;
  if (argc < 3) return 2;
  snprintf(model_path, sizeof model_path, "%s/tests/data/fixtures/uresq.onnx", argv[1]);
  snprintf(dir, sizeof dir, "%s/tmp/cancel_quantize", argv[2]);
  snprintf(before, sizeof before, "%s/before.onnx", dir);
  snprintf(after, sizeof after, "%s/after.onnx", dir);

  EXPECT(efq_context_create(&ctx) == EFQ_OK);
  EXPECT(efq_model_load_onnx(ctx, model_path, &model) == EFQ_OK);
  EXPECT(efq_phantom_write_dataset(EFQ_PHANTOM_LIVER, 0, 1, 7, small, dir) == EFQ_OK);
  snprintf(image, sizeof image, "%s/imagesTs/liver_000_0000.nii.gz", dir);
  paths[0] = image;
  EXPECT(efq_volume_load_nifti(ctx, paths, 1, &vol) == EFQ_OK);
  EXPECT(efq_config_create(&cfg) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_ITERATIONS, 20) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_ROI_D, 16) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_ROI_H, 16) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_ROI_W, 16) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_CALIB_CROP_D, 16) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_CALIB_CROP_H, 16) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_CALIB_CROP_W, 16) == EFQ_OK);
  if (failures) return 1;

  /* The model as it was loaded. */
  EXPECT(efq_model_save_onnx(model, before) == EFQ_OK);
  EXPECT(efq_model_describe_json(model, NULL, &desc0) == EFQ_OK);
  EXPECT(efq_segment(ctx, model, vol, cfg, &seg0) == EFQ_OK);

  /* How many reports a whole quantization gives (layer starts and ADMM iterations). */
  EXPECT(efq_context_set_progress_callback(ctx, count_reports, &total_reports) == EFQ_OK);
  EXPECT(efq_quantize(ctx, model, (const efq_volume* const*)&vol, 1, cfg, &q, &rep) == EFQ_OK);
  EXPECT(q != NULL && rep != NULL);
  efq_model_destroy(q);
  efq_report_destroy(rep);
  q = NULL;
  rep = NULL;
  printf("a whole quantization gives %d progress reports\n", total_reports);
  EXPECT(total_reports > 10);

  /* Cancel at the first report, a third of the way, and at the last-but-one report. */
  for (k = 0; k < 3; ++k) {
    const int at = k == 0 ? 1 : k == 1 ? total_reports / 3 : total_reports - 1;
    memset(&st, 0, sizeof st);
    st.cancel_at = at;
    q = (efq_model*)&st; /* must be overwritten with NULL */
    rep = (efq_report*)&st;
    EXPECT(efq_context_set_progress_callback(ctx, cancel_after, &st) == EFQ_OK);
    EXPECT(efq_quantize(ctx, model, (const efq_volume* const*)&vol, 1, cfg, &q, &rep) ==
           EFQ_ERR_CANCELLED);
    EXPECT(st.cancelled == at);
    EXPECT(st.calls == at); /* no report after the one that cancelled */
    EXPECT(q == NULL);
    EXPECT(rep == NULL);
    printf("cancelled at report %d of %d: %s\n", at, total_reports, efq_last_error_message());
  }
  EXPECT(efq_context_set_progress_callback(ctx, NULL, NULL) == EFQ_OK);

  /* The model is untouched: same bytes, same description, same segmentation. */
  EXPECT(efq_model_save_onnx(model, after) == EFQ_OK);
  EXPECT(same_file(before, after));
  EXPECT(efq_model_describe_json(model, NULL, &desc1) == EFQ_OK);
  EXPECT(desc0 && desc1 && strcmp(desc0, desc1) == 0);
  EXPECT(efq_segment(ctx, model, vol, cfg, &seg1) == EFQ_OK);
  EXPECT(efq_segmentation_get_labels(seg0, &l0, d0) == EFQ_OK);
  EXPECT(efq_segmentation_get_labels(seg1, &l1, d1) == EFQ_OK);
  EXPECT(l0 && l1 && d0[0] == d1[0] && d0[1] == d1[1] && d0[2] == d1[2] &&
         memcmp(l0, l1, (size_t)(d0[0] * d0[1] * d0[2])) == 0);

  efq_string_free(desc0);
  efq_string_free(desc1);
  efq_segmentation_destroy(seg0);
  efq_segmentation_destroy(seg1);
  efq_volume_destroy(vol);
  efq_model_destroy(model);
  efq_config_destroy(cfg);
  efq_context_destroy(ctx);
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  else printf("cancellation test passed\n");
  return failures ? 1 : 0;
}
