package org.efficientq;

import com.sun.jna.IntegerType;
import com.sun.jna.Native;

/** C {@code size_t}: an unsigned integer as wide as the platform's {@code size_t}. */
public final class SizeT extends IntegerType {
  private static final long serialVersionUID = 1L;

  /** Zero (JNA needs a no-argument constructor for structure fields and return values). */
  public SizeT() {
    this(0);
  }

  /**
   * A value.
   *
   * @param value the value, non-negative
   */
  public SizeT(long value) {
    super(Native.SIZE_T_SIZE, value, true);
  }
}
