package org.efficientq;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/**
 * {@code efq_config}: a set of parameter values for quantization, segmentation and evaluation.
 * Setters validate at once and return this configuration, for chaining:
 *
 * <pre>{@code
 * try (Config config = new Config().setInt(Param.WBITS, 4).setInt(Param.ABITS, 8)) { ... }
 * }</pre>
 */
public final class Config extends NativeHandle {
  /**
   * An empty configuration ({@code efq_config_create}).
   *
   * @throws EfficientQException when the library cannot create one
   */
  public Config() {
    super(create());
  }

  private static Pointer create() {
    PointerByReference out = new PointerByReference();
    Errors.check(EfqLibrary.INSTANCE.efq_config_create(out), "efq_config_create");
    return out.getValue();
  }

  /**
   * Sets an int parameter ({@code efq_config_set_int}).
   *
   * @param param an int parameter
   * @param value its value
   * @return this configuration
   * @throws EfficientQException {@link Status#INVALID_ARGUMENT} when out of bounds or not an int
   */
  public Config setInt(Param param, long value) {
    Errors.check(
        EfqLibrary.INSTANCE.efq_config_set_int(pointer(), param.code(), value),
        "efq_config_set_int");
    return this;
  }

  /**
   * Sets a real parameter ({@code efq_config_set_real}).
   *
   * @param param a real parameter
   * @param value its value
   * @return this configuration
   * @throws EfficientQException {@link Status#INVALID_ARGUMENT} when out of bounds or not a real
   */
  public Config setReal(Param param, double value) {
    Errors.check(
        EfqLibrary.INSTANCE.efq_config_set_real(pointer(), param.code(), value),
        "efq_config_set_real");
    return this;
  }

  /**
   * Sets a string parameter ({@code efq_config_set_string}; copied and validated now).
   *
   * @param param a string parameter
   * @param value its value
   * @return this configuration
   * @throws EfficientQException {@link Status#INVALID_ARGUMENT} when invalid or not a string
   */
  public Config setString(Param param, String value) {
    Errors.check(
        EfqLibrary.INSTANCE.efq_config_set_string(pointer(), param.code(), value),
        "efq_config_set_string");
    return this;
  }

  @Override
  void destroy(Pointer handle) {
    EfqLibrary.INSTANCE.efq_config_destroy(handle);
  }
}
