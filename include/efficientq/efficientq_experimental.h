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

/* ---- One layer's problem (for vendors with their own runtime) ------------------------------ */

/** Geometry of one convolution (ONNX Conv semantics, group 1, 2-D or 3-D). Unused trailing
 *  entries (spatial_rank 2) are ignored; stride and dilation 0 mean 1.
 *  @since 0.1 (experimental) */
typedef struct efq_conv_geometry {
  size_t struct_size;    /**< caller sets sizeof(efq_conv_geometry) */
  int64_t spatial_rank;  /**< 2 or 3 */
  int64_t out_channels;
  int64_t in_channels;
  int64_t kernel[3];
  int64_t stride[3];
  int64_t dilation[3];
  int64_t pad_begin[3];
  int64_t pad_end[3];
} efq_conv_geometry;

/** One layer's reconstruction problem: FP weights, streamed calibration statistics, the solve
 *  and its result. Same threading rule as every handle. @since 0.1 (experimental) */
typedef struct efq_layer_problem efq_layer_problem;

/** Creates a problem for one convolution. `weights` [out, in, k...] (ONNX layout, float32),
 *  `bias` [out] or NULL (zeros); both copied. `config` (may be NULL) is read now: EFQ_PARAM_WBITS,
 *  METHOD, GRID, PER_TENSOR, ITERATIONS, RHO, ETA, REGULARIZER, THREADS, DEVICE (the first/last
 *  layer rule does not apply: WBITS is used as given). @since 0.1 (experimental) */
EFQ_API efq_status efq_layer_problem_create(const efq_conv_geometry* geometry,
                                            const float* weights, const float* bias,
                                            const efq_config* config,
                                            efq_layer_problem** problem_out);
/** @since 0.1 (experimental) */
EFQ_API void efq_layer_problem_destroy(efq_layer_problem* problem);

/** Adds a calibration batch: `input` [batch, in, spatial...] with spatial size `input_spatial`
 *  (spatial_rank values), `target` the layer's FP output [batch, out, out_spatial...] (ONNX Conv
 *  output size), `voxel_weights` one non-negative weight per output position [batch,
 *  out_spatial...] (EfficientQ's attention) or NULL for all ones. Only the Gram statistics are
 *  kept (memory O((in·k)²), not O(data)); batches may be added until the problem is solved.
 *  @since 0.1 (experimental) */
EFQ_API efq_status efq_layer_problem_add_batch(efq_layer_problem* problem, int64_t batch,
                                               const int64_t* input_spatial, const float* input,
                                               const float* target, const float* voxel_weights);

/** Solves (ADMM or the configured baseline). Progress: stage "layer", one step per ADMM
 *  iteration; cancelling leaves the problem unsolved. EFQ_ERR_INVALID_STATE without data.
 *  Solving again after more batches is allowed. @since 0.1 (experimental) */
EFQ_API efq_status efq_layer_problem_solve(efq_context* ctx, efq_layer_problem* problem);

/** Summary of a solved problem. @since 0.1 (experimental) */
typedef struct efq_layer_solution_info {
  size_t struct_size;     /**< caller sets sizeof(efq_layer_solution_info) */
  int64_t num_weights;    /**< out·in·k: length of weights_out and codes_out */
  int64_t out_channels;   /**< length of bias_out */
  int64_t num_scales;     /**< out (per channel) or 1: length of scales_out, zero_points_out */
  int64_t qmin, qmax, qstep; /**< the code set: qmin, qmin+qstep, …, qmax */
  double mse_before;      /**< weighted reconstruction MSE of the plain grid projection */
  double mse_after;       /**< of the solution */
  int64_t iterations;     /**< ADMM iterations run (0 for baselines) */
  int64_t best_iteration; /**< iterate kept (-1: the projection) */
  /** Why ADMM stopped, NUL-terminated: "max_iterations", "converged", "plateau",
   *  "short: <why>"; empty for baselines. @since 0.1 (grown; struct_size tells) */
  char stop_reason[48];
} efq_layer_solution_info;

/** Reads the solution; each array may be NULL (call with all NULL to learn the sizes from
 *  `info_out`). weights_out[i] = (float)(code[i] − zero_point[c]) · scale[c] in float arithmetic,
 *  as ONNX DequantizeLinear computes it; c is the output channel of i (0 per tensor).
 *  EFQ_ERR_INVALID_STATE before a successful solve. @since 0.1 (experimental) */
EFQ_API efq_status efq_layer_problem_get_solution(const efq_layer_problem* problem,
                                                  efq_layer_solution_info* info_out,
                                                  float* weights_out, float* bias_out,
                                                  int32_t* codes_out, float* scales_out,
                                                  int32_t* zero_points_out);

/** The segmentation efq_segment would produce from a given raw network output (before the
 *  activation) over the whole network input of `volume` (efq_volume_network_input's tensor):
 *  `output` [1, K, D, H, W] on that tensor's grid, e.g. computed by another runtime with the same
 *  sliding window. Applies the activation, maps back to the volume's grid (axis order,
 *  resampling) and takes the labels, exactly as efq_segment does; efq_segmentation_dice then
 *  scores it. @since 0.1 (experimental) */
EFQ_API efq_status efq_segmentation_from_network_output(const efq_model* model,
                                                        const efq_volume* volume,
                                                        const efq_config* config,
                                                        const float* output,
                                                        const int64_t shape[5],
                                                        efq_segmentation** segmentation_out);

/** Frees a buffer returned by the functions above (NULL is a no-op). @since 0.1 (experimental) */
EFQ_API void efq_buffer_free(float* buffer);

#ifdef __cplusplus
}
#endif

#endif /* EFFICIENTQ_EXPERIMENTAL_H */
