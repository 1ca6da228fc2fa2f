package org.efficientq;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.List;

/**
 * {@code efq_model}: an imported network (BatchNorm folded, operators checked), FP32 or
 * quantized. Immutable once loaded; may be used read-only by calls running in parallel.
 *
 * <pre>{@code
 * try (Model model = Model.loadOnnx(ctx, "brain.onnx");
 *      Volume calib = Volume.loadNifti(ctx, "calib.nii.gz");
 *      Config config = new Config().setInt(Param.WBITS, 8);
 *      Quantization q = model.quantize(ctx, config, List.of(calib))) {
 *   q.model().saveOnnxQdq("brain_w8a8.onnx");
 * }
 * }</pre>
 */
public final class Model extends NativeHandle {
  Model(Pointer handle) {
    super(handle);
  }

  /**
   * Loads an FP32 ONNX file ({@code efq_model_load_onnx}).
   *
   * @param ctx the context (log)
   * @param path the .onnx file
   * @return the model
   * @throws EfficientQException naming the file, node, operator or attribute that failed
   */
  public static Model loadOnnx(Context ctx, String path) {
    PointerByReference out = new PointerByReference();
    Errors.check(
        EfqLibrary.INSTANCE.efq_model_load_onnx(ctx.pointer(), path, out),
        "efq_model_load_onnx",
        ctx);
    return new Model(out.getValue());
  }

  /**
   * Loads a packed {@code .efq} file ({@code efq_model_load_efq}).
   *
   * @param ctx the context (log)
   * @param path the .efq file
   * @return the model, running bit for bit as the one that was saved
   * @throws EfficientQException {@link Status#FORMAT} for a bad magic, truncation or checksum
   */
  public static Model loadEfq(Context ctx, String path) {
    PointerByReference out = new PointerByReference();
    Errors.check(
        EfqLibrary.INSTANCE.efq_model_load_efq(ctx.pointer(), path, out),
        "efq_model_load_efq",
        ctx);
    return new Model(out.getValue());
  }

  /**
   * A summary of the model ({@code efq_model_get_info}).
   *
   * @return the summary
   */
  public ModelInfo info() {
    ModelInfo info = new ModelInfo();
    Errors.check(EfqLibrary.INSTANCE.efq_model_get_info(pointer(), info), "efq_model_get_info");
    return info;
  }

  /**
   * The model as JSON ({@code efq_model_describe_json}): inputs, outputs, layers with shapes,
   * quantizable flags, metadata.
   *
   * @param roiDhw the input size (D, H, W) to compute shapes for, or null for the model's own
   * @return the JSON text
   */
  public String describeJson(long[] roiDhw) {
    if (roiDhw != null && roiDhw.length != 3) {
      throw new IllegalArgumentException("roiDhw must have 3 values");
    }
    PointerByReference out = new PointerByReference();
    Errors.check(
        EfqLibrary.INSTANCE.efq_model_describe_json(pointer(), roiDhw, out),
        "efq_model_describe_json");
    return Errors.takeString(out);
  }

  /**
   * Quantizes this model ({@code efq_quantize}) with EfficientQ or the baseline chosen by
   * {@link Param#METHOD}. This model is not modified. Progress goes to the context's listener
   * (stage "quantize", one step per layer).
   *
   * @param ctx the context
   * @param config the configuration, or null for the model's and the library's defaults
   * @param calibration calibration cases, with the model's modalities
   * @return the quantized model and the report, to close together
   * @throws EfficientQException on failure, {@link Status#CANCELLED} when the listener stopped it
   */
  public Quantization quantize(Context ctx, Config config, List<Volume> calibration) {
    Pointer[] volumes = new Pointer[calibration.size()];
    for (int i = 0; i < volumes.length; i++) volumes[i] = calibration.get(i).pointer();
    PointerByReference quantized = new PointerByReference();
    PointerByReference report = new PointerByReference();
    Errors.check(
        EfqLibrary.INSTANCE.efq_quantize(
            ctx.pointer(),
            pointer(),
            volumes,
            new SizeT(volumes.length),
            config == null ? null : config.pointer(),
            quantized,
            report),
        "efq_quantize",
        ctx);
    Model model = new Model(quantized.getValue());
    Pointer r = report.getValue();
    if (r == null) {
      model.close();
      throw new IllegalStateException("efq_quantize returned no report");
    }
    return new Quantization(model, new Report(r));
  }

  /**
   * Writes the model as ONNX with FP32 operators ({@code efq_model_save_onnx}); atomically.
   *
   * @param path the file to write
   */
  public void saveOnnx(String path) {
    Errors.check(EfqLibrary.INSTANCE.efq_model_save_onnx(pointer(), path), "efq_model_save_onnx");
  }

  /**
   * Writes a quantized model as QDQ ONNX ({@code efq_model_save_onnx_qdq}); atomically.
   *
   * @param path the file to write
   * @return the notes (layers kept in float, one per line), "" when there are none
   */
  public String saveOnnxQdq(String path) {
    PointerByReference notes = new PointerByReference();
    Errors.check(
        EfqLibrary.INSTANCE.efq_model_save_onnx_qdq(pointer(), path, notes),
        "efq_model_save_onnx_qdq");
    String text = Errors.takeString(notes);
    return text == null ? "" : text;
  }

  /**
   * Writes the packed {@code .efq} file ({@code efq_model_save_efq}); atomically.
   *
   * @param path the file to write
   * @return the packed-code bytes, the FP32 bytes of the same weights and the file size
   */
  public EfqSize saveEfq(String path) {
    EfqSize size = new EfqSize();
    Errors.check(
        EfqLibrary.INSTANCE.efq_model_save_efq(pointer(), path, size), "efq_model_save_efq");
    return size;
  }

  /**
   * Segments every case of a dataset split ({@link Param#SPLIT}, default "test") and scores Dice
   * ({@code efq_evaluate_dice}). Progress: stage "evaluate", one step per case.
   *
   * @param ctx the context
   * @param datasetDir an nnU-Net v2 raw dataset
   * @param config the configuration, or null
   * @return the evaluation report
   * @throws EfficientQException on failure, {@link Status#CANCELLED} when the listener stopped it
   */
  public Report evaluateDice(Context ctx, String datasetDir, Config config) {
    PointerByReference out = new PointerByReference();
    Errors.check(
        EfqLibrary.INSTANCE.efq_evaluate_dice(
            ctx.pointer(), pointer(), datasetDir, config == null ? null : config.pointer(), out),
        "efq_evaluate_dice",
        ctx);
    return new Report(out.getValue());
  }

  @Override
  void destroy(Pointer handle) {
    EfqLibrary.INSTANCE.efq_model_destroy(handle);
  }
}
