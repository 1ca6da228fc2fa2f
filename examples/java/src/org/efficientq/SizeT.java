package org.efficientq;

import com.sun.jna.IntegerType;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

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

  /** A {@code size_t*} out-parameter (JNA has no {@code size_t} by-reference type of its own). */
  public static final class ByReference extends com.sun.jna.ptr.ByReference {
    /** Zero. */
    public ByReference() {
      super(Native.SIZE_T_SIZE);
      if (Native.SIZE_T_SIZE == 8) {
        getPointer().setLong(0, 0);
      } else {
        getPointer().setInt(0, 0);
      }
    }

    /**
     * The value the call wrote.
     *
     * @return the {@code size_t}, non-negative
     */
    public long getValue() {
      Pointer p = getPointer();
      return Native.SIZE_T_SIZE == 8 ? p.getLong(0) : p.getInt(0) & 0xffffffffL;
    }
  }
}
