package org.efficientq;

import com.sun.jna.ptr.DoubleByReference;
import java.util.List;
import java.util.Optional;

/**
 * {@code efq_param}: the keys of a {@link Config}. The numeric values are pinned. Each constant
 * says the type of its value: set int parameters with {@link Config#setInt}, real ones with
 * {@link Config#setReal} and string ones with {@link Config#setString}. Unset parameters take the
 * model metadata's value, else the default ({@link #bounds()} for numeric parameters; {@link
 * #info()} for every parameter, and {@link #listFromLibrary()} for the loaded library's table).
 */
public enum Param {
  /** int, worker threads; 0 = library default. */
  THREADS(1),
  /** string, "cpu". */
  DEVICE(2),
  /** int, sliding-window size along the network's D; 0 = unset. */
  ROI_D(10),
  /** int, sliding-window size along H; 0 = unset. */
  ROI_H(11),
  /** int, sliding-window size along W; 0 = unset. */
  ROI_W(12),
  /** real in [0, 1), sliding-window overlap. */
  OVERLAP(13),
  /** string: "gaussian" | "constant". */
  BLEND(14),
  /** string: "ijk" | "kji". */
  AXES(15),
  /**
   * string: one spec, or specs per modality joined by ';': none | zscore | zscore-nonzero |
   * ct:LO,HI | pct:P1,P2.
   */
  NORMALIZATION(16),
  /** real, mm along voxel axis i; 0 = unset (set all three together). */
  SPACING_X(17),
  /** real, mm along voxel axis j. */
  SPACING_Y(18),
  /** real, mm along voxel axis k. */
  SPACING_Z(19),
  /** string: "none" | "softmax" | "sigmoid". */
  ACTIVATION(20),
  /** real, sigmoid threshold. */
  THRESHOLD(21),
  /** string: dataset split for evaluation, "test" | "train". */
  SPLIT(30),
  /** int 0/1: keep probability maps in a segmentation. */
  WANT_PROBABILITIES(31),
  /** int 2..8, weight bits (default 4). */
  WBITS(40),
  /** int 0 or 2..8, activation bits; 0 = weights only (default 8). */
  ABITS(41),
  /** string: "efficientq" (default) | "rtn" | "mse". */
  METHOD(42),
  /** string: "symmetric" (default) | "asymmetric" | "faithful". */
  GRID(43),
  /** int 0/1: one weight scale per layer instead of per channel. */
  PER_TENSOR(44),
  /** string: "NAME=w8,a8;NAME=skip;NAME=a-none". */
  LAYER_OVERRIDES(45),
  /** int 0/1 (default 1): class-balancing attention. */
  ATTENTION(46),
  /** int 0/1 (default 1): the pull towards the FP weights. */
  REGULARIZER(47),
  /** int 1..10000, ADMM iterations (default 200). */
  ITERATIONS(48),
  /** real &gt; 0, initial rho multiplier (default 10). */
  RHO(49),
  /** real &ge; 0, eta multiplier (default 1). */
  ETA(50),
  /** int, calibration crop along D; 0 = the METHOD section 1.4 rule. */
  CALIB_CROP_D(51),
  /** int, calibration crop along H. */
  CALIB_CROP_H(52),
  /** int, calibration crop along W. */
  CALIB_CROP_W(53),
  /** int 0/1: attention weight 1 where the first modality is 0. */
  BODY_MASK(54),
  /** int 0/1 (default 1): first and last layer W8, FP input. */
  FIRST_LAST_8BIT(55),
  /** int 0/1 (default 0): segment/evaluate a quantized model with real int8 convolutions. */
  INT8(56),
  /** int 0/1 (default 0): choose each activation scale by the layer's output error. */
  ACT_SCALE_SEARCH(57),
  /** int 0/1 (default 1): end a layer's ADMM once its iterate stops changing. */
  EARLY_STOP(58),
  /** string: the symmetric grid's weight codes below 8 bits, "odd" (default) | "full" | "narrow". */
  WEIGHT_GRID(59),
  /** int 0/1 (default 0): per-layer sensitivity at 2/3/4/8 bits in the quantization report. */
  SENSITIVITY(60),
  /** int MiB, 0 = default (physical memory minus 1/8): sizes from file headers and requests are
   *  checked against it before allocating. */
  MEMORY_LIMIT_MB(61),
  /** real in [0, 1] (default 0 = off): choose per-layer weight widths among WBITS_CHOICES for the
   *  fewest packed weight bytes with fidelity on the calibration crop at least this value. */
  BUDGET_FIDELITY(62),
  /** string (default "2,3,4,8"): the weight widths BUDGET_FIDELITY chooses from. */
  WBITS_CHOICES(63),
  /** int 0..1000 (default 0 = off): sweeps of greedy coordinate descent on each layer's weight
   *  codes after ADMM (not the faithful grid). */
  CODE_DESCENT(64);

  /**
   * The range and default of a numeric parameter ({@code efq_param_bounds}).
   *
   * @param min the smallest accepted value
   * @param max the largest accepted value
   * @param defaultValue the value used when the parameter is unset and the model says nothing
   */
  public record Bounds(double min, double max, double defaultValue) {}

  private final int code;

  Param(int code) {
    this.code = code;
  }

  /**
   * The C value.
   *
   * @return the pinned {@code efq_param} number
   */
  public int code() {
    return code;
  }

  /**
   * The constant for a C value.
   *
   * @param code an {@code efq_param} number
   * @return its constant, or empty for a value this binding does not name (a newer library may
   *     know more parameters: {@link ParamInfo#of(int)} describes them)
   */
  public static Optional<Param> fromCode(int code) {
    for (Param p : values()) {
      if (p.code == code) return Optional.of(p);
    }
    return Optional.empty();
  }

  /**
   * What the library knows about this parameter ({@code efq_param_get_info}): type, scope,
   * bounds, default, name and help.
   *
   * @return the description
   */
  public ParamInfo info() {
    return ParamInfo.of(code);
  }

  /**
   * Every parameter the loaded library knows ({@code efq_param_list}), described. A library
   * newer than this binding may list parameters this enum does not name: their {@link
   * ParamInfo#param()} is empty and {@link ParamInfo#code()} has the number.
   *
   * @return an unmodifiable list in increasing {@link ParamInfo#code()}
   */
  public static List<ParamInfo> listFromLibrary() {
    return ParamInfo.listFromLibrary();
  }

  /**
   * Bounds and default of this numeric parameter.
   *
   * @return the bounds
   * @throws EfficientQException {@link Status#INVALID_ARGUMENT} for a string parameter
   */
  public Bounds bounds() {
    DoubleByReference min = new DoubleByReference();
    DoubleByReference max = new DoubleByReference();
    DoubleByReference dflt = new DoubleByReference();
    Errors.check(EfqLibrary.INSTANCE.efq_param_bounds(code, min, max, dflt), "efq_param_bounds");
    return new Bounds(min.getValue(), max.getValue(), dflt.getValue());
  }
}
