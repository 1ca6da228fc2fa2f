package org.efficientq;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/**
 * {@code efq_progress}: one progress report of a long call, as passed to the progress callback.
 * Field for field the C struct. The library owns the memory it passes; {@link #read(Pointer)}
 * returns a copy in memory of its own, which stays valid after the callback returns.
 */
@FieldOrder({"struct_size", "stage", "step", "total", "item"})
public class Progress extends Structure {
  /** This binding's {@code sizeof(efq_progress)}. */
  private static final int SIZE = new Progress().size();

  /** {@code sizeof(efq_progress)} as the library knows it. */
  public SizeT struct_size;
  /** "segment", "evaluate", "quantize", ... */
  public String stage;
  /** Steps done in this stage (windows, cases, layers). */
  public long step;
  /** Steps in this stage. */
  public long total;
  /** Current case or layer name, may be "". */
  public String item;

  /** An empty report with {@code struct_size} set (JNA needs a public no-argument constructor). */
  public Progress() {
    setStringEncoding("UTF-8");
    struct_size = new SizeT(size());
  }

  private Progress(Pointer p) {
    super(p);
    setStringEncoding("UTF-8");
  }

  /**
   * Copies the library's {@code efq_progress} at {@code p}.
   *
   * @param p an {@code efq_progress*}, valid during the callback
   * @return the copy, or null when {@code p} is null or the library's struct is smaller than
   *     this binding's (an older library: fields missing)
   */
  public static Progress read(Pointer p) {
    if (p == null) return null;
    long size = Native.SIZE_T_SIZE == 8 ? p.getLong(0) : p.getInt(0) & 0xffffffffL;
    if (size < SIZE) return null;
    Progress view = new Progress(p);
    view.read();
    Progress copy = new Progress();
    copy.struct_size = view.struct_size;
    copy.stage = view.stage;
    copy.step = view.step;
    copy.total = view.total;
    copy.item = view.item;
    return copy;
  }

  @Override
  public String toString() {
    return "Progress[" + stage + " " + step + "/" + total + " " + item + "]";
  }
}
