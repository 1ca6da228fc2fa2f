package org.efficientq.test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.efficientq.Config;
import org.efficientq.Context;
import org.efficientq.EfficientQ;
import org.efficientq.EfficientQException;
import org.efficientq.EfqSize;
import org.efficientq.LogLevel;
import org.efficientq.Model;
import org.efficientq.ModelInfo;
import org.efficientq.Param;
import org.efficientq.Progress;
import org.efficientq.Quantization;
import org.efficientq.Status;
import org.efficientq.Volume;
import org.efficientq.example.Quantize;

/**
 * Checks of the Java bindings that the example run does not reach: pinned enum values against the
 * header, statuses mapped into exceptions, listener exceptions that cancel a call, handle
 * lifetime, and the .efq round trip.
 *
 * <p>usage: BindingsTest SOURCE_DIR TMP_DIR
 */
public final class BindingsTest {
  private BindingsTest() {}

  private static int checks;

  private static void check(boolean ok, String what) {
    checks++;
    if (!ok) throw new AssertionError(what);
  }

  /** A call that must fail with {@code expected}. */
  private static EfficientQException expectStatus(Status expected, Runnable call, String what) {
    try {
      call.run();
    } catch (EfficientQException e) {
      check(e.status() == expected, what + ": status " + e.status() + ", expected " + expected);
      check(e.code() == expected.code(), what + ": code " + e.code());
      check(
          e.statusName().equals(EfficientQ.statusString(expected)),
          what + ": status name " + e.statusName());
      check(e.getMessage().startsWith(e.function() + ": "), what + ": message " + e.getMessage());
      return e;
    }
    throw new AssertionError(what + ": no exception");
  }

  /** The {@code NAME = VALUE} pairs of {@code typedef enum NAME {...}} in the header. */
  private static Map<String, Integer> headerValues(String header, String name, String prefix) {
    int begin = header.indexOf("typedef enum " + name + " {");
    int end = header.indexOf("} " + name + ";", begin);
    check(begin >= 0 && end > begin, "enum " + name + " in the header");
    Map<String, Integer> values = new LinkedHashMap<>();
    Matcher m =
        Pattern.compile("\\b" + prefix + "(\\w+)\\s*=\\s*(\\d+)")
            .matcher(header.substring(begin, end));
    while (m.find()) values.put(m.group(1), Integer.valueOf(m.group(2)));
    return values;
  }

  /**
   * Runs the checks.
   *
   * @param args SOURCE_DIR TMP_DIR
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Path src = Paths.get(args[0]);
    Path tmp = Paths.get(args[1]);
    Files.createDirectories(tmp);
    String model = src.resolve("models/brain.onnx").toString();
    String dataset = src.resolve("tests/data/brain").toString();
    // mricron-data's folder: the CMake cache variable EFQ_MRICRON_DIR, passed by ctest.
    String mricron = System.getenv("EFQ_MRICRON_DIR");
    if (mricron == null || mricron.isEmpty()) {
      System.err.println("EFQ_MRICRON_DIR is not set (ctest sets it)");
      System.exit(2);
    }
    String calibPath = Paths.get(mricron, "templates/ch2better.nii.gz").toString();

    // Pinned values: every enum constant equals the header's, and none is missing.
    String header = Files.readString(src.resolve("include/efficientq/efficientq.h"));
    Map<String, Integer> statuses = headerValues(header, "efq_status", "EFQ_(?:ERR_)?");
    check(statuses.size() == Status.values().length - 1, "Status count " + statuses);
    for (Status s : Status.values()) {
      if (s == Status.UNKNOWN) continue;
      check(Integer.valueOf(s.code()).equals(statuses.get(s.name())), "Status." + s);
      check(Status.fromCode(s.code()) == s, "Status.fromCode " + s);
      check(!EfficientQ.statusString(s).equals("unknown status"), "status string of " + s);
    }
    check(Status.fromCode(12345) == Status.UNKNOWN, "unknown status code");
    Map<String, Integer> params = headerValues(header, "efq_param", "EFQ_PARAM_");
    check(params.size() == Param.values().length, "Param count " + params);
    for (Param p : Param.values()) {
      check(Integer.valueOf(p.code()).equals(params.get(p.name())), "Param." + p);
    }
    Map<String, Integer> levels = headerValues(header, "efq_log_level", "EFQ_LOG_");
    for (LogLevel l : LogLevel.values()) {
      check(Integer.valueOf(l.code()).equals(levels.get(l.name())), "LogLevel." + l);
    }
    check(EfficientQ.isAbiCompatible(), "ABI major version");
    check(
        EfficientQ.versionString().startsWith(EfficientQ.HEADER_VERSION_MAJOR + "."),
        "version " + EfficientQ.versionString());

    // Structures as the C structs (LP64: size_t and pointers are 8 bytes).
    check(new ModelInfo().size() == 48, "sizeof(efq_model_info)");
    check(new Progress().size() == 40, "sizeof(efq_progress)");
    check(new EfqSize().size() == 32, "sizeof(efq_efq_size)");
    check(new ModelInfo().struct_size.longValue() == 48, "efq_model_info.struct_size");

    // printf("%.4f") rounding.
    check(Quantize.fixed4(0.00015).equals("0.0001"), "fixed4(0.00015)");
    check(Quantize.fixed4(0.858712062957278).equals("0.8587"), "fixed4(0.8587...)");

    // Parameter bounds.
    Param.Bounds wbits = Param.WBITS.bounds();
    check(wbits.min() == 2 && wbits.max() == 8 && wbits.defaultValue() == 4, "WBITS " + wbits);
    check(Param.ITERATIONS.bounds().defaultValue() == 200, "ITERATIONS default");
    expectStatus(Status.INVALID_ARGUMENT, () -> Param.DEVICE.bounds(), "bounds of a string");

    List<String> logLines = new ArrayList<>();
    try (Context ctx = new Context();
        Config config = new Config()) {
      ctx.setLogListener(LogLevel.DEBUG, (level, message) -> logLines.add(level + " " + message));

      // Statuses mapped into exceptions, with the library's message.
      String missing = tmp.resolve("missing.onnx").toString();
      EfficientQException io =
          expectStatus(Status.IO, () -> Model.loadOnnx(ctx, missing), "missing model");
      check(io.detail().contains(missing), "detail names the file: " + io.detail());
      check(io.function().equals("efq_model_load_onnx"), "function " + io.function());
      check(io.getCause() == null, "no cause");
      expectStatus(Status.FORMAT, () -> Model.loadEfq(ctx, model), "ONNX read as .efq");
      expectStatus(
          Status.INVALID_ARGUMENT, () -> config.setInt(Param.WBITS, 9), "WBITS 9");
      expectStatus(
          Status.INVALID_ARGUMENT, () -> config.setString(Param.METHOD, "bogus"), "METHOD bogus");
      expectStatus(
          Status.INVALID_ARGUMENT, () -> config.setString(Param.WBITS, "8"), "WBITS as a string");
      config.setReal(Param.OVERLAP, 0.5).setString(Param.SPLIT, "test");

      try (Model fp = Model.loadOnnx(ctx, model);
          Volume calib = Volume.loadNifti(ctx, calibPath)) {
        ModelInfo info = fp.info();
        check(info.num_quantizable == 16 && info.num_nodes > info.num_quantizable, "" + info);
        check(info.num_parameters > 0 && info.opset > 0, "" + info);
        check(fp.describeJson(null).startsWith("{"), "describe_json");
        long[] dims = calib.dims();
        check(dims[0] > 0 && dims[1] > 0 && dims[2] > 0 && calib.channels() == 1, "volume dims");

        // A listener that throws: the call is cancelled and the exception is the cause.
        RuntimeException boom = new IllegalStateException("listener failed");
        ctx.setProgressListener(
            p -> {
              throw boom;
            });
        EfficientQException cancelled =
            expectStatus(
                Status.CANCELLED,
                () -> fp.evaluateDice(ctx, dataset, config),
                "throwing progress listener");
        check(cancelled.getCause() == boom, "cause is the listener's exception");
        // A listener that returns false cancels without a cause.
        ctx.setProgressListener(p -> false);
        cancelled =
            expectStatus(
                Status.CANCELLED, () -> fp.evaluateDice(ctx, dataset, config), "listener false");
        check(cancelled.getCause() == null, "no cause when the listener returns false");
        // A throwing log listener never reaches native code; it becomes the cause.
        ctx.setLogListener(
            LogLevel.INFO,
            (level, message) -> {
              throw new IllegalArgumentException("log failed");
            });
        cancelled =
            expectStatus(
                Status.CANCELLED, () -> fp.evaluateDice(ctx, dataset, config), "log listener");
        check(
            cancelled.getCause() instanceof IllegalArgumentException,
            "log listener's exception: " + cancelled.getCause());
        ctx.setLogListener(LogLevel.DEBUG, (level, message) -> logLines.add(level + " " + message));

        // A quick quantization (round to nearest): progress, report, .efq round trip.
        List<Progress> reports = new ArrayList<>();
        ctx.setProgressListener(p -> reports.add(p));
        try (Config rtn = new Config().setString(Param.METHOD, "rtn").setInt(Param.WBITS, 4);
            Quantization q = fp.quantize(ctx, rtn, List.of(calib))) {
          check(!reports.isEmpty() && reports.get(0).stage.equals("quantize"), "quantize progress");
          Progress last = reports.get(reports.size() - 1);
          check(last.step == 16 && last.total == 16, "last progress " + last);
          check(q.report().toJson().contains("\"layers\""), "quantization report JSON");
          expectStatus(
              Status.INVALID_STATE,
              () -> q.report().meanForegroundDice(),
              "Dice of a quantization report");
          Path efq = tmp.resolve("brain_w4.efq");
          EfqSize size = q.model().saveEfq(efq.toString());
          check(size.file_bytes == Files.size(efq), "efq file size " + size);
          check(size.packed_code_bytes > 0 && size.packed_code_bytes < size.fp32_weight_bytes, "" + size);
          try (Model loaded = Model.loadEfq(ctx, efq.toString())) {
            check(loaded.info().num_quantizable == 16, "loaded .efq info");
          }
          check(q.model().saveOnnxQdq(tmp.resolve("brain_w4.onnx").toString()).isEmpty(), "notes");
        }
        check(logLines.stream().anyMatch(l -> l.startsWith("INFO ")), "log lines: " + logLines);
      }

      // Lifetime: close is idempotent, use after close throws, a closed context too.
      Model m = Model.loadOnnx(ctx, model);
      m.close();
      m.close();
      check(m.isClosed(), "isClosed");
      try {
        m.info();
        throw new AssertionError("info() after close");
      } catch (IllegalStateException expected) {
        checks++;
      }
      Config[] holder = new Config[1];
      try (Config c = new Config()) {
        holder[0] = c;
      }
      check(holder[0].isClosed(), "try-with-resources closed the configuration");
    }
    Context closed = new Context();
    closed.setProgressListener(p -> true);
    closed.close();
    closed.close();
    try {
      Model.loadOnnx(closed, model);
      throw new AssertionError("load with a closed context");
    } catch (IllegalStateException expected) {
      checks++;
    }
    System.out.println("BindingsTest: " + checks + " checks passed");
  }
}
