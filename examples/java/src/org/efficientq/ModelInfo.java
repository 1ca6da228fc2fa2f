package org.efficientq;

import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/**
 * {@code efq_model_info}: the summary of a model, filled by {@code efq_model_get_info}
 * ({@link Model#info()}). Field for field the C struct; {@code struct_size} is set by the
 * constructor.
 */
@FieldOrder({"struct_size", "input_channels", "num_nodes", "num_quantizable", "num_parameters",
    "opset"})
public class ModelInfo extends Structure {
  /** {@code sizeof(efq_model_info)} as this binding knows it (set by the constructor). */
  public SizeT struct_size;
  /** Input channels, -1 when not declared. */
  public long input_channels;
  /** Graph nodes. */
  public long num_nodes;
  /** Conv/ConvTranspose layers with constant weights. */
  public long num_quantizable;
  /** Float parameters after BatchNorm folding. */
  public long num_parameters;
  /** ONNX opset. */
  public long opset;

  /** An empty summary with {@code struct_size} set. */
  public ModelInfo() {
    struct_size = new SizeT(size());
  }

  @Override
  public String toString() {
    return "ModelInfo[input_channels=" + input_channels + ", num_nodes=" + num_nodes
        + ", num_quantizable=" + num_quantizable + ", num_parameters=" + num_parameters
        + ", opset=" + opset + "]";
  }
}
