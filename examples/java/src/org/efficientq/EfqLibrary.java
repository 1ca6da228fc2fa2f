package org.efficientq;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.DoubleByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.util.Map;

/**
 * The raw JNA mapping of {@code include/efficientq/efficientq.h}, one method per C function.
 *
 * <p>Most code should use the wrappers ({@link Context}, {@link Model}, {@link Volume},
 * {@link Config}, {@link Report}), which check every status, own their handles and free the
 * strings the library returns. This interface is public for the calls the wrappers do not cover.
 *
 * <p>Type mapping: {@code efq_status}, {@code efq_param} and the other enums are {@code int};
 * {@code int64_t} is {@code long}; {@code size_t} is {@link SizeT}; opaque handles
 * are {@link Pointer}; out-pointers to handles and to library-owned strings are
 * {@link PointerByReference} (strings from {@code _out} parameters must be released with
 * {@link #efq_string_free}); {@code const char*} arguments are {@link String}s encoded as UTF-8.
 * The library is found by JNA's usual search, e.g. {@code -Djna.library.path=DIR} where DIR holds
 * {@code libefficientq.so}.
 */
public interface EfqLibrary extends Library {
  /** The loaded library (UTF-8 for every string). */
  EfqLibrary INSTANCE =
      Native.load("efficientq", EfqLibrary.class, Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));

  /** {@code efq_log_fn}: receives one UTF-8 line (no newline) on the thread running the call. */
  interface LogCallback extends Callback {
    /**
     * One log line.
     *
     * @param user the pointer given to {@code efq_context_set_log_callback}
     * @param level an {@code efq_log_level}
     * @param message a UTF-8 C string, valid during the call
     */
    void invoke(Pointer user, int level, Pointer message);
  }

  /** {@code efq_progress_fn}: returns non-zero to cancel the running call. */
  interface ProgressCallback extends Callback {
    /**
     * One progress report.
     *
     * @param user the pointer given to {@code efq_context_set_progress_callback}
     * @param progress an {@code efq_progress*} (see {@link Progress#read(Pointer)}), valid during
     *     the call
     * @return 0 to continue, non-zero to cancel
     */
    int invoke(Pointer user, Pointer progress);
  }

  // ---- Version
  /**
   * @return MAJOR*10000 + MINOR*100 + PATCH of the loaded library
   */
  int efq_version_number();
  /**
   * @return "MAJOR.MINOR.PATCH"
   */
  String efq_version_string();
  /**
   * @return one line of build information
   */
  String efq_build_info();

  // ---- Status
  /**
   * @param status an efq_status value
   * @return its static English name
   */
  String efq_status_string(int status);
  /**
   * @return the detail of the last failed call on this thread ("" if none)
   */
  String efq_last_error_message();
  /**
   * @param s a string returned by the library through an out-pointer (null is a no-op)
   */
  void efq_string_free(Pointer s);

  // ---- Context
  /**
   * @param ctxOut receives the context
   * @return efq_status
   */
  int efq_context_create(PointerByReference ctxOut);
  /**
   * @param ctx a context or null
   */
  void efq_context_destroy(Pointer ctx);
  /**
   * @param ctx the context
   * @param fn the callback or null to clear
   * @param user passed back to fn
   * @param maxLevel messages above this efq_log_level are dropped
   * @return efq_status
   */
  int efq_context_set_log_callback(Pointer ctx, LogCallback fn, Pointer user, int maxLevel);
  /**
   * @param ctx the context
   * @param fn the callback or null to clear
   * @param user passed back to fn
   * @return efq_status
   */
  int efq_context_set_progress_callback(Pointer ctx, ProgressCallback fn, Pointer user);

  // ---- Configuration
  /**
   * @param configOut receives the configuration
   * @return efq_status
   */
  int efq_config_create(PointerByReference configOut);
  /**
   * @param config a configuration or null
   */
  void efq_config_destroy(Pointer config);
  /**
   * @param config the configuration
   * @param param an efq_param
   * @param value the value
   * @return efq_status
   */
  int efq_config_set_int(Pointer config, int param, long value);
  /**
   * @param config the configuration
   * @param param an efq_param
   * @param value the value
   * @return efq_status
   */
  int efq_config_set_real(Pointer config, int param, double value);
  /**
   * @param config the configuration
   * @param param an efq_param
   * @param value the value
   * @return efq_status
   */
  int efq_config_set_string(Pointer config, int param, String value);
  /**
   * @param param a numeric efq_param
   * @param minOut receives the minimum
   * @param maxOut receives the maximum
   * @param defaultOut receives the default
   * @return efq_status
   */
  int efq_param_bounds(
      int param, DoubleByReference minOut, DoubleByReference maxOut, DoubleByReference defaultOut);
  /**
   * @param param an efq_param (any value: unknown ones give EFQ_ERR_INVALID_ARGUMENT)
   * @param infoOut struct_size set by the caller; its strings are static storage, never freed
   * @return efq_status
   */
  int efq_param_get_info(int param, ParamInfo.Raw infoOut);
  /**
   * @param paramsOut receives min(capacity, n) efq_param values, increasing (null when capacity
   *     is 0)
   * @param capacity paramsOut.length
   * @param countOut receives n, the number of parameters the library knows
   * @return efq_status
   */
  int efq_param_list(int[] paramsOut, SizeT capacity, SizeT.ByReference countOut);

  // ---- Model
  /**
   * @param ctx the context
   * @param path an ONNX file
   * @param modelOut receives the model
   * @return efq_status
   */
  int efq_model_load_onnx(Pointer ctx, String path, PointerByReference modelOut);
  /**
   * @param model a model or null
   */
  void efq_model_destroy(Pointer model);
  /**
   * @param model the model
   * @param infoOut struct_size set by the caller
   * @return efq_status
   */
  int efq_model_get_info(Pointer model, ModelInfo infoOut);
  /**
   * @param model the model
   * @param roiDhw three sizes or null
   * @param jsonOut receives a string to free with efq_string_free
   * @return efq_status
   */
  int efq_model_describe_json(Pointer model, long[] roiDhw, PointerByReference jsonOut);

  // ---- Volume
  /**
   * @param ctx the context
   * @param paths one NIfTI file per modality
   * @param count paths.length
   * @param volumeOut receives the volume
   * @return efq_status
   */
  int efq_volume_load_nifti(Pointer ctx, String[] paths, SizeT count, PointerByReference volumeOut);
  /**
   * @param volume a volume or null
   */
  void efq_volume_destroy(Pointer volume);
  /**
   * @param volume the volume
   * @param dimsOut 3 values
   * @param channelsOut modalities
   * @return efq_status
   */
  int efq_volume_get_dims(Pointer volume, long[] dimsOut, LongByReference channelsOut);

  // ---- Quantization
  /**
   * @param ctx the context
   * @param model the FP32 model
   * @param calibration calibration volumes
   * @param count calibration.length
   * @param config a configuration or null
   * @param quantizedOut receives the new model
   * @param reportOut receives the report (may be null)
   * @return efq_status
   */
  int efq_quantize(
      Pointer ctx,
      Pointer model,
      Pointer[] calibration,
      SizeT count,
      Pointer config,
      PointerByReference quantizedOut,
      PointerByReference reportOut);
  /**
   * @param model the model
   * @param path the ONNX file to write
   * @return efq_status
   */
  int efq_model_save_onnx(Pointer model, String path);
  /**
   * @param model a quantized model
   * @param path the QDQ ONNX file to write
   * @param notesOut receives a string to free with efq_string_free (may be null)
   * @return efq_status
   */
  int efq_model_save_onnx_qdq(Pointer model, String path, PointerByReference notesOut);
  /**
   * @param model the model
   * @param path the .efq file
   * @param sizeOut sizes or null
   * @return efq_status
   */
  int efq_model_save_efq(Pointer model, String path, EfqSize sizeOut);
  /**
   * @param ctx the context
   * @param path a .efq file
   * @param modelOut receives the model
   * @return efq_status
   */
  int efq_model_load_efq(Pointer ctx, String path, PointerByReference modelOut);

  // ---- Evaluation and reports
  /**
   * @param ctx the context
   * @param model the model
   * @param datasetDir an nnU-Net v2 raw dataset
   * @param config a configuration or null
   * @param reportOut receives the report
   * @return efq_status
   */
  int efq_evaluate_dice(
      Pointer ctx, Pointer model, String datasetDir, Pointer config, PointerByReference reportOut);
  /**
   * @param report an evaluation report
   * @param out receives the Dice
   * @return efq_status
   */
  int efq_report_get_mean_foreground_dice(Pointer report, DoubleByReference out);
  /**
   * @param report the report
   * @param jsonOut receives a string to free with efq_string_free
   * @return efq_status
   */
  int efq_report_to_json(Pointer report, PointerByReference jsonOut);
  /**
   * @param report a report or null
   */
  void efq_report_destroy(Pointer report);

  // ---- Overlay pictures
  /**
   * @param ctx a context or null
   * @param imagePath the NIfTI image drawn in grey
   * @param segPath the label map whose contours are drawn
   * @param comparePath a second label map, or null
   * @param plane an efq_plane
   * @param slice the slice index, -1 = the one with the most labelled voxels
   * @param pngPath the PNG to write
   * @param sliceOut receives the slice drawn (may be null)
   * @return efq_status
   */
  int efq_render_overlay_png(
      Pointer ctx,
      String imagePath,
      String segPath,
      String comparePath,
      int plane,
      long slice,
      String pngPath,
      LongByReference sliceOut);
  /**
   * @param ctx a context or null
   * @param imagePath the NIfTI image drawn in grey
   * @param segPath the label map whose contours are drawn
   * @param comparePath a second label map, or null
   * @param plane an efq_plane
   * @param slice the slice index, -1 = the one with the most labelled voxels
   * @param scale pixels per voxel along each axis, 1..16
   * @param pngPath the PNG to write
   * @param sliceOut receives the slice drawn (may be null)
   * @return efq_status
   */
  int efq_render_overlay_png_scaled(
      Pointer ctx,
      String imagePath,
      String segPath,
      String comparePath,
      int plane,
      long slice,
      long scale,
      String pngPath,
      LongByReference sliceOut);
}
