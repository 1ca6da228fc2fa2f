package org.efficientq.example;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.efficientq.Config;
import org.efficientq.Context;
import org.efficientq.EfficientQ;
import org.efficientq.EfficientQException;
import org.efficientq.LogLevel;
import org.efficientq.Model;
import org.efficientq.ModelInfo;
import org.efficientq.Param;
import org.efficientq.Progress;
import org.efficientq.Quantization;
import org.efficientq.Report;
import org.efficientq.Volume;

/**
 * The whole EfficientQ workflow through the Java bindings; the Java twin of {@code
 * examples/c/quantize.c}, with the same command line and output.
 *
 * <p>Load an FP32 ONNX model, load one calibration volume (NIfTI), quantize (weight/activation
 * bits from the command line), write the quantized model as QDQ ONNX, evaluate FP32 and quantized
 * Dice on an nnU-Net v2 raw dataset and print both mean foreground Dice.
 *
 * <pre>
 * usage: Quantize MODEL.onnx CALIB.nii.gz DATASET_DIR OUT.onnx WBITS ABITS [ITERS]
 * </pre>
 *
 * <p>Exit status 0 on success, 2 on bad arguments, 1 when the library fails (the status and
 * {@code efq_last_error_message()} are printed, and no output file is left behind). Start the JVM
 * with {@code OMP_WAIT_POLICY=PASSIVE} in its environment (see examples/c/README.md).
 */
public final class Quantize {
  private Quantize() {}

  /** A library call failed during the step {@code what}. */
  private static final class StepFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String what;
    final EfficientQException error;

    StepFailure(String what, EfficientQException error) {
      super(what, error);
      this.what = what;
      this.error = error;
    }
  }

  /** Runs one library step, labelling its failure with {@code what} (as the C host's CHECK). */
  private static <T> T step(String what, Supplier<T> action) {
    try {
      return action.get();
    } catch (EfficientQException e) {
      throw new StepFailure(what, e);
    }
  }

  /**
   * Progress: one line on stderr each time the stage or its step changes (the library may report
   * several times per step).
   */
  private static final class ProgressPrinter {
    private String stage = "";
    private long step = -1;

    boolean onProgress(Progress p) {
      String s = p.stage != null ? p.stage : "?";
      if (!s.equals(stage) || step != p.step) {
        stage = s;
        step = p.step;
        System.out.flush(); // keep stdout and stderr in order on a terminal or a shared log
        System.err.printf(
            Locale.ROOT, "  [%s] %d/%d %s%n", s, p.step, p.total, p.item != null ? p.item : "");
      }
      return true; // false would cancel the running call (Status.CANCELLED)
    }

    /** A new call: report its first step again. */
    void reset() {
      step = -1;
    }
  }

  /** Parses a whole decimal integer in [lo, hi] (as strtol: leading blanks and a sign allowed). */
  private static Long parseInt(String text, long lo, long hi) {
    try {
      long v = Long.parseLong(text.stripLeading());
      return v >= lo && v <= hi ? v : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * {@code %.4f} as C's printf: rounds the exact binary value half to even. ({@link
   * String#format} rounds the shortest decimal representation half up, so 0.00015 would print
   * 0.0002 where C prints 0.0001.)
   *
   * @param v the value
   * @return v with 4 decimals
   */
  public static String fixed4(double v) {
    if (!Double.isFinite(v)) return String.format(Locale.ROOT, "%.4f", v);
    return new BigDecimal(v).setScale(4, RoundingMode.HALF_EVEN).toPlainString();
  }

  /**
   * The command line entry point.
   *
   * @param args MODEL CALIB DATASET_DIR OUT WBITS ABITS [ITERS]
   */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the workflow.
   *
   * @param args MODEL CALIB DATASET_DIR OUT WBITS ABITS [ITERS]
   * @return the exit status
   */
  public static int run(String[] args) {
    if (args.length != 6 && args.length != 7) {
      System.err.print(
          "usage: Quantize MODEL.onnx CALIB.nii.gz DATASET_DIR OUT.onnx WBITS ABITS [ITERS]\n"
              + "  WBITS 2..8, ABITS 0 (weights only) or 2..8, ITERS ADMM iterations"
              + " (default 200)\n");
      return 2;
    }
    Long wbits = parseInt(args[4], 2, 8);
    Long abits = parseInt(args[5], 0, 8);
    Long iters = args.length == 7 ? parseInt(args[6], 1, 10000) : Long.valueOf(0);
    if (wbits == null || abits == null || abits == 1 || iters == null) {
      System.err.println("error: WBITS must be 2..8, ABITS 0 or 2..8, ITERS 1..10000");
      return 2;
    }
    final String modelPath = args[0];
    final String calibPath = args[1];
    final String datasetDir = args[2];
    final String outPath = args[3];

    try {
      if (!EfficientQ.isAbiCompatible()) {
        System.err.printf(
            Locale.ROOT,
            "error: library %s is not ABI-compatible with these bindings (%d.x)%n",
            EfficientQ.versionString(),
            EfficientQ.HEADER_VERSION_MAJOR);
        return 1;
      }
    } catch (LinkageError e) {
      System.err.println(
          "error: cannot load libefficientq (set -Djna.library.path): " + e.getMessage());
      return 1;
    }
    System.out.printf(Locale.ROOT, "libefficientq %s%n", EfficientQ.versionString());

    boolean wroteOutput = false;
    ProgressPrinter progress = new ProgressPrinter();
    try (Context ctx = step("creating a context", Context::new)) {
      step(
          "setting the log",
          () ->
              ctx.setLogListener(
                  LogLevel.WARNING,
                  (level, message) ->
                      System.err.printf(
                          "  efficientq %s: %s%n",
                          level == LogLevel.ERROR ? "error" : "warning",
                          message)));
      step("setting the progress", () -> ctx.setProgressListener(progress::onProgress));

      // 1. The FP32 model.
      try (Model model = step("loading the model", () -> Model.loadOnnx(ctx, modelPath))) {
        ModelInfo info = step("reading the model summary", model::info);
        System.out.printf(
            Locale.ROOT,
            "model: %d nodes, %d quantizable layers, %d parameters%n",
            info.num_nodes,
            info.num_quantizable,
            info.num_parameters);

        // 2. One calibration case (a single modality here).
        try (Volume calib =
                step("loading the calibration volume", () -> Volume.loadNifti(ctx, calibPath));
            Config config = step("creating a configuration", Config::new)) {
          // 3. Quantize. Unset parameters come from the model metadata or the defaults.
          step("setting the weight bits", () -> config.setInt(Param.WBITS, wbits));
          step("setting the activation bits", () -> config.setInt(Param.ABITS, abits));
          if (iters > 0) step("setting ITERS", () -> config.setInt(Param.ITERATIONS, iters));
          try (Quantization quantized =
              step("quantizing", () -> model.quantize(ctx, config, List.of(calib)))) {
            // 4. Save as QDQ ONNX (runs in onnxruntime).
            String notes =
                step("writing the QDQ model", () -> quantized.model().saveOnnxQdq(outPath));
            wroteOutput = true;
            System.out.printf(Locale.ROOT, "wrote %s (W%dA%d)%n", outPath, wbits, abits);
            if (!notes.isEmpty()) System.out.printf("notes:%n%s%n", notes);

            // 5. Dice of both models on the dataset (split "test" unless the config says so).
            double fpDice;
            double qDice;
            progress.reset();
            try (Report fpEval =
                step(
                    "evaluating the FP32 model",
                    () -> model.evaluateDice(ctx, datasetDir, config))) {
              fpDice = step("reading the FP32 Dice", fpEval::meanForegroundDice);
            }
            progress.reset(); // a new call: report its first step again
            try (Report qEval =
                step(
                    "evaluating the quantized model",
                    () -> quantized.model().evaluateDice(ctx, datasetDir, config))) {
              qDice = step("reading the quantized Dice", qEval::meanForegroundDice);
            }
            System.out.printf(Locale.ROOT, "FP32 mean foreground Dice: %s%n", fixed4(fpDice));
            System.out.printf(
                Locale.ROOT, "quantized mean foreground Dice: %s%n", fixed4(qDice));
          }
        }
      }
      return 0;
    } catch (StepFailure f) {
      EfficientQException e = f.error;
      System.out.flush();
      System.err.printf("error: %s: %s (%s)%n", f.what, e.statusName(), e.detail());
      if (wroteOutput) deleteQuietly(outPath); // a failed run leaves no output behind
      return 1;
    }
  }

  private static void deleteQuietly(String path) {
    try {
      Files.deleteIfExists(Paths.get(path));
    } catch (IOException | RuntimeException e) {
      System.err.println("warning: cannot remove " + path + ": " + e.getMessage());
    }
  }
}
