/*
 * efficientq.h — the stable C ABI of libefficientq.
 *
 * libefficientq quantizes trained 3D medical-image segmentation networks after training
 * (EfficientQ: layer-wise ADMM reconstruction). This header is the single contract: C99, no
 * C++ types, opaque handles, every fallible call returns an efq_status and writes results through
 * out-pointers (last parameters, suffix _out).
 *
 * Rules:
 *  - efq_status values are pinned forever; new values may be added.
 *  - No exception crosses this boundary and nothing aborts on user input.
 *  - On error, efq_last_error_message() returns a thread-local description (what failed and
 *    where: file, node, parameter).
 *  - Every _destroy accepts NULL.
 *  - Ownership: a handle a call creates (`*_out` of a _create, _load, efq_segment, efq_quantize,
 *    efq_evaluate_*) belongs to the caller, who releases it with its _destroy; on failure such a
 *    call sets the out-pointer to NULL and creates nothing. A `char*` the library hands out
 *    through an out-pointer is released with efq_string_free. A `const char*` it returns is
 *    static storage or borrowed from a handle, as each function says: never free it. Pointers
 *    the caller passes in (paths, arrays, strings) are only read during the call; the library
 *    keeps no reference to them after it returns.
 *  - `ctx` may be NULL in every call that takes one: the call then logs nothing, reports no
 *    progress and uses the default memory limit.
 *  - Errors every fallible call may return besides those it lists: EFQ_ERR_INVALID_ARGUMENT for
 *    a NULL required pointer (the message names the parameter), EFQ_ERR_OUT_OF_MEMORY, and
 *    EFQ_ERR_INTERNAL (a bug). Calls that allocate what file headers or requests imply check it
 *    against EFQ_PARAM_MEMORY_LIMIT_MB first.
 *  - Units: lengths in millimetres, sizes in voxels (i, j, k as stored in the NIfTI file, or D,
 *    H, W in the network's order where the name says so), memory in bytes unless a name says
 *    MB (MiB), times in seconds. Strings are UTF-8; paths are passed to the C library's fopen
 *    unchanged.
 *  - Related documents: README.md (the command line, which is a host of this API), docs/
 *    model-metadata.md (the conventions a model carries), docs/efq-format.md (the packed model
 *    file), docs/results.md (Dice of every method, grid and width on the bundled models).
 *  - Threading: different handles may be used from different threads at once; one handle must
 *    not be used from two threads at once. A model or volume may be shared read-only by calls
 *    running in parallel (efq_segment does not modify them).
 *  - Structs passed across this boundary begin with `size_t struct_size`, which the caller sets to
 *    sizeof(struct) as its header declares it; structs only grow at the end. The rule on both
 *    sides (as in zstd, Vulkan, Win32):
 *      - the library reads or writes only the fields that fit in the caller's struct_size, never
 *        a byte past it: a host compiled against an older header gets the older fields filled,
 *        one compiled against a newer header gets the fields this library knows (the rest of
 *        its struct is left untouched: zero it before the call);
 *      - the library rejects (EFQ_ERR_INVALID_ARGUMENT) only a struct_size below the struct's
 *        first released size, never one below the size of its own, possibly newer, struct;
 *      - in a struct the library fills for a callback (efq_progress), struct_size is the
 *        library's size: a host reads only the fields that fit in it and treats the others as
 *        absent, whatever its own header's sizeof says.
 */
#ifndef EFFICIENTQ_H
#define EFFICIENTQ_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#if defined(EFQ_BUILDING_LIBRARY)
#define EFQ_API __declspec(dllexport)
#else
#define EFQ_API __declspec(dllimport)
#endif
#else
#define EFQ_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version ---------------------------------------------------------------------------- */

#define EFQ_VERSION_MAJOR 0
#define EFQ_VERSION_MINOR 1
#define EFQ_VERSION_PATCH 0
/** MAJOR*10000 + MINOR*100 + PATCH of this header. @since 0.1 */
#define EFQ_VERSION_NUMBER (EFQ_VERSION_MAJOR * 10000 + EFQ_VERSION_MINOR * 100 + EFQ_VERSION_PATCH)

/** Version of the loaded library (compare with EFQ_VERSION_NUMBER). Thread-safe. @since 0.1 */
EFQ_API unsigned efq_version_number(void);
/** "MAJOR.MINOR.PATCH" of the loaded library; static storage. Thread-safe. @since 0.1 */
EFQ_API const char* efq_version_string(void);
/** One line of build information (backends compiled in, dependency versions); static storage.
 *  Thread-safe. @since 0.1 */
EFQ_API const char* efq_build_info(void);

/* ---- Status ------------------------------------------------------------------------------ */

/** Result of every fallible call. Values are pinned. @since 0.1 */
typedef enum efq_status {
  EFQ_OK = 0,
  EFQ_ERR_INVALID_ARGUMENT = 1, /**< a NULL handle, an out-of-range parameter, a wrong shape */
  EFQ_ERR_IO = 2,               /**< a file cannot be opened, read or written */
  EFQ_ERR_FORMAT = 3,           /**< a file is corrupt or not of the expected format */
  EFQ_ERR_UNSUPPORTED = 4,      /**< valid input the library does not handle (operator, type) */
  EFQ_ERR_OUT_OF_MEMORY = 5,
  EFQ_ERR_BACKEND = 6,          /**< the compute backend failed */
  EFQ_ERR_NUMERICAL = 7,        /**< NaN/Inf in data or a numerical breakdown */
  EFQ_ERR_CANCELLED = 8,        /**< a progress callback asked to stop */
  EFQ_ERR_INVALID_STATE = 9,    /**< the call is not valid for the object's current state */
  EFQ_ERR_INTERNAL = 99         /**< a bug: please report it with the message */
} efq_status;

/** A static English name for any value (unknown values give "unknown status"); never NULL,
 *  never to be freed. Thread-safe. @since 0.1 */
EFQ_API const char* efq_status_string(efq_status status);
/** Detail of the last failed call on this thread: what failed and why, naming the file, node,
 *  layer or parameter. "" when the last call on this thread succeeded (every fallible call
 *  clears it on entry). Never NULL; thread-local storage owned by the library, valid until the
 *  next call into the library on this thread: copy it to keep it. Thread-safe. @since 0.1 */
EFQ_API const char* efq_last_error_message(void);
/** Frees a string the library returned through a `char**` out-pointer (efq_model_describe_json,
 *  efq_report_to_json, efq_model_save_onnx_qdq's notes). NULL is a no-op. Thread-safe. Never
 *  pass other strings (static ones, efq_last_error_message's, the host's own). @since 0.1 */
EFQ_API void efq_string_free(char* s);

/* ---- Devices ------------------------------------------------------------------------------ */

/** One compute device this library can run on. @since 0.1 */
typedef struct efq_device_info {
  size_t struct_size;    /**< caller sets sizeof(efq_device_info) */
  char id[64];           /**< the value EFQ_PARAM_DEVICE, --device and EFQ_DEVICE accept:
                              "cpu", "opencl:0", ...; NUL-terminated */
  char backend[16];      /**< "cpu" or "opencl"; NUL-terminated */
  char name[128];        /**< the device's name (CPU model, OpenCL CL_DEVICE_NAME); may be cut
                              short, always NUL-terminated */
  char vendor[128];      /**< the vendor (CPU vendor id, CL_DEVICE_VENDOR); NUL-terminated */
  uint64_t memory_bytes; /**< physical memory (cpu) or global memory (OpenCL); 0 if unknown */
} efq_device_info;

/** Number of devices found: the CPU (always index 0), then every OpenCL device of every
 *  platform in discovery order (none when the library was built without the OpenCL backend or
 *  no OpenCL platform is installed). Discovery runs once per process. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_device_count(int64_t* count_out);
/** Describes device `index` (0 <= index < efq_device_count): fills the fields of `info_out` that
 *  fit in its struct_size (see the struct_size rule). EFQ_ERR_INVALID_ARGUMENT for an index out
 *  of range or a struct_size below the first version's. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_device_get_info(int64_t index, efq_device_info* info_out);

/* ---- Context ----------------------------------------------------------------------------- */

/** Shared state of a host: logging and progress callbacks and the context parameters (the memory
 *  limit). Calls take it as their first argument; it may be NULL in each. A context may be passed
 *  to calls running in parallel on several threads (its callbacks are then called from those
 *  threads); setting its callbacks or parameters while a call uses it is not allowed.
 *  @since 0.1 */
typedef struct efq_context efq_context;

/** Severity of a log message; a callback set with max_level L receives levels <= L. Values are
 *  pinned. @since 0.1 */
typedef enum efq_log_level {
  EFQ_LOG_ERROR = 0,
  EFQ_LOG_WARNING = 1,
  EFQ_LOG_INFO = 2,
  EFQ_LOG_DEBUG = 3
} efq_log_level;

/** Receives one preformatted UTF-8 line (no newline), valid only during the callback. Called
 *  synchronously on the thread running the call that logs; it must return normally (no C++
 *  exception or longjmp through the library) and must not call into the library with the same
 *  context. @since 0.1 */
typedef void (*efq_log_fn)(void* user, efq_log_level level, const char* message);

/** Progress of a long call. @since 0.1 */
typedef struct efq_progress {
  size_t struct_size;  /**< sizeof(efq_progress) as the library knows it */
  const char* stage;   /**< "segment", "evaluate", ... (static storage) */
  int64_t step;        /**< steps done in this stage (windows, cases, layers) */
  int64_t total;       /**< steps in this stage */
  const char* item;    /**< current case or layer name, may be "" */
} efq_progress;

/** Called synchronously on the thread running a long call, at each step of `progress` (valid
 *  only during the callback). Return non-zero to cancel the running call: it returns
 *  EFQ_ERR_CANCELLED at its next check, creates no handle and writes no output file. The same
 *  rules as efq_log_fn apply (return normally; no call into the library with the same context).
 *  @since 0.1 */
typedef int (*efq_progress_fn)(void* user, const efq_progress* progress);

/** Creates a context without callbacks, with the default memory limit. The caller owns it and
 *  releases it with efq_context_destroy. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_context_create(efq_context** ctx_out);
/** Releases a context (NULL: no-op). No call may be using it; its callbacks are not called
 *  afterwards. Handles created with it (models, volumes, ...) stay valid: they do not refer to
 *  their context. @since 0.1 */
EFQ_API void efq_context_destroy(efq_context* ctx);
/** Sets (or clears with fn = NULL) the log callback; messages of a level above `max_level` are
 *  dropped. `user` is passed back to `fn` unchanged. Not thread-safe for one context (see
 *  efq_context). @since 0.1 */
EFQ_API efq_status efq_context_set_log_callback(efq_context* ctx, efq_log_fn fn, void* user,
                                                efq_log_level max_level);
/** Sets (or clears with fn = NULL) the progress callback; `user` is passed back to `fn`
 *  unchanged. Not thread-safe for one context (see efq_context). @since 0.1 */
EFQ_API efq_status efq_context_set_progress_callback(efq_context* ctx, efq_progress_fn fn,
                                                     void* user);

/* ---- Configuration ----------------------------------------------------------------------- */

/** Enum-keyed parameters. Unset parameters take the model metadata's value
 *  (docs/model-metadata.md), else the default. Each parameter's type, bounds, default, scope
 *  (which calls read it) and one-line help are also available at run time
 *  (efq_param_get_info, efq_param_list); the comments below are the full contract.
 *  Values are pinned; new parameters are appended. @since 0.1 */
typedef enum efq_param {
  EFQ_PARAM_THREADS = 1,        /**< int, 0 = library default */
  EFQ_PARAM_DEVICE = 2,         /**< string: "cpu", "opencl", "opencl:N"; empty = EFQ_DEVICE or "cpu" */
  EFQ_PARAM_ROI_D = 10,         /**< int, sliding-window size along the network's D, 0 = unset */
  EFQ_PARAM_ROI_H = 11,         /**< int */
  EFQ_PARAM_ROI_W = 12,         /**< int */
  EFQ_PARAM_OVERLAP = 13,       /**< real in [0, 1) */
  EFQ_PARAM_BLEND = 14,         /**< string: "gaussian" | "constant" */
  EFQ_PARAM_AXES = 15,          /**< string: "ijk" | "kji" */
  EFQ_PARAM_NORMALIZATION = 16, /**< string: one spec, or specs per modality joined by ';':
                                     none | zscore | zscore-nonzero | ct:LO,HI | pct:P1,P2 */
  EFQ_PARAM_SPACING_X = 17,     /**< real mm along voxel axis i, 0 = unset (all three together) */
  EFQ_PARAM_SPACING_Y = 18,     /**< real */
  EFQ_PARAM_SPACING_Z = 19,     /**< real */
  EFQ_PARAM_ACTIVATION = 20,    /**< string: "none" | "softmax" | "sigmoid" */
  EFQ_PARAM_THRESHOLD = 21,     /**< real, sigmoid threshold */
  EFQ_PARAM_SPLIT = 30,         /**< string: dataset split for evaluation, "test" | "train" */
  EFQ_PARAM_WANT_PROBABILITIES = 31, /**< int 0/1: keep probability maps in a segmentation */
  /* Quantization (efq_quantize). */
  EFQ_PARAM_WBITS = 40,         /**< int 2..8, weight bits (default 4) */
  EFQ_PARAM_ABITS = 41,         /**< int 0 or 2..8, activation bits; 0 = weights only (default 8) */
  EFQ_PARAM_METHOD = 42,        /**< string: "efficientq" (default) | "rtn" | "mse" */
  EFQ_PARAM_GRID = 43,          /**< string: "symmetric" (default) | "asymmetric" | "faithful";
                                     "faithful" reproduces the reference implementation: L levels
                                     on [−α, α], per-tensor scales, its attention pyramid,
                                     the best-iterate rule and a fixed iteration count
                                     (README.md, "Quantizing"; docs/results.md compares it) */
  EFQ_PARAM_PER_TENSOR = 44,    /**< int 0/1: one weight scale per layer instead of per channel */
  EFQ_PARAM_LAYER_OVERRIDES = 45, /**< string: "NAME=w8,a8;NAME=skip;NAME=a-none" */
  EFQ_PARAM_ATTENTION = 46,     /**< int 0/1 (default 1): class-balancing attention */
  EFQ_PARAM_REGULARIZER = 47,   /**< int 0/1 (default 1): the pull towards the FP weights */
  EFQ_PARAM_ITERATIONS = 48,    /**< int 1..10000, ADMM iterations (default 200) */
  EFQ_PARAM_RHO = 49,           /**< real > 0, initial ρ multiplier (default 10) */
  EFQ_PARAM_ETA = 50,           /**< real ≥ 0, η multiplier (default 1) */
  EFQ_PARAM_CALIB_CROP_D = 51,  /**< int voxels, calibration crop along the network's D; 0 = per
                                     axis min(size, 192) rounded down to a multiple of 64 */
  EFQ_PARAM_CALIB_CROP_H = 52,  /**< int */
  EFQ_PARAM_CALIB_CROP_W = 53,  /**< int */
  EFQ_PARAM_BODY_MASK = 54,     /**< int 0/1: attention weight 1 where the first modality is 0 */
  EFQ_PARAM_FIRST_LAST_8BIT = 55, /**< int 0/1 (default 1): first and last layer W8, FP input */
  EFQ_PARAM_INT8 = 56,          /**< int 0/1 (default 0): segment/evaluate a quantized model with
                                     real int8 convolutions where the layer allows it (weights
                                     with zero point 0 in ±127, activations from a quantizer) */
  EFQ_PARAM_ACT_SCALE_SEARCH = 57 /**< int 0..2 (default 1): how the efficientq method picks each
                                     activation scale (zero-point-0 grids except the faithful
                                     one) among the MSE-optimal scale, the min-max scale and steps
                                     between: 0 = the MSE-optimal scale, 1 = by the layer's output
                                     error, 2 = by the network output's error (slower) */,
  EFQ_PARAM_EARLY_STOP = 58,    /**< int 0/1 (default 0): end a layer's ADMM once its iterate stops
                                     changing (codes unchanged for 10 iterations and
                                     ||W − Z|| ≤ 1e-5·||Z||), or its best loss fell by less than
                                     0.1 % over a whole 50-iteration ρ phase. EFQ_PARAM_ITERATIONS stays the
                                     maximum. Off by default (it cost up to 1.5 Dice points in one
                                     ablation). Independently, 8-bit weights always run at most 10
                                     iterations (the report's stop_reason says so). The
                                     faithful grid always runs the fixed count. */
  EFQ_PARAM_WEIGHT_GRID = 59,   /**< string: the symmetric grid's weight codes below 8 bits:
                                     "odd" (default; the 2^b odd integers in ±(2^b − 1), no
                                     zero level, e.g. 2 bits {−3, −1, 1, 3}·s) | "full" (the 2^b
                                     integers −2^(b−1) … 2^(b−1) − 1) | "narrow" (the 2^b − 1
                                     integers in ±(2^(b−1) − 1); 2 bits = ternary {−1, 0, 1}).
                                     8-bit weights always use −127 … 127. Setting it with
                                     another grid is EFQ_ERR_INVALID_ARGUMENT. @since 0.1 */
  EFQ_PARAM_SENSITIVITY = 60    /**< int 0/1 (default 0): before quantizing, measure each
                                     quantizable layer's sensitivity at 2, 3, 4 and 8 bits: the
                                     layer alone projected onto the weight grid (ALS scales, no
                                     ADMM), the rest FP32, the network run on the calibration
                                     crop; the report's "sensitivity" gives per layer and width
                                     the output probabilities' MSE and the crop fidelity
                                     against the FP32 network. Cost: layers × 4 forward passes.
                                     @since 0.1 */,
  EFQ_PARAM_MEMORY_LIMIT_MB = 61 /**< int MiB, 0 = default (the machine's physical memory minus
                                     1/8, at least 512 MiB): sizes read from file headers (ONNX
                                     initializers and shapes, NIfTI dimensions, .efq layers) and
                                     the buffers a call implies (sliding-window accumulators,
                                     activations, Gram statistics) are checked against it before
                                     anything is allocated; over it a call fails with
                                     EFQ_ERR_OUT_OF_MEMORY naming what needed how much. A limit,
                                     not a measure: allocator and library overheads come on top.
                                     Also a context parameter (efq_context_set_int), which the
                                     loads use; a config's value wins over the context's.
                                     @since 0.1 */,
  EFQ_PARAM_BUDGET_FIDELITY = 62, /**< real in [0, 1] (default 0 = off): choose each layer's
                                     weight width among EFQ_PARAM_WBITS_CHOICES for the fewest
                                     packed weight bytes such that the quantized network's
                                     fidelity on the calibration crop (Dice of its labels against
                                     the FP32 network's, mean over foreground classes) is at least
                                     this value. The widths are searched by measurement: layers
                                     ranked by their sensitivity per packed byte, at most 5
                                     quantizations at min(EFQ_PARAM_ITERATIONS, 50) iterations,
                                     then the final one. The first and last layer
                                     (EFQ_PARAM_FIRST_LAST_8BIT) and layers whose width
                                     EFQ_PARAM_LAYER_OVERRIDES sets keep their width;
                                     EFQ_PARAM_WBITS then only sets the report's comparison. The
                                     report's "budget" gives the widths, the packed bytes, every
                                     measurement and the final model's crop fidelity ("met" says
                                     whether it reached the value). @since 0.1 */
  EFQ_PARAM_WBITS_CHOICES = 63, /**< string (default "2,3,4,8"): the weight widths
                                     EFQ_PARAM_BUDGET_FIDELITY chooses from, comma-separated,
                                     each in 2..8 and given once, e.g. "2,4,8". Setting it
                                     without EFQ_PARAM_BUDGET_FIDELITY > 0 makes efq_quantize fail
                                     with EFQ_ERR_INVALID_ARGUMENT. @since 0.1 */
  EFQ_PARAM_CODE_DESCENT = 64   /**< int 0..1000 (default 20; 0 = off): after a layer's ADMM, at
                                     most this many sweeps of greedy coordinate descent on its
                                     weight codes: each code in turn moves to the grid level that
                                     lowers the layer's reconstruction loss most (exact, from the
                                     calibration statistics, scales fixed), then the bias to its
                                     optimum; sweeps end early when none moves a code. The
                                     report's per-layer "code_descent" gives sweeps, moves and the
                                     loss before. Ignored by the faithful grid. @since 0.1 */
} efq_param;

/** Sets a context parameter: one that applies to every call made with `ctx`, the loads
 *  (efq_model_load_onnx, efq_model_load_efq, efq_volume_load_nifti) included. Today the only
 *  context parameter is EFQ_PARAM_MEMORY_LIMIT_MB; others give EFQ_ERR_INVALID_ARGUMENT, as does
 *  a value out of the parameter's bounds. A config passed to a call overrides the context's
 *  value for that call. Not thread-safe for one context. @since 0.1 */
EFQ_API efq_status efq_context_set_int(efq_context* ctx, efq_param param, int64_t value);

/** A set of parameter values passed to a call (NULL where a call takes one: every parameter
 *  unset). Calls read it only while they run and keep no reference. Setting values is not
 *  thread-safe for one config; once set, one config may be read by several calls at once.
 *  @since 0.1 */
typedef struct efq_config efq_config;

/** Creates a config with every parameter unset. The caller owns it and releases it with
 *  efq_config_destroy. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_config_create(efq_config** config_out);
/** Releases a config (NULL: no-op). No call may be using it. @since 0.1 */
EFQ_API void efq_config_destroy(efq_config* config);
/** Sets an int parameter (replacing an earlier value). Errors: EFQ_ERR_INVALID_ARGUMENT when
 *  `param` is unknown or not an int, or `value` is outside its bounds (efq_param_bounds; the
 *  message names the parameter and the bounds); the config is then unchanged. @since 0.1 */
EFQ_API efq_status efq_config_set_int(efq_config* config, efq_param param, int64_t value);
/** Sets a real parameter (replacing an earlier value). Errors: EFQ_ERR_INVALID_ARGUMENT when
 *  `param` is unknown or not a real, or `value` is NaN or outside its bounds; the config is then
 *  unchanged. @since 0.1 */
EFQ_API efq_status efq_config_set_real(efq_config* config, efq_param param, double value);
/** Sets a string parameter. `value` is copied and validated now (a bad normalization spec,
 *  layer override, method or grid name is refused here, not at the call that reads it). Errors:
 *  EFQ_ERR_INVALID_ARGUMENT when `param` is unknown or not a string, or `value` is NULL or
 *  invalid (the message says what is accepted); the config is then unchanged. @since 0.1 */
EFQ_API efq_status efq_config_set_string(efq_config* config, efq_param param, const char* value);
/** Inclusive bounds and default of a numeric parameter, in its unit (each efq_param's comment);
 *  any out-pointer may be NULL. Errors: EFQ_ERR_INVALID_ARGUMENT for a string or unknown
 *  parameter. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_param_bounds(efq_param param, double* min_out, double* max_out,
                                    double* default_out);

/** The type of a parameter's value: which efq_config_set_* sets it. Values are pinned.
 *  @since 0.1 */
typedef enum efq_param_type {
  EFQ_TYPE_INT = 0,   /**< efq_config_set_int */
  EFQ_TYPE_REAL = 1,  /**< efq_config_set_real */
  EFQ_TYPE_STRING = 2 /**< efq_config_set_string */
} efq_param_type;

/** Which calls read a parameter. Values are pinned. @since 0.1 */
typedef enum efq_param_scope {
  EFQ_SCOPE_INFERENCE = 0,    /**< every call that runs a model: efq_segment,
                                         efq_evaluate_dice, efq_evaluate_fidelity and the forward
                                         passes of efq_quantize */
  EFQ_SCOPE_SEGMENTATION = 1, /**< efq_segment only */
  EFQ_SCOPE_EVALUATION = 2,   /**< efq_evaluate_dice and efq_evaluate_fidelity */
  EFQ_SCOPE_QUANTIZATION = 3, /**< efq_quantize */
  EFQ_SCOPE_CONTEXT = 4       /**< also a context parameter (efq_context_set_int): every
                                         call made with the context, loads included */
} efq_param_scope;

/** What the library knows about one parameter, for hosts that build their options (command
 *  lines, dialogs, configuration files) from the library rather than a copy of this header.
 *  The strings are static storage, valid for the life of the process; never free them.
 *  @since 0.1 */
typedef struct efq_param_info {
  size_t struct_size;     /**< caller sets sizeof(efq_param_info) */
  efq_param param;        /**< the parameter described */
  efq_param_type type;
  efq_param_scope scope;
  const char* name;       /**< short English name, as error messages use it ("weight bits",
                               "layer override"): lower case, words separated by spaces */
  const char* help;       /**< one sentence of help: meaning, accepted values, units */
  double min;             /**< numeric parameters: inclusive bounds (as efq_param_bounds);
                               strings: 0 */
  double max;
  double default_value;   /**< numeric parameters: the value an unset parameter has (model
                               metadata may set inference parameters instead); strings: 0 */
  const char* default_string; /**< string parameters: the value an unset parameter has ("" =
                                   none, or the model metadata's); numeric parameters: "" */
} efq_param_info;

/** Describes `param`: fills the fields of `info_out` that fit in its struct_size (see the
 *  struct_size rule). Errors: EFQ_ERR_INVALID_ARGUMENT for a value that is not a parameter of
 *  this library (the message names it), a NULL `info_out` or a struct_size below the first
 *  version's. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_param_get_info(efq_param param, efq_param_info* info_out);

/** Every parameter this library knows, in increasing value: writes min(capacity, n) values to
 *  `params_out` (may be NULL when capacity is 0) and n to `count_out`. Call with capacity 0 to
 *  learn n. A library newer than the host's header may list values the header does not name;
 *  efq_param_get_info describes them. Errors: EFQ_ERR_INVALID_ARGUMENT for a NULL `count_out`,
 *  or a NULL `params_out` with capacity > 0. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_param_list(efq_param* params_out, size_t capacity, size_t* count_out);

/* ---- Model -------------------------------------------------------------------------------- */

/** An imported network (BatchNorm folded, operators checked). Immutable once loaded: calls
 *  that take a `const efq_model*` never modify it and may share it across threads.
 *  @since 0.1 */
typedef struct efq_model efq_model;

/** Summary of a model. @since 0.1 */
typedef struct efq_model_info {
  size_t struct_size;          /**< caller sets sizeof(efq_model_info) */
  int64_t input_channels;      /**< -1 when not declared */
  int64_t num_nodes;
  int64_t num_quantizable;     /**< Conv/ConvTranspose layers with constant weights */
  int64_t num_parameters;      /**< float parameters after BatchNorm folding */
  int64_t opset;
} efq_model_info;

/** Loads an ONNX file: FP32, fake-quantized (efq_model_save_onnx) or QDQ
 *  (efq_model_save_onnx_qdq, or another tool's). Its metadata's conventions (docs/
 *  model-metadata.md) become the model's defaults. The caller owns the model and releases it
 *  with efq_model_destroy. Errors: EFQ_ERR_IO (cannot open or read), EFQ_ERR_FORMAT (not a
 *  valid ONNX model; a NaN or Inf constant, naming the initializer and node),
 *  EFQ_ERR_UNSUPPORTED (an operator, attribute or type this library does not run; the message
 *  names the node, operator and attribute), EFQ_ERR_OUT_OF_MEMORY (over the memory limit).
 *  Logs one EFQ_LOG_INFO line. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_model_load_onnx(efq_context* ctx, const char* path, efq_model** model_out);
/** Releases a model (NULL: no-op). No call may be using it; models quantized from it stay
 *  valid. @since 0.1 */
EFQ_API void efq_model_destroy(efq_model* model);
/** Fills the fields of `info_out` that fit in its struct_size (see the struct_size rule).
 *  Errors: EFQ_ERR_INVALID_ARGUMENT for a struct_size below the first version's. Thread-safe.
 *  @since 0.1 */
EFQ_API efq_status efq_model_get_info(const efq_model* model, efq_model_info* info_out);
/** The model as JSON (inputs, outputs, layers with shapes for a given input, quantizable flag,
 *  metadata). `roi_dhw` (3 values, network D, H, W) may be NULL: the model's ROI or declared
 *  shape. `*json_out` is the caller's: free it with efq_string_free. Thread-safe.
 *  @since 0.1 */
EFQ_API efq_status efq_model_describe_json(const efq_model* model, const int64_t* roi_dhw,
                                           char** json_out);

/* ---- Volume -------------------------------------------------------------------------------- */

/** One case: one NIfTI image per modality, on one grid, with its header and affine. Immutable
 *  once loaded; may be shared read-only by calls on several threads. @since 0.1 */
typedef struct efq_volume efq_volume;

/** Reads `count` NIfTI files (.nii / .nii.gz, any datatype, scl_slope applied) as the modalities
 *  of one case, in channel order. The caller owns the volume and releases it with
 *  efq_volume_destroy. Errors: EFQ_ERR_INVALID_ARGUMENT (count not in 1..64, a NULL path,
 *  modalities on different grids), EFQ_ERR_IO (cannot open or read), EFQ_ERR_FORMAT (not NIfTI, truncated,
 *  absurd dimensions), EFQ_ERR_OUT_OF_MEMORY (over the memory limit). Logs one EFQ_LOG_INFO
 *  line per file. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_volume_load_nifti(efq_context* ctx, const char* const* paths, size_t count,
                                         efq_volume** volume_out);
/** Releases a volume (NULL: no-op). No call may be using it. @since 0.1 */
EFQ_API void efq_volume_destroy(efq_volume* volume);
/** Voxel dimensions (i, j, k, as stored) and modality count; either out-pointer may be NULL.
 *  Thread-safe. @since 0.1 */
EFQ_API efq_status efq_volume_get_dims(const efq_volume* volume, int64_t dims_out[3],
                                       int64_t* channels_out);

/* ---- Segmentation -------------------------------------------------------------------------- */

/** The result of segmenting a volume: a label map on the volume's grid (and, when asked for,
 *  the probability maps). Independent of the model and volume once created. @since 0.1 */
typedef struct efq_segmentation efq_segmentation;

/** Segments `volume` with `model`: preprocessing (normalization, resampling to the model's
 *  spacing), sliding-window inference and the output activation with the conventions of the
 *  model metadata overridden by `config` (may be NULL; scope EFQ_SCOPE_INFERENCE and
 *  EFQ_SCOPE_SEGMENTATION parameters), labels back on the volume's grid. The caller owns
 *  `*segmentation_out` (efq_segmentation_destroy). Progress: stage "segment", one step per
 *  window. Errors: EFQ_ERR_INVALID_ARGUMENT (the volume's modality count differs from the
 *  model's input channels), EFQ_ERR_NUMERICAL (the network's output holds NaN or
 *  Inf; the message names the first node that produced it), EFQ_ERR_BACKEND (the device
 *  failed), EFQ_ERR_CANCELLED, EFQ_ERR_OUT_OF_MEMORY. Thread-safe for distinct outputs: model
 *  and volume are only read. @since 0.1 */
EFQ_API efq_status efq_segment(efq_context* ctx, const efq_model* model, const efq_volume* volume,
                               const efq_config* config, efq_segmentation** segmentation_out);
/** Releases a segmentation (NULL: no-op); pointers from efq_segmentation_get_labels become
 *  invalid. @since 0.1 */
EFQ_API void efq_segmentation_destroy(efq_segmentation* segmentation);
/** Borrowed pointer to the labels (one uint8 per voxel, i fastest: index = i + nx*(j + ny*k)),
 *  valid while the segmentation lives; never free it. `dims_out` receives nx, ny, nz.
 *  Thread-safe. @since 0.1 */
EFQ_API efq_status efq_segmentation_get_labels(const efq_segmentation* segmentation,
                                               const uint8_t** labels_out, int64_t dims_out[3]);
/** Writes the label map (uint8) and, when `probabilities_path` is not NULL and the config asked
 *  for them, the probability map (float32, 4-D, class along the 4th axis), both keeping the
 *  input's header and affine; `labels_path` may be NULL too, not both. Files are written
 *  atomically (a temporary file in the same folder, then renamed): on failure nothing is left
 *  behind. Errors: EFQ_ERR_INVALID_ARGUMENT (both paths NULL), EFQ_ERR_IO (the folder is
 *  missing or not writable), EFQ_ERR_INVALID_STATE (a probabilities path for a segmentation
 *  made without EFQ_PARAM_WANT_PROBABILITIES). Thread-safe for distinct paths. @since 0.1 */
EFQ_API efq_status efq_segmentation_save_nifti(const efq_segmentation* segmentation,
                                               const char* labels_path,
                                               const char* probabilities_path);
/** Per-class (softmax: label k) or per-region (sigmoid) Dice against a reference label volume:
 *  both empty = 1, exactly one empty = 0. Writes min(capacity, n) values to `dice_out` (may be
 *  NULL when capacity is 0) and n, the number of classes or regions, to `count_out`. Errors:
 *  EFQ_ERR_INVALID_ARGUMENT when `reference` is not on the segmentation's grid. Thread-safe.
 *  @since 0.1 */
EFQ_API efq_status efq_segmentation_dice(const efq_segmentation* segmentation,
                                         const efq_volume* reference, double* dice_out,
                                         size_t capacity, size_t* count_out);

/* ---- Reports ------------------------------------------------------------------------------ */

/** A machine-readable result (JSON text) of a quantization or an evaluation. Immutable;
 *  readable from several threads at once. @since 0.1 */
typedef struct efq_report efq_report;

/* ---- Quantization ------------------------------------------------------------------------- */

/** Quantizes `model` with EfficientQ (or a baseline, EFQ_PARAM_METHOD) from the calibration
 *  volumes (one case each, same modalities as the model; preprocessing from the model metadata
 *  and `config`). Returns a NEW model (the input is never modified) whose weights are
 *  fake-quantized and whose quantized layers' inputs pass through activation quantizers, and a
 *  report (JSON: per-layer shape, bits, grid, scales, reconstruction error before/after,
 *  iterations, time; configuration; version; input checksums). Progress: the context's
 *  callback with stage "quantize", step = layer, item = layer name; non-zero cancels
 *  (EFQ_ERR_CANCELLED, nothing returned). `report_out` may be NULL. The caller owns the new
 *  model (efq_model_destroy) and report (efq_report_destroy). `config` (may be NULL): scope
 *  EFQ_SCOPE_QUANTIZATION and EFQ_SCOPE_INFERENCE parameters. Errors: EFQ_ERR_INVALID_ARGUMENT
 *  (no calibration volume, a modality count that differs from the model's, a layer override
 *  naming no layer, a parameter combination the method does not take), EFQ_ERR_NUMERICAL (NaN
 *  or Inf in the data or a solve), EFQ_ERR_BACKEND, EFQ_ERR_CANCELLED, EFQ_ERR_OUT_OF_MEMORY.
 *  Runs for seconds to minutes (docs/quantization-time.md). Thread-safe for distinct outputs:
 *  model and volumes are only read. @since 0.1 */
EFQ_API efq_status efq_quantize(efq_context* ctx, const efq_model* model,
                                const efq_volume* const* calibration, size_t count,
                                const efq_config* config, efq_model** quantized_out,
                                efq_report** report_out);

/** Writes the model as ONNX (FP32 operators; quantized weights stored as their dequantized
 *  values, activation quantizers as Div/Round/Clip/Mul). Loadable by efq_model_load_onnx and any
 *  ONNX runtime. Written atomically (nothing left behind on failure). Errors: EFQ_ERR_IO.
 *  Thread-safe for distinct paths. @since 0.1 */
EFQ_API efq_status efq_model_save_onnx(const efq_model* model, const char* path);

/** Writes a quantized model as QDQ ONNX (opset of the model, at least 13): weights as int8/uint8
 *  codes with a (per-channel) DequantizeLinear, each quantized activation as [Clip →]
 *  QuantizeLinear → DequantizeLinear (the Clip keeps codes below 8 bits exact), bias in float.
 *  Runs in onnxruntime and agrees with efq_segment on the same model. Layers whose codes do not
 *  fit 8 bits (faithful 8-bit grid) keep float weights; `notes_out` (may be NULL; free with
 *  efq_string_free) lists them, one per line ("" when none). Written atomically (nothing left
 *  behind on failure). Errors: EFQ_ERR_IO; EFQ_ERR_INVALID_STATE for a model that was never
 *  quantized. Thread-safe for distinct paths. @since 0.1 */
EFQ_API efq_status efq_model_save_onnx_qdq(const efq_model* model, const char* path,
                                           char** notes_out);

/** Sizes of a written `.efq` file, in bytes (efq_model_save_efq). @since 0.1 */
typedef struct efq_efq_size {
  size_t struct_size;            /**< caller sets sizeof(efq_efq_size) */
  int64_t packed_code_bytes;     /**< the weight codes, bit-packed at their real width */
  int64_t fp32_weight_bytes;     /**< the same weights as FP32 */
  int64_t file_bytes;            /**< the whole file */
} efq_efq_size;
/** Writes the packed `.efq` file (docs/efq-format.md): graph, weight codes bit-packed at their
 *  real width, scales, zero points, biases, activation quantizers, metadata, CRC-32. Written
 *  atomically (nothing left behind on failure). `size_out` (may be NULL) receives the sizes
 *  (the struct_size rule). Errors: EFQ_ERR_IO; EFQ_ERR_INVALID_STATE for a model that was
 *  never quantized. Thread-safe for distinct paths. @since 0.1 */
EFQ_API efq_status efq_model_save_efq(const efq_model* model, const char* path,
                                      efq_efq_size* size_out);

/** Loads a `.efq` file; the model runs bit for bit as the one that was saved and can be exported
 *  again. The caller owns the model (efq_model_destroy). Errors: EFQ_ERR_IO (cannot open or
 *  read), EFQ_ERR_FORMAT for a bad magic, truncation or a checksum mismatch,
 *  EFQ_ERR_UNSUPPORTED for a newer format version, EFQ_ERR_OUT_OF_MEMORY (sizes in the file over
 *  the memory limit). Thread-safe. @since 0.1 */
EFQ_API efq_status efq_model_load_efq(efq_context* ctx, const char* path, efq_model** model_out);

/* ---- Evaluation ---------------------------------------------------------------------------- */

/** Segments every case of a split (EFQ_PARAM_SPLIT, default "test") of an nnU-Net v2 raw dataset
 *  (dataset.json, imagesTs/CASE_0000.nii.gz, labelsTs/CASE.nii.gz, ...) as efq_segment does and
 *  scores per-case, per-class Dice (efq_segmentation_dice's conventions). The caller owns
 *  `*report_out` (efq_report_destroy). Progress: stage "evaluate", one step per case; one
 *  EFQ_LOG_INFO line per case. Errors: EFQ_ERR_IO (not a directory, a missing file),
 *  EFQ_ERR_FORMAT (a bad dataset.json or image), and efq_segment's. Thread-safe for distinct
 *  outputs. @since 0.1 */
EFQ_API efq_status efq_evaluate_dice(efq_context* ctx, const efq_model* model,
                                     const char* dataset_dir, const efq_config* config,
                                     efq_report** report_out);
/** Fidelity: segments every case with `model` and with `reference` (typically the FP32 model
 *  `model` was quantized from) and scores the model's labels against the reference's labels,
 *  per class (softmax: label k) or region (sigmoid) and case, with efq_evaluate_dice's Dice
 *  conventions; no ground truth is needed. `images_dir` is an nnU-Net v2 raw dataset (the split
 *  EFQ_PARAM_SPLIT; a labels folder is optional) or a plain folder of NAME_0000.nii.gz images
 *  (NAME_0001... for further modalities). Classes and regions come from the reference's
 *  metadata, else the dataset.json, else its output channels. When every case has a label
 *  map, both models are also scored against the labels (no extra segmentation). `config`
 *  (may be NULL) overrides both models' conventions. The report's JSON: "mean_fidelity",
 *  "fidelity" (eval's layout: per case and class, Dice against the reference's labels),
 *  "labelled", and when labelled "mean_foreground_dice", "dice" (the model against the
 *  labels) and "reference_dice". EFQ_ERR_INVALID_ARGUMENT when the two models' outputs differ
 *  in channel count. Progress: stage "evaluate", one step per case. The caller owns
 *  `*report_out` (efq_report_destroy). Other errors as efq_evaluate_dice. Thread-safe for
 *  distinct outputs. @since 0.1 */
EFQ_API efq_status efq_evaluate_fidelity(efq_context* ctx, const efq_model* model,
                                         const efq_model* reference, const char* images_dir,
                                         const efq_config* config, efq_report** report_out);
/** Mean over cases of the per-case mean foreground Dice against the labels, in [0, 1]
 *  (EFQ_ERR_INVALID_STATE for a report without labels, e.g. a quantization report).
 *  Thread-safe. @since 0.1 */
EFQ_API efq_status efq_report_get_mean_foreground_dice(const efq_report* report, double* out);
/** Mean fidelity of an efq_evaluate_fidelity report: the mean over cases of the per-case mean
 *  over foreground classes of the Dice against the reference's labels (EFQ_ERR_INVALID_STATE
 *  for other reports). In [0, 1]. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_report_get_mean_fidelity(const efq_report* report, double* out);
/** The report as JSON text (UTF-8, NUL-terminated); `*json_out` is the caller's: free it with
 *  efq_string_free. Thread-safe. @since 0.1 */
EFQ_API efq_status efq_report_to_json(const efq_report* report, char** json_out);
/** Releases a report (NULL: no-op). @since 0.1 */
EFQ_API void efq_report_destroy(efq_report* report);

/* ---- Overlay pictures ---------------------------------------------------------------------- */

/** The plane of a slice, found from the image's voxel-to-world affine (sform, else qform).
 *  Values are pinned. @since 0.1 */
typedef enum efq_plane {
  EFQ_PLANE_AXIAL = 0,    /**< across the voxel axis nearest to world S (inferior-superior) */
  EFQ_PLANE_CORONAL = 1,  /**< across the voxel axis nearest to world A (posterior-anterior) */
  EFQ_PLANE_SAGITTAL = 2  /**< across the voxel axis nearest to world R (left-right) */
} efq_plane;

/** Draws one slice of the NIfTI image `image_path` in grey (window: the volume's 1st to 99th
 *  intensity percentile) with the contours of the label map `seg_path` in orange and, when
 *  `compare_seg_path` is not NULL, those of a second label map in sky blue (bluish green where
 *  both contours fall on the same pixel), and writes it as an 8-bit RGB PNG to `png_path`.
 *  A contour pixel has a label other than 0 and a 4-neighbour in the slice (outside = 0) with
 *  another label. One voxel is one pixel, in radiological orientation whatever the storage
 *  order: axial with the patient's right on the left and anterior up, coronal with the right on
 *  the left and superior up, sagittal with anterior on the left and superior up. The voxel axes
 *  are matched to world R, A, S by the assignment with the largest sum of |cosines|.
 *  `slice` is the 0-based voxel index along the stored axis across the plane; -1 picks the slice
 *  with the most voxels of label != 0 in `seg_path` (the lowest on a tie, the middle one when
 *  there are none). `slice_out` (may be NULL) receives the slice drawn.
 *  The label maps must have the image's dimensions and affine (each entry within 1/100 of the
 *  smallest voxel size, in mm) and hold integers >= 0. The PNG is written atomically (temp file
 *  in the same directory, then rename): on any error nothing is left behind.
 *  Errors: EFQ_ERR_INVALID_ARGUMENT (NULL path, unknown plane, grids differ, slice out of range:
 *  the message names the files and the valid range; name not ending in .png), EFQ_ERR_FORMAT
 *  (not NIfTI, non-integer or negative labels), EFQ_ERR_IO (unreadable input, unwritable output).
 *  `ctx` may be NULL; it receives one EFQ_LOG_INFO line. Thread-safe for distinct outputs.
 *  @since 0.1 */
EFQ_API efq_status efq_render_overlay_png(efq_context* ctx, const char* image_path,
                                          const char* seg_path, const char* compare_seg_path,
                                          efq_plane plane, int64_t slice, const char* png_path,
                                          int64_t* slice_out);

/** efq_render_overlay_png with each voxel drawn as `scale` x `scale` pixels (replicated, no
 *  interpolation: pixel (r, c) is pixel (r / scale, c / scale) of the scale-1 picture, so
 *  contours stay exactly one voxel wide and every colour is the scale-1 picture's), for a
 *  picture readable on a screen; the PNG's pHYs pixel size is the voxel size / `scale`.
 *  `scale` = 1 writes exactly what efq_render_overlay_png writes. Everything else (arguments,
 *  slice choice, orientation, atomic write, thread safety) as efq_render_overlay_png.
 *  Errors: as efq_render_overlay_png, and EFQ_ERR_INVALID_ARGUMENT for a `scale` outside
 *  1..16 (checked before any file is read; nothing is written). @since 0.1 */
EFQ_API efq_status efq_render_overlay_png_scaled(efq_context* ctx, const char* image_path,
                                                 const char* seg_path,
                                                 const char* compare_seg_path, efq_plane plane,
                                                 int64_t slice, int64_t scale,
                                                 const char* png_path, int64_t* slice_out);

#ifdef __cplusplus
}
#endif

#endif /* EFFICIENTQ_H */
