package org.efficientq;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** Status checking and library-string handling shared by the wrappers. */
final class Errors {
  private Errors() {}

  /** Throws for a failed status; the message is read first, on this thread. */
  static void check(int status, String function) {
    check(status, function, null);
  }

  /** As {@link #check(int, String)}, attaching an exception a listener of {@code ctx} threw. */
  static void check(int status, String function, Context ctx) {
    Throwable cause = ctx != null ? ctx.takeListenerFailure() : null;
    if (status == Status.OK.code()) return;
    EfqLibrary lib = EfqLibrary.INSTANCE;
    String detail = lib.efq_last_error_message(); // before any other call on this thread
    String name = lib.efq_status_string(status);
    throw new EfficientQException(
        function, status, name, detail == null ? "" : detail, cause);
  }

  /** Copies a library-owned string out of {@code ref} and frees it; null stays null. */
  static String takeString(PointerByReference ref) {
    Pointer p = ref.getValue();
    if (p == null) return null;
    try {
      return p.getString(0, "UTF-8");
    } finally {
      EfqLibrary.INSTANCE.efq_string_free(p);
    }
  }
}
