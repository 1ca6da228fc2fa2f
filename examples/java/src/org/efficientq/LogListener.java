package org.efficientq;

/** Receives the library's log lines ({@link Context#setLogListener}). */
@FunctionalInterface
public interface LogListener {
  /**
   * One log line, on the thread running the call. An exception thrown here is caught (it must
   * not reach native code) and attached to the exception of the call, if that call fails.
   *
   * @param level the line's level
   * @param message the text, without a newline
   */
  void onLog(LogLevel level, String message);
}
