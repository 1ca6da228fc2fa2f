package org.efficientq;

import com.sun.jna.Pointer;

/**
 * An owned libefficientq handle: {@link #close()} destroys it exactly once; later calls of
 * {@code close()} do nothing, and using the object after it was closed throws
 * {@link IllegalStateException}.
 */
abstract class NativeHandle implements AutoCloseable {
  private Pointer handle;

  NativeHandle(Pointer handle) {
    if (handle == null) throw new IllegalStateException("the library returned a null handle");
    this.handle = handle;
  }

  /** The handle, for a call; throws when closed. */
  final synchronized Pointer pointer() {
    if (handle == null) throw new IllegalStateException(getClass().getSimpleName() + " is closed");
    return handle;
  }

  /**
   * Whether {@link #close()} was called.
   *
   * @return true once closed
   */
  public final synchronized boolean isClosed() {
    return handle == null;
  }

  /** Calls the matching {@code efq_*_destroy} on a live handle. */
  abstract void destroy(Pointer handle);

  /** Destroys the handle; idempotent. */
  @Override
  public void close() {
    Pointer h;
    synchronized (this) {
      h = handle;
      handle = null;
    }
    if (h != null) destroy(h);
  }
}
