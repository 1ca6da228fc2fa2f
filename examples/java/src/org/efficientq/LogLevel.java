package org.efficientq;

/** {@code efq_log_level}, most severe first. The numeric values are pinned. */
public enum LogLevel {
  /** {@code EFQ_LOG_ERROR}. */
  ERROR(0),
  /** {@code EFQ_LOG_WARNING}. */
  WARNING(1),
  /** {@code EFQ_LOG_INFO}. */
  INFO(2),
  /** {@code EFQ_LOG_DEBUG}. */
  DEBUG(3);

  private final int code;

  LogLevel(int code) {
    this.code = code;
  }

  /**
   * The C value.
   *
   * @return the {@code efq_log_level} number
   */
  public int code() {
    return code;
  }

  /**
   * The constant for a C value.
   *
   * @param code an {@code efq_log_level} number
   * @return its constant; values past {@link #DEBUG} give {@link #DEBUG}, below 0 {@link #ERROR}
   */
  public static LogLevel fromCode(int code) {
    for (LogLevel l : values()) {
      if (l.code == code) return l;
    }
    return code < 0 ? ERROR : DEBUG;
  }
}
