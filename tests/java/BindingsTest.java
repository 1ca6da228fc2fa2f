package org.efficientq.test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
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
import org.efficientq.Overlay;
import org.efficientq.Param;
import org.efficientq.ParamInfo;
import org.efficientq.ParamScope;
import org.efficientq.ParamType;
import org.efficientq.Plane;
import org.efficientq.Progress;
import org.efficientq.Quantization;
import org.efficientq.Status;
import org.efficientq.Volume;
import org.efficientq.example.Quantize;

/**
 * Checks of the Java bindings that the example run does not reach: pinned enum values against the
 * header, statuses mapped into exceptions, listener exceptions that cancel a call, handle
 * lifetime, the .efq round trip, the parameter table (the library's list against {@link Param})
 * and the scaled overlay PNG.
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

  /** The library's parameter table ({@code efq_param_list}, {@code efq_param_get_info}). */
  private static void checkParamTable() {
    List<ParamInfo> listed = Param.listFromLibrary();
    check(!listed.isEmpty(), "the library lists its parameters");
    for (int i = 1; i < listed.size(); i++) {
      check(listed.get(i - 1).code() < listed.get(i).code(), "strictly increasing at " + i);
    }
    // The binding's enum is the library's table: every constant listed, every listed code named.
    TreeSet<Integer> library = new TreeSet<>();
    for (ParamInfo info : listed) library.add(info.code());
    TreeSet<Integer> binding = new TreeSet<>();
    for (Param p : Param.values()) binding.add(p.code());
    check(library.equals(binding), "Param names the library's parameters: library " + library
        + ", Param " + binding);
    for (ParamInfo info : listed) {
      String what = "parameter " + info;
      check(!info.name().isEmpty() && !info.help().isEmpty(), what + ": name and help");
      check(info.param().map(Param::code).orElse(info.code()) == info.code(), what + ": param()");
      check(
          info.type() != ParamType.UNKNOWN && info.scope() != ParamScope.UNKNOWN,
          what + ": type and scope known");
      if (info.type() == ParamType.STRING) {
        check(info.min() == 0 && info.max() == 0 && info.defaultValue() == 0, what + ": bounds 0");
      } else {
        check(info.min() <= info.defaultValue() && info.defaultValue() <= info.max(),
            what + ": min <= default <= max");
        check(info.defaultString().isEmpty(), what + ": no default string");
        Param.Bounds b = info.param().orElseThrow().bounds();
        boolean same = b.min() == info.min() && b.max() == info.max();
        check(same && b.defaultValue() == info.defaultValue(), what + ": as bounds() " + b);
      }
    }
    ParamInfo wbits = Param.WBITS.info();
    check(wbits.param().equals(Optional.of(Param.WBITS)) && wbits.type() == ParamType.INT
        && wbits.scope() == ParamScope.QUANTIZATION && wbits.min() == 2 && wbits.max() == 8
        && wbits.defaultValue() == 4 && wbits.name().equals("weight bits"), "WBITS " + wbits);
    ParamInfo method = Param.METHOD.info();
    check(method.type() == ParamType.STRING && method.defaultString().equals("efficientq"),
        "METHOD " + method);
    check(Param.MEMORY_LIMIT_MB.info().scope() == ParamScope.CONTEXT, "MEMORY_LIMIT_MB scope");
    check(Param.fromCode(40).equals(Optional.of(Param.WBITS)), "Param.fromCode(40)");
    check(Param.fromCode(9999).isEmpty(), "Param.fromCode of an unknown value");
    check(
        ParamType.fromCode(7) == ParamType.UNKNOWN && ParamScope.fromCode(-3) == ParamScope.UNKNOWN,
        "unknown type and scope values");
    EfficientQException e =
        expectStatus(Status.INVALID_ARGUMENT, () -> ParamInfo.of(9999), "info of parameter 9999");
    check(e.detail().contains("9999") && e.function().equals("efq_param_get_info"), e.getMessage());
    check(new ParamInfo.Raw().size() == 72, "sizeof(efq_param_info)");
  }

  /** Width and height from a PNG's IHDR chunk. */
  private static int[] pngSize(Path png) throws Exception {
    byte[] b = Files.readAllBytes(png);
    byte[] magic = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    check(b.length >= 24 && Arrays.equals(Arrays.copyOf(b, 8), magic), png + " is a PNG");
    check(new String(b, 12, 4, StandardCharsets.US_ASCII).equals("IHDR"), "IHDR");
    ByteBuffer be = ByteBuffer.wrap(b, 16, 8); // big-endian by default
    return new int[] {be.getInt(), be.getInt()};
  }

  /** The scaled overlay: scale 1 is the unscaled PNG byte for byte, scale 2 doubles it. */
  private static void checkOverlay(Path src, Path tmp) throws Exception {
    String image = src.resolve("tests/data/brain/imagesTs/colin_ch2_0000.nii.gz").toString();
    String seg = src.resolve("tests/data/brain/labelsTs/colin_ch2.nii.gz").toString();
    Path plain = tmp.resolve("overlay.png");
    Path one = tmp.resolve("overlay-x1.png");
    Path two = tmp.resolve("overlay-x2.png");
    long s0;
    long s1;
    long s2;
    try (Context ctx = new Context()) {
      s0 = Overlay.renderPng(ctx, image, seg, null, Plane.SAGITTAL, -1, plain.toString());
      s1 = Overlay.renderPngScaled(null, image, seg, null, Plane.SAGITTAL, -1, 1, one.toString());
      s2 = Overlay.renderPngScaled(ctx, image, seg, seg, Plane.SAGITTAL, s0, 2, two.toString());
    }
    check(s0 >= 0 && s1 == s0 && s2 == s0, "overlay slices " + s0 + " " + s1 + " " + s2);
    check(Arrays.equals(Files.readAllBytes(plain), Files.readAllBytes(one)),
        "scale 1 writes the unscaled PNG byte for byte");
    int[] size1 = pngSize(one);
    int[] size2 = pngSize(two);
    check(size1[0] > 0 && size1[1] > 0 && size2[0] == 2 * size1[0] && size2[1] == 2 * size1[1],
        "scale 2: " + Arrays.toString(size2) + ", scale 1: " + Arrays.toString(size1));
    Path bad = tmp.resolve("overlay-bad.png");
    expectStatus(Status.INVALID_ARGUMENT,
        () -> Overlay.renderPngScaled(null, image, seg, null, Plane.AXIAL, -1, 0, bad.toString()),
        "overlay scale 0");
    check(!Files.exists(bad), "no file after a refused scale");
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
    checkParamTable();
    checkOverlay(src, tmp);

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
