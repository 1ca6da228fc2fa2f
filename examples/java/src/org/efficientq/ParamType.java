package org.efficientq;

/**
 * {@code efq_param_type}: the type of a parameter's value, i.e. which {@link Config} setter sets
 * it. The numeric values are pinned.
 */
public enum ParamType {
  /** {@code EFQ_TYPE_INT}: {@link Config#setInt}. */
  INT(0),
  /** {@code EFQ_TYPE_REAL}: {@link Config#setReal}. */
  REAL(1),
  /** {@code EFQ_TYPE_STRING}: {@link Config#setString}. */
  STRING(2),
  /**
   * A value this binding does not know (a newer library may add values); {@link
   * ParamInfo#typeCode()} has the number. Not a C value: its {@link #code()} is -1.
   */
  UNKNOWN(-1);

  private final int code;

  ParamType(int code) {
    this.code = code;
  }

  /**
   * The C value.
   *
   * @return the pinned {@code efq_param_type} number (-1 for {@link #UNKNOWN})
   */
  public int code() {
    return code;
  }

  /**
   * The constant for a C value.
   *
   * @param code an {@code efq_param_type} number
   * @return its constant, or {@link #UNKNOWN} for a value this binding does not know
   */
  public static ParamType fromCode(int code) {
    for (ParamType t : values()) {
      if (t.code == code && t != UNKNOWN) return t;
    }
    return UNKNOWN;
  }
}
