package org.efficientq;

/** {@code efq_status}: the result of every fallible call. The numeric values are pinned. */
public enum Status {
  /** {@code EFQ_OK}. */
  OK(0),
  /** {@code EFQ_ERR_INVALID_ARGUMENT}: a null handle, an out-of-range parameter, a wrong shape. */
  INVALID_ARGUMENT(1),
  /** {@code EFQ_ERR_IO}: a file cannot be opened, read or written. */
  IO(2),
  /** {@code EFQ_ERR_FORMAT}: a file is corrupt or not of the expected format. */
  FORMAT(3),
  /** {@code EFQ_ERR_UNSUPPORTED}: valid input the library does not handle (operator, type). */
  UNSUPPORTED(4),
  /** {@code EFQ_ERR_OUT_OF_MEMORY}. */
  OUT_OF_MEMORY(5),
  /** {@code EFQ_ERR_BACKEND}: the compute backend failed. */
  BACKEND(6),
  /** {@code EFQ_ERR_NUMERICAL}: NaN/Inf in data or a numerical breakdown. */
  NUMERICAL(7),
  /** {@code EFQ_ERR_CANCELLED}: a progress callback asked to stop. */
  CANCELLED(8),
  /** {@code EFQ_ERR_INVALID_STATE}: the call is not valid for the object's current state. */
  INVALID_STATE(9),
  /** {@code EFQ_ERR_INTERNAL}: a bug in the library; please report it with the message. */
  INTERNAL(99),
  /**
   * A value this binding does not know (the library may add values); {@link
   * EfficientQException#code()} has the number. Not a C value: its {@link #code()} is -1.
   */
  UNKNOWN(-1);

  private final int code;

  Status(int code) {
    this.code = code;
  }

  /**
   * The C value.
   *
   * @return the pinned {@code efq_status} number (-1 for {@link #UNKNOWN})
   */
  public int code() {
    return code;
  }

  /**
   * The constant for a C value.
   *
   * @param code an {@code efq_status} number
   * @return its constant, or {@link #UNKNOWN} for a value this binding does not know
   */
  public static Status fromCode(int code) {
    for (Status s : values()) {
      if (s.code == code && s != UNKNOWN) return s;
    }
    return UNKNOWN;
  }
}
