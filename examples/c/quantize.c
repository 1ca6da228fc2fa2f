/*
 * quantize.c — the whole EfficientQ workflow through the C ABI only (C99).
 *
 *   load an FP32 ONNX model → load one calibration volume (NIfTI) → efq_quantize (W/A bits from
 *   the command line) → write the quantized model as QDQ ONNX → evaluate FP32 and quantized Dice
 *   on an nnU-Net v2 raw dataset → print both mean foreground Dice.
 *
 * usage: efq_example_quantize MODEL.onnx CALIB.nii.gz DATASET_DIR OUT.onnx WBITS ABITS [ITERS]
 *
 * Performance note: libefficientq uses OpenMP. Run with OMP_WAIT_POLICY=PASSIVE (the efficientq
 * CLI sets it for itself): the quantizer alternates short parallel and serial phases, and spinning
 * idle workers otherwise slow it down, badly so on a loaded machine.
 *
 * Every call is checked; on failure the program prints the status and efq_last_error_message()
 * and releases everything it created (every _destroy accepts NULL).
 */
#include <efficientq/efficientq.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Checks one efq call: on failure, report and jump to cleanup. */
#define CHECK(call, what)                                                                 \
  do {                                                                                    \
    efq_status check_status_ = (call);                                                    \
    if (check_status_ != EFQ_OK) {                                                        \
      fprintf(stderr, "error: %s: %s (%s)\n", (what), efq_status_string(check_status_),   \
              efq_last_error_message());                                                  \
      goto cleanup;                                                                       \
    }                                                                                     \
  } while (0)

/* Progress: one line on stderr each time the stage ("quantize", "evaluate", ...) or its step
 * changes (the library may report several times per step). */
typedef struct progress_state {
  char stage[32];
  int64_t step;
} progress_state;

static int on_progress(void* user, const efq_progress* p) {
  progress_state* last = (progress_state*)user;
  const char* stage;
  /* Reads only fields of the first efq_progress (every library fills them); compare with their end,
   * not with sizeof(efq_progress), which grows when a newer header adds fields. */
  if (p->struct_size < offsetof(efq_progress, item) + sizeof p->item) return 0;
  stage = p->stage ? p->stage : "?";
  if (strncmp(last->stage, stage, sizeof last->stage - 1) != 0 || last->step != p->step) {
    snprintf(last->stage, sizeof last->stage, "%s", stage);
    last->step = p->step;
    fflush(stdout); /* keep stdout and stderr in order on a terminal or a shared log */
    fprintf(stderr, "  [%s] %lld/%lld %s\n", stage, (long long)p->step, (long long)p->total,
            p->item ? p->item : "");
  }
  return 0; /* non-zero would cancel the running call (EFQ_ERR_CANCELLED) */
}

/* Library log lines (warnings and errors only). */
static void on_log(void* user, efq_log_level level, const char* message) {
  (void)user;
  fprintf(stderr, "  efficientq %s: %s\n", level == EFQ_LOG_ERROR ? "error" : "warning", message);
}

/* Parses a whole decimal integer in [lo, hi]. */
static int parse_int(const char* text, long lo, long hi, long* out) {
  char* end = NULL;
  long v;
  errno = 0;
  v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) return 0;
  *out = v;
  return 1;
}

int main(int argc, char** argv) {
  efq_context* ctx = NULL;
  efq_model* model = NULL;
  efq_model* quantized = NULL;
  efq_volume* calib = NULL;
  efq_config* config = NULL;
  efq_report* qreport = NULL;
  efq_report* fp_eval = NULL;
  efq_report* q_eval = NULL;
  char* notes = NULL;
  const char* calib_paths[1];
  const efq_volume* calib_set[1];
  efq_model_info info;
  progress_state progress = {"", -1};
  long wbits = 0, abits = 0, iters = 0;
  double fp_dice = 0.0, q_dice = 0.0;
  int rc = 1;

  if (argc != 7 && argc != 8) {
    fprintf(stderr,
            "usage: %s MODEL.onnx CALIB.nii.gz DATASET_DIR OUT.onnx WBITS ABITS [ITERS]\n"
            "  WBITS 2..8, ABITS 0 (weights only) or 2..8, ITERS ADMM iterations (default 200)\n",
            argv[0]);
    return 2;
  }
  if (!parse_int(argv[5], 2, 8, &wbits) || !parse_int(argv[6], 0, 8, &abits) || abits == 1 ||
      (argc == 8 && !parse_int(argv[7], 1, 10000, &iters))) {
    fprintf(stderr, "error: WBITS must be 2..8, ABITS 0 or 2..8, ITERS 1..10000\n");
    return 2;
  }
  if (efq_version_number() / 10000 != EFQ_VERSION_MAJOR) {
    fprintf(stderr, "error: library %s is not ABI-compatible with this header (%d.x)\n",
            efq_version_string(), EFQ_VERSION_MAJOR);
    return 1;
  }
  printf("libefficientq %s\n", efq_version_string());

  CHECK(efq_context_create(&ctx), "creating a context");
  CHECK(efq_context_set_log_callback(ctx, on_log, NULL, EFQ_LOG_WARNING), "setting the log");
  CHECK(efq_context_set_progress_callback(ctx, on_progress, &progress), "setting the progress");

  /* 1. The FP32 model. */
  CHECK(efq_model_load_onnx(ctx, argv[1], &model), "loading the model");
  info.struct_size = sizeof info;
  CHECK(efq_model_get_info(model, &info), "reading the model summary");
  printf("model: %lld nodes, %lld quantizable layers, %lld parameters\n",
         (long long)info.num_nodes, (long long)info.num_quantizable,
         (long long)info.num_parameters);

  /* 2. One calibration case (a single modality here). */
  calib_paths[0] = argv[2];
  CHECK(efq_volume_load_nifti(ctx, calib_paths, 1, &calib), "loading the calibration volume");

  /* 3. Quantize. Unset parameters come from the model metadata or the defaults. */
  CHECK(efq_config_create(&config), "creating a configuration");
  CHECK(efq_config_set_int(config, EFQ_PARAM_WBITS, wbits), "setting the weight bits");
  CHECK(efq_config_set_int(config, EFQ_PARAM_ABITS, abits), "setting the activation bits");
  if (iters > 0) CHECK(efq_config_set_int(config, EFQ_PARAM_ITERATIONS, iters), "setting ITERS");
  calib_set[0] = calib;
  CHECK(efq_quantize(ctx, model, calib_set, 1, config, &quantized, &qreport), "quantizing");

  /* 4. Save as QDQ ONNX (runs in onnxruntime). */
  CHECK(efq_model_save_onnx_qdq(quantized, argv[4], &notes), "writing the QDQ model");
  printf("wrote %s (W%ldA%ld)\n", argv[4], wbits, abits);
  if (notes != NULL && notes[0] != '\0') printf("notes:\n%s\n", notes);

  /* 5. Dice of both models on the dataset (split "test" unless the config says otherwise). */
  progress.step = -1;
  CHECK(efq_evaluate_dice(ctx, model, argv[3], config, &fp_eval), "evaluating the FP32 model");
  CHECK(efq_report_get_mean_foreground_dice(fp_eval, &fp_dice), "reading the FP32 Dice");
  progress.step = -1; /* a new call: report its first step again */
  CHECK(efq_evaluate_dice(ctx, quantized, argv[3], config, &q_eval),
        "evaluating the quantized model");
  CHECK(efq_report_get_mean_foreground_dice(q_eval, &q_dice), "reading the quantized Dice");
  printf("FP32 mean foreground Dice: %.4f\n", fp_dice);
  printf("quantized mean foreground Dice: %.4f\n", q_dice);
  rc = 0;

cleanup:
  efq_string_free(notes);
  efq_report_destroy(q_eval);
  efq_report_destroy(fp_eval);
  efq_report_destroy(qreport);
  efq_config_destroy(config);
  efq_model_destroy(quantized);
  efq_volume_destroy(calib);
  efq_model_destroy(model);
  efq_context_destroy(ctx);
  return rc;
}
