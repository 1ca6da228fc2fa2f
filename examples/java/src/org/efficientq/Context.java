package org.efficientq;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/**
 * {@code efq_context}: the host's shared state, i.e. the log and progress listeners. Pass it to
 * the calls that load, quantize and evaluate. Not for use from two threads at once.
 *
 * <pre>{@code
 * try (Context ctx = new Context()) {
 *   ctx.setProgressListener(p -> { System.err.println(p); return true; });
 *   ...
 * }
 * }</pre>
 *
 * <p>The context keeps its JNA callbacks strongly reachable until it is closed, so the native
 * side never calls into a collected callback. No Java exception ever crosses into native code: a
 * listener's exception is caught, cancels the call where it can (progress), and becomes the cause
 * of that call's {@link EfficientQException}.
 */
public final class Context extends NativeHandle {
  // Strong references: the native context holds the callbacks' function pointers.
  private EfqLibrary.LogCallback logCallback;
  private EfqLibrary.ProgressCallback progressCallback;
  private Throwable listenerFailure;

  /**
   * Creates a context ({@code efq_context_create}).
   *
   * @throws EfficientQException when the library cannot create one
   */
  public Context() {
    super(create());
  }

  private static Pointer create() {
    PointerByReference out = new PointerByReference();
    Errors.check(EfqLibrary.INSTANCE.efq_context_create(out), "efq_context_create");
    return out.getValue();
  }

  /**
   * Sets or clears the log listener ({@code efq_context_set_log_callback}).
   *
   * @param maxLevel lines less severe than this are dropped by the library
   * @param listener the listener, or null to clear it
   * @return this context
   */
  public Context setLogListener(LogLevel maxLevel, LogListener listener) {
    EfqLibrary.LogCallback callback = null;
    if (listener != null) {
      callback =
          (user, level, message) -> {
            try {
              listener.onLog(
                  LogLevel.fromCode(level), message == null ? "" : message.getString(0, "UTF-8"));
            } catch (Throwable t) { // nothing may propagate into native code
              recordListenerFailure(t);
            }
          };
    }
    synchronized (this) {
      Errors.check(
          EfqLibrary.INSTANCE.efq_context_set_log_callback(
              pointer(), callback, null, maxLevel.code()),
          "efq_context_set_log_callback");
      logCallback = callback;
    }
    return this;
  }

  /**
   * Sets or clears the progress listener ({@code efq_context_set_progress_callback}).
   *
   * @param listener the listener, or null to clear it
   * @return this context
   */
  public Context setProgressListener(ProgressListener listener) {
    EfqLibrary.ProgressCallback callback = null;
    if (listener != null) {
      callback =
          (user, progress) -> {
            try {
              Progress p = Progress.read(progress);
              if (p == null) return 0; // an older library: fields missing, ignore
              return listener.onProgress(p) ? 0 : 1;
            } catch (Throwable t) { // nothing may propagate into native code: cancel instead
              recordListenerFailure(t);
              return 1;
            }
          };
    }
    synchronized (this) {
      Errors.check(
          EfqLibrary.INSTANCE.efq_context_set_progress_callback(pointer(), callback, null),
          "efq_context_set_progress_callback");
      progressCallback = callback;
    }
    return this;
  }

  private synchronized void recordListenerFailure(Throwable t) {
    if (listenerFailure == null) {
      listenerFailure = t;
    } else if (listenerFailure != t) {
      listenerFailure.addSuppressed(t);
    }
  }

  /** The exception a listener threw during the last call, cleared. */
  synchronized Throwable takeListenerFailure() {
    Throwable t = listenerFailure;
    listenerFailure = null;
    return t;
  }

  @Override
  void destroy(Pointer handle) {
    EfqLibrary.INSTANCE.efq_context_destroy(handle);
    synchronized (this) { // only now may the callbacks be collected
      logCallback = null;
      progressCallback = null;
    }
  }
}
