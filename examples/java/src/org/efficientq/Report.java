package org.efficientq;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.DoubleByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * {@code efq_report}: the machine-readable result of a quantization ({@link Model#quantize}) or an
 * evaluation ({@link Model#evaluateDice}).
 */
public final class Report extends NativeHandle {
  Report(Pointer handle) {
    super(handle);
  }

  /**
   * The mean over cases of the per-case mean foreground Dice
   * ({@code efq_report_get_mean_foreground_dice}).
   *
   * @return the Dice
   * @throws EfficientQException for a report that is not an evaluation's
   */
  public double meanForegroundDice() {
    DoubleByReference out = new DoubleByReference();
    Errors.check(
        EfqLibrary.INSTANCE.efq_report_get_mean_foreground_dice(pointer(), out),
        "efq_report_get_mean_foreground_dice");
    return out.getValue();
  }

  /**
   * The report as JSON ({@code efq_report_to_json}).
   *
   * @return the JSON text
   */
  public String toJson() {
    PointerByReference out = new PointerByReference();
    Errors.check(EfqLibrary.INSTANCE.efq_report_to_json(pointer(), out), "efq_report_to_json");
    return Errors.takeString(out);
  }

  @Override
  void destroy(Pointer handle) {
    EfqLibrary.INSTANCE.efq_report_destroy(handle);
  }
}
