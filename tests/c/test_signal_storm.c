/* Signals must not disturb the library. A host process receives asynchronous signals all the
 * time: a profiler's SIGPROF, a Mono or JVM runtime stopping threads for its garbage collector,
 * a terminal's SIGWINCH. Each one pushes a signal frame onto whichever thread it interrupts, in
 * the middle of our kernels. oneDNN 2.6's AVX-512 sgemm did not survive that (heap corruption,
 * "corrupted size vs. prev_size", within seconds at 100 Hz), which is why the solver's GEMMs now
 * use OpenBLAS (backends/cpu/tiled_sgemm.hpp).
 *
 * The test quantizes the bundled brain model (W4A8, 10 iterations) and segments a real brain MRI
 * with the result (int8 kernels on), once in quiet and once while a second thread sends a no-op
 * SIGUSR1 to the process every millisecond. The library is deterministic, so the two runs must
 * give the same .efq bytes and the same labels; a crash fails the test too. */
#define _POSIX_C_SOURCE 200809L
#include <efficientq/efficientq.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "expect.h"

#ifndef EFQ_MRICRON_DIR_DEFAULT
#error "EFQ_MRICRON_DIR_DEFAULT comes from tests/CMakeLists.txt (cache variable EFQ_MRICRON_DIR)"
#endif

static char brain_mri[4096]; /* mricron-data's ch2better.nii.gz, set by main */
static volatile sig_atomic_t g_delivered = 0;
static volatile int g_storm_on = 0;
static void on_usr1(int sig) {
  (void)sig;
  g_delivered = g_delivered + 1;
}

static void* storm(void* arg) {
  struct timespec ms;
  sigset_t set;
  (void)arg;
  sigemptyset(&set); /* this thread never takes the signal: the working threads do */
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  ms.tv_sec = 0;
  ms.tv_nsec = 1000000;
  while (g_storm_on) {
    kill(getpid(), SIGUSR1);
    nanosleep(&ms, NULL);
  }
  return NULL;
}

typedef struct outcome {
  unsigned char* efq;
  long efq_size;
  uint8_t* labels;
  int64_t voxels;
} outcome;

static void run(const char* src, const char* tmp, const char* tag, outcome* out) {
  efq_context* ctx = NULL;
  efq_model *model = NULL, *quant = NULL;
  efq_volume* vol = NULL;
  efq_config* cfg = NULL;
  efq_segmentation* seg = NULL;
  const uint8_t* labels = NULL;
  int64_t dims[3];
  char model_path[1024], efq_path[1024];
  const char* paths[1];
  paths[0] = brain_mri;
  snprintf(model_path, sizeof model_path, "%s/models/brain.onnx", src);
  snprintf(efq_path, sizeof efq_path, "%s/signal_storm_%s.efq", tmp, tag);
  EXPECT(efq_context_create(&ctx) == EFQ_OK);
  EXPECT(efq_config_create(&cfg) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_ITERATIONS, 10) == EFQ_OK);
  EXPECT(efq_config_set_int(cfg, EFQ_PARAM_INT8, 1) == EFQ_OK);
  EXPECT(efq_model_load_onnx(ctx, model_path, &model) == EFQ_OK);
  EXPECT(efq_volume_load_nifti(ctx, paths, 1, &vol) == EFQ_OK);
  EXPECT(efq_quantize(ctx, model, (const efq_volume* const*)&vol, 1, cfg, &quant, NULL) == EFQ_OK);
  EXPECT(efq_model_save_efq(quant, efq_path, NULL) == EFQ_OK);
  EXPECT(efq_segment(ctx, quant, vol, cfg, &seg) == EFQ_OK);
  EXPECT(efq_segmentation_get_labels(seg, &labels, dims) == EFQ_OK);
  out->voxels = dims[0] * dims[1] * dims[2];
  out->labels = (uint8_t*)malloc((size_t)out->voxels);
  EXPECT(out->labels != NULL);
  memcpy(out->labels, labels, (size_t)out->voxels);
  out->efq = read_file(efq_path, &out->efq_size);
  EXPECT(out->efq != NULL);
  remove(efq_path);
  efq_segmentation_destroy(seg);
  efq_model_destroy(quant);
  efq_model_destroy(model);
  efq_volume_destroy(vol);
  efq_config_destroy(cfg);
  efq_context_destroy(ctx);
}

int main(int argc, char** argv) {
  outcome quiet, stormy;
  pthread_t thread;
  struct sigaction sa;
  int64_t i, differ = 0;
  FILE* probe;
  if (argc < 3) {
    fprintf(stderr, "usage: %s SOURCE_DIR TMP_DIR\n", argv[0]);
    return 2;
  }
  {
    /* mricron-data's folder: EFQ_MRICRON_DIR, else the CMake cache variable of that name. */
    const char* dir = getenv("EFQ_MRICRON_DIR");
    if (!dir || !*dir) dir = EFQ_MRICRON_DIR_DEFAULT;
    snprintf(brain_mri, sizeof brain_mri, "%s/templates/ch2better.nii.gz", dir);
  }
  probe = fopen(brain_mri, "rb");
  if (!probe) {
    fprintf(stderr, "FAILED: the brain MRI of mricron-data (%s) is missing (make test installs it)\n",
            brain_mri);
    return 1;
  }
  fclose(probe);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  EXPECT(sigaction(SIGUSR1, &sa, NULL) == 0);

  run(argv[1], argv[2], "quiet", &quiet);
  g_storm_on = 1;
  EXPECT(pthread_create(&thread, NULL, storm, NULL) == 0);
  run(argv[1], argv[2], "storm", &stormy);
  g_storm_on = 0;
  pthread_join(thread, NULL);

  printf("signals delivered during the second run: %d\n", (int)g_delivered);
  EXPECT(g_delivered > 100); /* the storm really happened */
  EXPECT(quiet.efq_size == stormy.efq_size && memcmp(quiet.efq, stormy.efq, (size_t)quiet.efq_size) == 0);
  EXPECT(quiet.voxels == stormy.voxels);
  for (i = 0; i < quiet.voxels; ++i) differ += quiet.labels[i] != stormy.labels[i];
  printf(".efq %ld bytes identical; %lld of %lld labels differ\n", quiet.efq_size, (long long)differ,
         (long long)quiet.voxels);
  EXPECT(differ == 0);
  free(quiet.efq);
  free(stormy.efq);
  free(quiet.labels);
  free(stormy.labels);
  return failures ? 1 : 0;
}
