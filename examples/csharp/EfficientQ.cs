// EfficientQ.cs — C# bindings (P/Invoke) for libefficientq's C ABI (include/efficientq/efficientq.h).
//
// Everything goes through the C functions; this file adds no ABI of its own. It builds with Mono's
// `mcs` (C# 6, no unsafe code) and runs on Mono or .NET:
//
//   - native objects are owned by SafeHandle subclasses whose ReleaseHandle calls the matching
//     efq_*_destroy; the wrapper classes (Context, Config, Model, Volume, Report) are IDisposable;
//   - every non-OK efq_status becomes an EfficientQException carrying the status, its name
//     (efq_status_string) and efq_last_error_message(), read on the failing thread at once;
//   - strings cross the boundary as UTF-8 encoded and decoded here by hand (Mono's LPUTF8Str
//     support varies); strings the library hands over are freed with efq_string_free;
//   - the progress and log callbacks are delegates kept alive by the context's handle, so for as
//     long as the native context can call them. A managed exception never unwinds into native
//     code: the callbacks catch it; the progress callback then cancels the running call, and the
//     resulting EfficientQException (Status.Cancelled) carries it as InnerException.
//
// Threading follows the header: different objects may be used from different threads at once,
// one object not from two threads at once.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace EfficientQ
{
    /// <summary>Result of every fallible call (efq_status). Values are pinned by the ABI.</summary>
    public enum Status
    {
        Ok = 0,
        /// <summary>A NULL handle, an out-of-range parameter, a wrong shape.</summary>
        InvalidArgument = 1,
        /// <summary>A file cannot be opened, read or written.</summary>
        Io = 2,
        /// <summary>A file is corrupt or not of the expected format.</summary>
        Format = 3,
        /// <summary>Valid input the library does not handle (operator, type).</summary>
        Unsupported = 4,
        OutOfMemory = 5,
        /// <summary>The compute backend failed.</summary>
        Backend = 6,
        /// <summary>NaN/Inf in data or a numerical breakdown.</summary>
        Numerical = 7,
        /// <summary>A progress callback asked to stop.</summary>
        Cancelled = 8,
        /// <summary>The call is not valid for the object's current state.</summary>
        InvalidState = 9,
        /// <summary>A bug in the library: please report it with the message.</summary>
        Internal = 99,
    }

    /// <summary>Severity of a log line (efq_log_level).</summary>
    public enum LogLevel
    {
        Error = 0,
        Warning = 1,
        Info = 2,
        Debug = 3,
    }

    /// <summary>
    /// Configuration parameters (efq_param); values are pinned by the ABI. The comment of each
    /// names its type: set it with <see cref="Config.SetInt"/>, <see cref="Config.SetReal"/> or
    /// <see cref="Config.SetString"/>. Unset parameters take the model metadata's value, else the
    /// default; <see cref="Config.GetBounds"/> gives the range and default of a numeric one.
    /// </summary>
    public enum Param
    {
        /// <summary>int, 0 = library default.</summary>
        Threads = 1,
        /// <summary>string, "cpu".</summary>
        Device = 2,
        /// <summary>int, sliding-window size along the network's D, 0 = unset.</summary>
        RoiD = 10,
        /// <summary>int.</summary>
        RoiH = 11,
        /// <summary>int.</summary>
        RoiW = 12,
        /// <summary>real in [0, 1).</summary>
        Overlap = 13,
        /// <summary>string: "gaussian" | "constant".</summary>
        Blend = 14,
        /// <summary>string: "ijk" | "kji".</summary>
        Axes = 15,
        /// <summary>string: none | zscore | zscore-nonzero | ct:LO,HI | pct:P1,P2 (per modality, ';'-joined).</summary>
        Normalization = 16,
        /// <summary>real mm along voxel axis i, 0 = unset (set all three together).</summary>
        SpacingX = 17,
        /// <summary>real.</summary>
        SpacingY = 18,
        /// <summary>real.</summary>
        SpacingZ = 19,
        /// <summary>string: "none" | "softmax" | "sigmoid".</summary>
        Activation = 20,
        /// <summary>real, sigmoid threshold.</summary>
        Threshold = 21,
        /// <summary>string: dataset split for evaluation, "test" | "train".</summary>
        Split = 30,
        /// <summary>int 0/1: keep probability maps in a segmentation.</summary>
        WantProbabilities = 31,
        /// <summary>int 2..8, weight bits (default 4).</summary>
        WBits = 40,
        /// <summary>int 0 or 2..8, activation bits; 0 = weights only (default 8).</summary>
        ABits = 41,
        /// <summary>string: "efficientq" (default) | "rtn" | "mse".</summary>
        Method = 42,
        /// <summary>string: "symmetric" (default) | "asymmetric" | "faithful".</summary>
        Grid = 43,
        /// <summary>int 0/1: one weight scale per layer instead of per channel.</summary>
        PerTensor = 44,
        /// <summary>string: "NAME=w8,a8;NAME=skip;NAME=a-none".</summary>
        LayerOverrides = 45,
        /// <summary>int 0/1 (default 1): class-balancing attention.</summary>
        Attention = 46,
        /// <summary>int 0/1 (default 1): the pull towards the FP weights.</summary>
        Regularizer = 47,
        /// <summary>int 1..10000, ADMM iterations (default 200).</summary>
        Iterations = 48,
        /// <summary>real &gt; 0, initial rho multiplier (default 10).</summary>
        Rho = 49,
        /// <summary>real &gt;= 0, eta multiplier (default 1).</summary>
        Eta = 50,
        /// <summary>int, calibration crop along D; 0 = the METHOD §1.4 rule.</summary>
        CalibCropD = 51,
        /// <summary>int.</summary>
        CalibCropH = 52,
        /// <summary>int.</summary>
        CalibCropW = 53,
        /// <summary>int 0/1: attention weight 1 where the first modality is 0.</summary>
        BodyMask = 54,
        /// <summary>int 0/1 (default 1): first and last layer W8, FP input.</summary>
        FirstLast8Bit = 55,
        /// <summary>int 0/1 (default 0): run quantized models with real int8 convolutions.</summary>
        Int8 = 56,
        /// <summary>int 0/1 (default 0): choose each activation scale by the layer's output error.</summary>
        ActScaleSearch = 57,
    }

    /// <summary>A failed library call: the efq_status and the library's description of it.</summary>
    public sealed class EfficientQException : Exception
    {
        /// <summary>The status the call returned (never <see cref="EfficientQ.Status.Ok"/>).</summary>
        public Status Status { get; private set; }
        /// <summary>efq_status_string(Status), e.g. "I/O error".</summary>
        public string StatusName { get; private set; }
        /// <summary>efq_last_error_message() right after the call: what failed and where (may be "").</summary>
        public string Detail { get; private set; }
        /// <summary>The C function that failed, e.g. "efq_model_load_onnx".</summary>
        public string Function { get; private set; }

        internal EfficientQException(Status status, string statusName, string detail, string function,
                                     Exception inner)
            : base(function + ": " + statusName + (detail.Length > 0 ? " (" + detail + ")" : ""), inner)
        {
            Status = status;
            StatusName = statusName;
            Detail = detail;
            Function = function;
        }
    }

    /// <summary>Summary of a model (efq_model_info).</summary>
    public struct ModelInfo
    {
        /// <summary>-1 when the model does not declare it.</summary>
        public long InputChannels;
        public long NumNodes;
        /// <summary>Conv/ConvTranspose layers with constant weights.</summary>
        public long NumQuantizable;
        /// <summary>Float parameters after BatchNorm folding.</summary>
        public long NumParameters;
        public long Opset;
    }

    /// <summary>Sizes of a written .efq file (efq_efq_size).</summary>
    public struct EfqSize
    {
        /// <summary>Bytes of the bit-packed weight codes.</summary>
        public long PackedCodeBytes;
        /// <summary>Bytes of the same weights in FP32.</summary>
        public long Fp32WeightBytes;
        public long FileBytes;
    }

    /// <summary>Range and default of a numeric parameter (efq_param_bounds).</summary>
    public struct ParamBounds
    {
        public double Min;
        public double Max;
        public double Default;
    }

    /// <summary>One progress report of a long call (efq_progress).</summary>
    public struct Progress
    {
        /// <summary>"quantize", "evaluate", "segment", ...</summary>
        public string Stage;
        /// <summary>Steps done in this stage (layers, cases, windows).</summary>
        public long Step;
        /// <summary>Steps in this stage.</summary>
        public long Total;
        /// <summary>Current layer or case name, may be "".</summary>
        public string Item;
    }

    /// <summary>Receives progress; return false to cancel the running call (it then fails with
    /// <see cref="Status.Cancelled"/> and returns nothing). Throwing cancels too.</summary>
    public delegate bool ProgressHandler(Progress progress);

    /// <summary>Receives one log line (no newline) on the thread running the call. An exception it
    /// throws is caught and discarded (logging cannot cancel a call).</summary>
    public delegate void LogHandler(LogLevel level, string message);

    /// <summary>Version and build information of the loaded library, and status names.</summary>
    public static class Library
    {
        /// <summary>The ABI major version these bindings were written against.</summary>
        public const int BindingsVersionMajor = 0;
        /// <summary>MAJOR*10000 + MINOR*100 + PATCH of the header these bindings mirror.</summary>
        public const int BindingsVersionNumber = 100;

        /// <summary>MAJOR*10000 + MINOR*100 + PATCH of the loaded library.</summary>
        public static uint VersionNumber { get { return NativeMethods.efq_version_number(); } }
        /// <summary>"MAJOR.MINOR.PATCH" of the loaded library.</summary>
        public static string VersionString { get { return Utf8.FromNative(NativeMethods.efq_version_string()); } }
        /// <summary>One line of build information (backends, dependency versions).</summary>
        public static string BuildInfo { get { return Utf8.FromNative(NativeMethods.efq_build_info()); } }
        /// <summary>True when the loaded library's major version is the one of these bindings.</summary>
        public static bool IsCompatible { get { return VersionNumber / 10000 == BindingsVersionMajor; } }

        /// <summary>efq_status_string: a short English name of any status value.</summary>
        public static string StatusString(Status status)
        {
            return Utf8.FromNative(NativeMethods.efq_status_string(status));
        }

        /// <summary>Throws the EfficientQException for a non-OK status; reads the thread's last
        /// error message, so call it right after the failed call.</summary>
        internal static void Check(Status status, string function, Exception inner = null)
        {
            if (status == Status.Ok) return;
            string detail = Utf8.FromNative(NativeMethods.efq_last_error_message());
            throw new EfficientQException(status, StatusString(status), detail, function, inner);
        }
    }

    // ---- Handles ------------------------------------------------------------------------------

    /// <summary>Owns an efq_context*; releasing it calls efq_context_destroy. It also keeps the
    /// context's callback delegates alive for as long as the native context exists.</summary>
    public sealed class ContextHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        internal NativeMethods.ProgressFn ProgressThunk;
        internal NativeMethods.LogFn LogThunk;
        private Exception _callbackException;

        private ContextHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.efq_context_destroy(handle);
            return true;
        }

        /// <summary>Remembers the first exception a callback caught during the running call.</summary>
        internal void RecordCallbackException(Exception e)
        {
            Interlocked.CompareExchange(ref _callbackException, e, null);
        }

        /// <summary>Takes (and clears) what RecordCallbackException remembered.</summary>
        internal Exception TakeCallbackException()
        {
            return Interlocked.Exchange(ref _callbackException, null);
        }
    }

    /// <summary>Owns an efq_config*; releasing it calls efq_config_destroy.</summary>
    public sealed class ConfigHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private ConfigHandle() : base(true) { }
        private ConfigHandle(bool ownsHandle) : base(ownsHandle) { }

        /// <summary>A handle standing for NULL (an optional config left out).</summary>
        internal static ConfigHandle Null() { return new ConfigHandle(false); }

        protected override bool ReleaseHandle()
        {
            NativeMethods.efq_config_destroy(handle);
            return true;
        }
    }

    /// <summary>Owns an efq_model*; releasing it calls efq_model_destroy.</summary>
    public sealed class ModelHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private ModelHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.efq_model_destroy(handle);
            return true;
        }
    }

    /// <summary>Owns an efq_volume*; releasing it calls efq_volume_destroy.</summary>
    public sealed class VolumeHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private VolumeHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.efq_volume_destroy(handle);
            return true;
        }
    }

    /// <summary>Owns an efq_report*; releasing it calls efq_report_destroy.</summary>
    public sealed class ReportHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private ReportHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.efq_report_destroy(handle);
            return true;
        }
    }

    /// <summary>Common part of the wrapper classes: one owned handle, disposed once.</summary>
    public abstract class NativeObject<THandle> : IDisposable where THandle : SafeHandle
    {
        private readonly THandle _handle;

        internal NativeObject(THandle handle)
        {
            _handle = handle;
        }

        /// <summary>The owned handle (ObjectDisposedException once disposed).</summary>
        public THandle Handle
        {
            get
            {
                if (_handle.IsClosed) throw new ObjectDisposedException(GetType().Name);
                return _handle;
            }
        }

        /// <summary>Destroys the native object now (later calls throw ObjectDisposedException).</summary>
        public void Dispose()
        {
            _handle.Dispose();
        }
    }

    // ---- Context ------------------------------------------------------------------------------

    /// <summary>Shared state of a host: the log and progress callbacks (efq_context).</summary>
    public sealed class Context : NativeObject<ContextHandle>
    {
        public Context() : base(Create()) { }

        private static ContextHandle Create()
        {
            ContextHandle h;
            Library.Check(NativeMethods.efq_context_create(out h), "efq_context_create");
            return h;
        }

        /// <summary>Sets the progress handler, or clears it with null.</summary>
        public void SetProgressHandler(ProgressHandler handler)
        {
            ContextHandle h = Handle;
            NativeMethods.ProgressFn thunk = null;
            if (handler != null)
            {
                thunk = (user, progress) =>
                {
                    try
                    {
                        Progress p;
                        if (!NativeMethods.ReadProgress(progress, out p)) return 0; // older library
                        return handler(p) ? 0 : 1;
                    }
                    catch (Exception e)
                    {
                        h.RecordCallbackException(e);
                        return 1; // cancel: the call then fails with Status.Cancelled
                    }
                };
            }
            Library.Check(NativeMethods.efq_context_set_progress_callback(h, thunk, IntPtr.Zero),
                          "efq_context_set_progress_callback");
            h.ProgressThunk = thunk; // the native context now calls this delegate: keep it alive
        }

        /// <summary>Sets the log handler (lines above maxLevel are dropped), or clears it with null.</summary>
        public void SetLogHandler(LogHandler handler, LogLevel maxLevel = LogLevel.Warning)
        {
            ContextHandle h = Handle;
            NativeMethods.LogFn thunk = null;
            if (handler != null)
            {
                thunk = (user, level, message) =>
                {
                    try
                    {
                        handler(level, Utf8.FromNative(message));
                    }
                    catch (Exception)
                    {
                        // Never unwind into native code; a log line cannot cancel the call.
                    }
                };
            }
            Library.Check(NativeMethods.efq_context_set_log_callback(h, thunk, IntPtr.Zero, maxLevel),
                          "efq_context_set_log_callback");
            h.LogThunk = thunk;
        }

        /// <summary>Checks the status of a call that ran with this context's callbacks: a
        /// cancellation caused by a throwing progress handler carries that exception.</summary>
        internal void Check(Status status, string function)
        {
            Exception inner = Handle.TakeCallbackException();
            Library.Check(status, function, inner);
        }
    }

    // ---- Configuration ------------------------------------------------------------------------

    /// <summary>A set of parameter values (efq_config). Setters validate at once and return this.</summary>
    public sealed class Config : NativeObject<ConfigHandle>
    {
        public Config() : base(Create()) { }

        private static ConfigHandle Create()
        {
            ConfigHandle h;
            Library.Check(NativeMethods.efq_config_create(out h), "efq_config_create");
            return h;
        }

        /// <summary>Sets an int parameter (Status.InvalidArgument when out of bounds or not an int).</summary>
        public Config SetInt(Param param, long value)
        {
            Library.Check(NativeMethods.efq_config_set_int(Handle, param, value), "efq_config_set_int");
            return this;
        }

        /// <summary>Sets a real parameter.</summary>
        public Config SetReal(Param param, double value)
        {
            Library.Check(NativeMethods.efq_config_set_real(Handle, param, value), "efq_config_set_real");
            return this;
        }

        /// <summary>Sets a string parameter (copied and validated now).</summary>
        public Config SetString(Param param, string value)
        {
            if (value == null) throw new ArgumentNullException("value");
            Library.Check(NativeMethods.efq_config_set_string(Handle, param, Utf8.ToNative(value)),
                          "efq_config_set_string");
            return this;
        }

        /// <summary>Bounds and default of a numeric parameter (string ones: Status.InvalidArgument).</summary>
        public static ParamBounds GetBounds(Param param)
        {
            ParamBounds b;
            Library.Check(NativeMethods.efq_param_bounds(param, out b.Min, out b.Max, out b.Default),
                          "efq_param_bounds");
            return b;
        }

        internal static ConfigHandle HandleOrNull(Config config)
        {
            return config != null ? config.Handle : ConfigHandle.Null();
        }
    }

    // ---- Volume -------------------------------------------------------------------------------

    /// <summary>One case: one NIfTI image per modality, on one grid (efq_volume).</summary>
    public sealed class Volume : NativeObject<VolumeHandle>
    {
        private Volume(VolumeHandle h) : base(h) { }

        /// <summary>Reads NIfTI files (.nii / .nii.gz) as the modalities of one case, in channel order.</summary>
        public static Volume LoadNifti(Context context, params string[] paths)
        {
            if (context == null) throw new ArgumentNullException("context");
            if (paths == null || paths.Length == 0) throw new ArgumentException("no paths", "paths");
            var native = new IntPtr[paths.Length];
            try
            {
                for (int i = 0; i < paths.Length; ++i) native[i] = Utf8.AllocHGlobal(paths[i]);
                VolumeHandle h;
                Status s = NativeMethods.efq_volume_load_nifti(context.Handle, native,
                                                               (UIntPtr)native.Length, out h);
                context.Check(s, "efq_volume_load_nifti");
                return new Volume(h);
            }
            finally
            {
                foreach (IntPtr p in native) Marshal.FreeHGlobal(p); // IntPtr.Zero is a no-op
            }
        }

        /// <summary>Voxel dimensions (i, j, k).</summary>
        public long[] Dimensions
        {
            get
            {
                var dims = new long[3];
                long channels;
                Library.Check(NativeMethods.efq_volume_get_dims(Handle, dims, out channels), "efq_volume_get_dims");
                return dims;
            }
        }

        /// <summary>Number of modalities.</summary>
        public long Channels
        {
            get
            {
                var dims = new long[3];
                long channels;
                Library.Check(NativeMethods.efq_volume_get_dims(Handle, dims, out channels), "efq_volume_get_dims");
                return channels;
            }
        }
    }

    // ---- Report -------------------------------------------------------------------------------

    /// <summary>A machine-readable result of a quantization or an evaluation (efq_report).</summary>
    public sealed class Report : NativeObject<ReportHandle>
    {
        internal Report(ReportHandle h) : base(h) { }

        /// <summary>Mean over cases of the per-case mean foreground Dice (evaluation reports).</summary>
        public double MeanForegroundDice
        {
            get
            {
                double d;
                Library.Check(NativeMethods.efq_report_get_mean_foreground_dice(Handle, out d),
                              "efq_report_get_mean_foreground_dice");
                return d;
            }
        }

        /// <summary>The report as JSON text.</summary>
        public string ToJson()
        {
            IntPtr json;
            Library.Check(NativeMethods.efq_report_to_json(Handle, out json), "efq_report_to_json");
            return Utf8.TakeLibraryString(json);
        }
    }

    // ---- Model --------------------------------------------------------------------------------

    /// <summary>An imported network, immutable once loaded (efq_model). A model may be read by
    /// several calls running in parallel.</summary>
    public sealed class Model : NativeObject<ModelHandle>
    {
        private Model(ModelHandle h) : base(h) { }

        /// <summary>Loads an FP32 ONNX file.</summary>
        public static Model LoadOnnx(Context context, string path)
        {
            if (context == null) throw new ArgumentNullException("context");
            ModelHandle h;
            Status s = NativeMethods.efq_model_load_onnx(context.Handle, Utf8.ToNative(path), out h);
            context.Check(s, "efq_model_load_onnx");
            return new Model(h);
        }

        /// <summary>Loads a packed .efq file (Status.Format on a bad magic, truncation or CRC mismatch).</summary>
        public static Model LoadEfq(Context context, string path)
        {
            if (context == null) throw new ArgumentNullException("context");
            ModelHandle h;
            Status s = NativeMethods.efq_model_load_efq(context.Handle, Utf8.ToNative(path), out h);
            context.Check(s, "efq_model_load_efq");
            return new Model(h);
        }

        /// <summary>Summary: input channels, nodes, quantizable layers, parameters, opset.</summary>
        public ModelInfo Info
        {
            get
            {
                var info = new NativeMethods.efq_model_info();
                info.struct_size = (UIntPtr)Marshal.SizeOf(typeof(NativeMethods.efq_model_info));
                Library.Check(NativeMethods.efq_model_get_info(Handle, ref info), "efq_model_get_info");
                ModelInfo m;
                m.InputChannels = info.input_channels;
                m.NumNodes = info.num_nodes;
                m.NumQuantizable = info.num_quantizable;
                m.NumParameters = info.num_parameters;
                m.Opset = info.opset;
                return m;
            }
        }

        /// <summary>The model as JSON (inputs, outputs, layers with shapes for an input of
        /// roiDhw = {D, H, W}, or the model's ROI / declared shape when null).</summary>
        public string DescribeJson(long[] roiDhw = null)
        {
            if (roiDhw != null && roiDhw.Length != 3) throw new ArgumentException("needs D, H, W", "roiDhw");
            IntPtr json;
            Library.Check(NativeMethods.efq_model_describe_json(Handle, roiDhw, out json), "efq_model_describe_json");
            return Utf8.TakeLibraryString(json);
        }

        /// <summary>Quantizes this model from calibration volumes; returns a NEW model (this one is
        /// not modified) and the quantization report. Progress: stage "quantize", one step per layer.</summary>
        public Model Quantize(Context context, IList<Volume> calibration, Config config, out Report report)
        {
            if (context == null) throw new ArgumentNullException("context");
            if (calibration == null) throw new ArgumentNullException("calibration");
            var handles = new VolumeHandle[calibration.Count];
            var pointers = new IntPtr[calibration.Count];
            int added = 0;
            try
            {
                // The array holds raw pointers: keep each handle from being released meanwhile.
                for (int i = 0; i < handles.Length; ++i)
                {
                    if (calibration[i] == null) throw new ArgumentNullException("calibration");
                    handles[i] = calibration[i].Handle;
                    bool ok = false;
                    handles[i].DangerousAddRef(ref ok);
                    if (!ok) throw new ObjectDisposedException("Volume");
                    ++added;
                    pointers[i] = handles[i].DangerousGetHandle();
                }
                ModelHandle q;
                ReportHandle r;
                Status s = NativeMethods.efq_quantize(context.Handle, Handle, pointers, (UIntPtr)pointers.Length,
                                                      Config.HandleOrNull(config), out q, out r);
                context.Check(s, "efq_quantize");
                report = new Report(r);
                return new Model(q);
            }
            finally
            {
                for (int i = 0; i < added; ++i) handles[i].DangerousRelease();
            }
        }

        /// <summary>Quantizes this model, dropping the report.</summary>
        public Model Quantize(Context context, IList<Volume> calibration, Config config)
        {
            Report report;
            Model q = Quantize(context, calibration, config, out report);
            report.Dispose();
            return q;
        }

        /// <summary>Writes the model as FP32 ONNX (quantizers as Div/Round/Clip/Mul), atomically.</summary>
        public void SaveOnnx(string path)
        {
            Library.Check(NativeMethods.efq_model_save_onnx(Handle, Utf8.ToNative(path)), "efq_model_save_onnx");
        }

        /// <summary>Writes a quantized model as QDQ ONNX, atomically. Returns the notes: the layers
        /// kept in float because their codes do not fit 8 bits, one per line ("" when none).</summary>
        public string SaveOnnxQdq(string path)
        {
            IntPtr notes;
            Library.Check(NativeMethods.efq_model_save_onnx_qdq(Handle, Utf8.ToNative(path), out notes),
                          "efq_model_save_onnx_qdq");
            return Utf8.TakeLibraryString(notes);
        }

        /// <summary>Writes the packed .efq file, atomically, and returns its sizes.</summary>
        public EfqSize SaveEfq(string path)
        {
            var size = new NativeMethods.efq_efq_size();
            size.struct_size = (UIntPtr)Marshal.SizeOf(typeof(NativeMethods.efq_efq_size));
            Library.Check(NativeMethods.efq_model_save_efq(Handle, Utf8.ToNative(path), ref size),
                          "efq_model_save_efq");
            EfqSize e;
            e.PackedCodeBytes = size.packed_code_bytes;
            e.Fp32WeightBytes = size.fp32_weight_bytes;
            e.FileBytes = size.file_bytes;
            return e;
        }

        /// <summary>Segments every case of a split (Param.Split, default "test") of an nnU-Net v2
        /// raw dataset and scores Dice. Progress: stage "evaluate", one step per case.</summary>
        public Report EvaluateDice(Context context, string datasetDir, Config config = null)
        {
            if (context == null) throw new ArgumentNullException("context");
            ReportHandle r;
            Status s = NativeMethods.efq_evaluate_dice(context.Handle, Handle, Utf8.ToNative(datasetDir),
                                                       Config.HandleOrNull(config), out r);
            context.Check(s, "efq_evaluate_dice");
            return new Report(r);
        }
    }

    // ---- UTF-8 --------------------------------------------------------------------------------

    /// <summary>UTF-8 marshalling by hand (the library's strings are UTF-8).</summary>
    internal static class Utf8
    {
        private static readonly Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>NUL-terminated UTF-8 bytes of s (null stays null, i.e. a NULL pointer).</summary>
        public static byte[] ToNative(string s)
        {
            if (s == null) return null;
            if (s.IndexOf('\0') >= 0) throw new ArgumentException("string contains NUL");
            int n = Strict.GetByteCount(s);
            var bytes = new byte[n + 1];
            Strict.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>A NUL-terminated UTF-8 copy of s in unmanaged memory (free with Marshal.FreeHGlobal).</summary>
        public static IntPtr AllocHGlobal(string s)
        {
            if (s == null) throw new ArgumentNullException("s");
            byte[] bytes = ToNative(s);
            IntPtr p = Marshal.AllocHGlobal(bytes.Length);
            Marshal.Copy(bytes, 0, p, bytes.Length);
            return p;
        }

        /// <summary>Decodes a NUL-terminated UTF-8 string the library owns (NULL gives "").</summary>
        public static string FromNative(IntPtr p)
        {
            if (p == IntPtr.Zero) return "";
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) ++n;
            var bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return Encoding.UTF8.GetString(bytes); // lenient: a bad byte becomes U+FFFD
        }

        /// <summary>Decodes a string the caller owns, then frees it with efq_string_free.</summary>
        public static string TakeLibraryString(IntPtr p)
        {
            try
            {
                return FromNative(p);
            }
            finally
            {
                NativeMethods.efq_string_free(p);
            }
        }
    }

    // ---- The C functions ----------------------------------------------------------------------

    /// <summary>The P/Invoke declarations, one per C function used, and the C structs.</summary>
    internal static class NativeMethods
    {
        private const string Lib = "efficientq"; // libefficientq.so (LD_LIBRARY_PATH or a dllmap)
        private const CallingConvention Cdecl = CallingConvention.Cdecl;

        // struct efq_model_info (size_t struct_size first; the library only grows it at the end).
        [StructLayout(LayoutKind.Sequential)]
        internal struct efq_model_info
        {
            public UIntPtr struct_size;
            public long input_channels;
            public long num_nodes;
            public long num_quantizable;
            public long num_parameters;
            public long opset;
        }

        // struct efq_efq_size.
        [StructLayout(LayoutKind.Sequential)]
        internal struct efq_efq_size
        {
            public UIntPtr struct_size;
            public long packed_code_bytes;
            public long fp32_weight_bytes;
            public long file_bytes;
        }

        // struct efq_progress (filled by the library; struct_size is the library's sizeof).
        [StructLayout(LayoutKind.Sequential)]
        internal struct efq_progress
        {
            public UIntPtr struct_size;
            public IntPtr stage;
            public long step;
            public long total;
            public IntPtr item;
        }

        /// <summary>Reads *progress; false when the library's struct is older (shorter) than ours.</summary>
        internal static bool ReadProgress(IntPtr progress, out Progress p)
        {
            p = new Progress();
            if (progress == IntPtr.Zero) return false;
            long size = Marshal.ReadIntPtr(progress).ToInt64(); // size_t has the size of a pointer
            if (size < Marshal.SizeOf(typeof(efq_progress))) return false;
            var n = (efq_progress)Marshal.PtrToStructure(progress, typeof(efq_progress));
            p.Stage = Utf8.FromNative(n.stage);
            p.Step = n.step;
            p.Total = n.total;
            p.Item = Utf8.FromNative(n.item);
            return true;
        }

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int ProgressFn(IntPtr user, IntPtr progress);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogFn(IntPtr user, LogLevel level, IntPtr message);

        // Version, status.
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint efq_version_number();
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr efq_version_string();
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr efq_build_info();
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr efq_status_string(Status status);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr efq_last_error_message();
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void efq_string_free(IntPtr s);

        // Context.
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_context_create(out ContextHandle ctx);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern void efq_context_destroy(IntPtr ctx);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_context_set_log_callback(ContextHandle ctx, LogFn fn, IntPtr user,
                                                                   LogLevel maxLevel);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_context_set_progress_callback(ContextHandle ctx, ProgressFn fn,
                                                                        IntPtr user);

        // Configuration.
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_config_create(out ConfigHandle config);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern void efq_config_destroy(IntPtr config);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_config_set_int(ConfigHandle config, Param param, long value);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_config_set_real(ConfigHandle config, Param param, double value);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_config_set_string(ConfigHandle config, Param param, byte[] value);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_param_bounds(Param param, out double min, out double max,
                                                       out double def);

        // Model.
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_model_load_onnx(ContextHandle ctx, byte[] path, out ModelHandle model);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_model_load_efq(ContextHandle ctx, byte[] path, out ModelHandle model);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern void efq_model_destroy(IntPtr model);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_model_get_info(ModelHandle model, ref efq_model_info info);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_model_describe_json(ModelHandle model, long[] roiDhw, out IntPtr json);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_model_save_onnx(ModelHandle model, byte[] path);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_model_save_onnx_qdq(ModelHandle model, byte[] path, out IntPtr notes);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_model_save_efq(ModelHandle model, byte[] path, ref efq_efq_size size);

        // Volume.
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_volume_load_nifti(ContextHandle ctx, IntPtr[] paths, UIntPtr count,
                                                            out VolumeHandle volume);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern void efq_volume_destroy(IntPtr volume);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_volume_get_dims(VolumeHandle volume, [Out] long[] dims, out long channels);

        // Quantization, evaluation, reports.
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_quantize(ContextHandle ctx, ModelHandle model, IntPtr[] calibration,
                                                   UIntPtr count, ConfigHandle config, out ModelHandle quantized,
                                                   out ReportHandle report);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_evaluate_dice(ContextHandle ctx, ModelHandle model, byte[] datasetDir,
                                                        ConfigHandle config, out ReportHandle report);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_report_get_mean_foreground_dice(ReportHandle report, out double dice);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_report_to_json(ReportHandle report, out IntPtr json);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern void efq_report_destroy(IntPtr report);
    }
}
