package org.efficientq;

/**
 * A libefficientq call failed: the {@link Status} it returned and the library's description
 * ({@code efq_last_error_message()}, read on the failing thread right after the call).
 *
 * <p>When a progress or log listener threw and so cancelled the call, the listener's exception is
 * the {@linkplain #getCause() cause} (status {@link Status#CANCELLED}).
 */
public class EfficientQException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status status;
  private final int code;
  private final String statusName;
  private final String detail;
  private final String function;

  /**
   * An exception for a failed call.
   *
   * @param function the C function that failed, e.g. {@code "efq_model_load_onnx"}
   * @param code the {@code efq_status} it returned (not 0)
   * @param statusName the library's name of the status ({@code efq_status_string})
   * @param detail the library's description ({@code efq_last_error_message}), may be ""
   * @param cause what made the call fail on the Java side (a listener's exception), or null
   */
  public EfficientQException(
      String function, int code, String statusName, String detail, Throwable cause) {
    super(function + ": " + statusName + (detail.isEmpty() ? "" : " (" + detail + ")"), cause);
    this.function = function;
    this.code = code;
    this.status = Status.fromCode(code);
    this.statusName = statusName;
    this.detail = detail;
  }

  /**
   * The status as a constant.
   *
   * @return the status ({@link Status#UNKNOWN} for a value this binding does not know)
   */
  public Status status() {
    return status;
  }

  /**
   * The status as a number.
   *
   * @return the {@code efq_status} the call returned
   */
  public int code() {
    return code;
  }

  /**
   * The library's English name of the status, e.g. "I/O error".
   *
   * @return {@code efq_status_string(code())}
   */
  public String statusName() {
    return statusName;
  }

  /**
   * What failed and where (file, node, parameter), from the library.
   *
   * @return {@code efq_last_error_message()} of the failing call, may be ""
   */
  public String detail() {
    return detail;
  }

  /**
   * The C function that failed.
   *
   * @return its name, e.g. {@code "efq_quantize"}
   */
  public String function() {
    return function;
  }
}
