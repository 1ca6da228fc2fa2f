package org.efficientq;

import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/**
 * {@code efq_efq_size}: sizes reported by {@code efq_model_save_efq} ({@link Model#saveEfq}).
 * Field for field the C struct; {@code struct_size} is set by the constructor.
 */
@FieldOrder({"struct_size", "packed_code_bytes", "fp32_weight_bytes", "file_bytes"})
public class EfqSize extends Structure {
  /** {@code sizeof(efq_efq_size)} as this binding knows it (set by the constructor). */
  public SizeT struct_size;
  /** Bytes of the bit-packed weight codes. */
  public long packed_code_bytes;
  /** FP32 bytes of the same weights. */
  public long fp32_weight_bytes;
  /** Size of the file written. */
  public long file_bytes;

  /** Zero sizes with {@code struct_size} set. */
  public EfqSize() {
    struct_size = new SizeT(size());
  }

  @Override
  public String toString() {
    return "EfqSize[packed_code_bytes=" + packed_code_bytes + ", fp32_weight_bytes="
        + fp32_weight_bytes + ", file_bytes=" + file_bytes + "]";
  }
}
