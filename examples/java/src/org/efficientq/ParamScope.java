package org.efficientq;

/** {@code efq_param_scope}: which calls read a parameter. The numeric values are pinned. */
public enum ParamScope {
  /**
   * {@code EFQ_SCOPE_INFERENCE}: every call that runs a model (segmentation, evaluation and the
   * forward passes of a quantization).
   */
  INFERENCE(0),
  /** {@code EFQ_SCOPE_SEGMENTATION}: segmentation only. */
  SEGMENTATION(1),
  /** {@code EFQ_SCOPE_EVALUATION}: Dice and fidelity evaluation. */
  EVALUATION(2),
  /** {@code EFQ_SCOPE_QUANTIZATION}: quantization. */
  QUANTIZATION(3),
  /**
   * {@code EFQ_SCOPE_CONTEXT}: also a context parameter, read by every call made with the
   * context, loads included.
   */
  CONTEXT(4),
  /**
   * A value this binding does not know (a newer library may add values); {@link
   * ParamInfo#scopeCode()} has the number. Not a C value: its {@link #code()} is -1.
   */
  UNKNOWN(-1);

  private final int code;

  ParamScope(int code) {
    this.code = code;
  }

  /**
   * The C value.
   *
   * @return the pinned {@code efq_param_scope} number (-1 for {@link #UNKNOWN})
   */
  public int code() {
    return code;
  }

  /**
   * The constant for a C value.
   *
   * @param code an {@code efq_param_scope} number
   * @return its constant, or {@link #UNKNOWN} for a value this binding does not know
   */
  public static ParamScope fromCode(int code) {
    for (ParamScope s : values()) {
      if (s.code == code && s != UNKNOWN) return s;
    }
    return UNKNOWN;
  }
}
