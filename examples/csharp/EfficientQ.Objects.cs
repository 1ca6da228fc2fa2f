// EfficientQ.Objects.cs — C# bindings for libefficientq (see EfficientQ.Types.cs for the overview).
// The wrapper classes: Context, Config, Volume, Report, Model.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace EfficientQ
{
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
}
