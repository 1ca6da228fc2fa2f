package org.efficientq;

/** Receives the progress of long calls ({@link Context#setProgressListener}). */
@FunctionalInterface
public interface ProgressListener {
  /**
   * One progress report, on the thread running the call. The library may report a step several
   * times. Returning false cancels the running call: it then throws an {@link
   * EfficientQException} with {@link Status#CANCELLED} and returns nothing. An exception thrown
   * here cancels the call the same way and becomes that exception's cause.
   *
   * @param progress the report (a copy; it may be kept)
   * @return true to continue, false to cancel
   */
  boolean onProgress(Progress progress);
}
