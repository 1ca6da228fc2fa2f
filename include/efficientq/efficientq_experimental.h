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

#ifdef __cplusplus
}
#endif

#endif /* EFFICIENTQ_EXPERIMENTAL_H */
