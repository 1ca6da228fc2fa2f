package org.efficientq;

/**
 * The result of {@link Model#quantize}: the new quantized model and the quantization report.
 * Closing it closes both (each exactly once).
 */
public final class Quantization implements AutoCloseable {
  private final Model model;
  private final Report report;

  Quantization(Model model, Report report) {
    this.model = model;
    this.report = report;
  }

  /**
   * The quantized model (fake-quantized weights, activation quantizers).
   *
   * @return the model, owned by this object
   */
  public Model model() {
    return model;
  }

  /**
   * The report: per-layer bits, scales, reconstruction error, time; configuration; checksums.
   *
   * @return the report, owned by this object
   */
  public Report report() {
    return report;
  }

  /** Closes the report and the model; idempotent. */
  @Override
  public void close() {
    try {
      report.close();
    } finally {
      model.close();
    }
  }
}
