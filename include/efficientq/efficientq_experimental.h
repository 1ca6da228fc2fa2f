/*
 * efficientq_experimental.h — functions without an ABI promise yet. They may change or go away
 * in any minor release. Same conventions as efficientq.h.
 */
#ifndef EFFICIENTQ_EXPERIMENTAL_H
#define EFFICIENTQ_EXPERIMENTAL_H

#include "efficientq.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Synthetic phantom kinds. @since 0.1 (experimental) */
typedef enum efq_phantom_kind {
  EFQ_PHANTOM_LIVER = 1, /**< LiTS-like abdominal CT (HU), labels 0 bg, 1 liver, 2 tumor */
  EFQ_PHANTOM_BRATS = 2  /**< BraTS-like FLAIR/T1/T1ce/T2 brain, labels 0, 1 NCR, 2 ED, 3 ET */
} efq_phantom_kind;

/** Writes an nnU-Net v2 raw dataset of deterministic phantoms (seeded by `seed`) to `out_dir`:
 *  dataset.json, imagesTr/labelsTr with `num_train` cases, imagesTs/labelsTs with `num_test`.
 *  `dims` (i,j,k) may be NULL for the default size. @since 0.1 (experimental) */
EFQ_API efq_status efq_phantom_write_dataset(efq_phantom_kind kind, int num_train, int num_test,
                                             uint64_t seed, const int64_t* dims,
                                             const char* out_dir);

/** The network input tensor [1, C, D, H, W] (float32, W fastest) the model sees for `volume`:
 *  normalization, resampling to the model spacing and axis order applied as efq_segment does.
 *  Free with efq_buffer_free. @since 0.1 (experimental) */
EFQ_API efq_status efq_volume_network_input(const efq_model* model, const efq_volume* volume,
                                            const efq_config* config, float** tensor_out,
                                            int64_t shape_out[5]);

/** Runs the raw network (no preprocessing, no sliding window, no activation) on one tensor
 *  [N, C, D, H, W]; returns its first output (5-D). Free with efq_buffer_free.
 *  @since 0.1 (experimental) */
EFQ_API efq_status efq_model_forward(const efq_model* model, const efq_config* config,
                                     const float* input, const int64_t shape[5],
                                     float** output_out, int64_t shape_out[5]);

/** Frees a buffer returned by the functions above (NULL is a no-op). @since 0.1 (experimental) */
EFQ_API void efq_buffer_free(float* buffer);

#ifdef __cplusplus
}
#endif

#endif /* EFFICIENTQ_EXPERIMENTAL_H */
