package org.efficientq;

/** Library-wide information: versions and status names. */
public final class EfficientQ {
  /** {@code EFQ_VERSION_MAJOR} of the header these bindings follow. */
  public static final int HEADER_VERSION_MAJOR = 0;
  /** {@code EFQ_VERSION_MINOR} of the header these bindings follow. */
  public static final int HEADER_VERSION_MINOR = 1;
  /** {@code EFQ_VERSION_PATCH} of the header these bindings follow. */
  public static final int HEADER_VERSION_PATCH = 0;

  private EfficientQ() {}

  /**
   * The loaded library's version ({@code efq_version_number}).
   *
   * @return MAJOR*10000 + MINOR*100 + PATCH
   */
  public static int versionNumber() {
    return EfqLibrary.INSTANCE.efq_version_number();
  }

  /**
   * The loaded library's version ({@code efq_version_string}).
   *
   * @return "MAJOR.MINOR.PATCH"
   */
  public static String versionString() {
    return EfqLibrary.INSTANCE.efq_version_string();
  }

  /**
   * Backends and dependency versions ({@code efq_build_info}).
   *
   * @return one line
   */
  public static String buildInfo() {
    return EfqLibrary.INSTANCE.efq_build_info();
  }

  /**
   * Whether the loaded library has the ABI these bindings were written for (same major
   * version).
   *
   * @return true when compatible
   */
  public static boolean isAbiCompatible() {
    return versionNumber() / 10000 == HEADER_VERSION_MAJOR;
  }

  /**
   * The library's English name of a status ({@code efq_status_string}).
   *
   * @param status a status
   * @return its name, e.g. "I/O error"
   */
  public static String statusString(Status status) {
    return EfqLibrary.INSTANCE.efq_status_string(status.code());
  }
}
