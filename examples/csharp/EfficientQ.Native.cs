// EfficientQ.Native.cs — C# bindings for libefficientq (see EfficientQ.Types.cs for the overview).
// UTF-8 marshalling and the P/Invoke declarations (NativeMethods).
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace EfficientQ
{
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

        // struct efq_param_info (the strings are the library's static storage: never freed).
        [StructLayout(LayoutKind.Sequential)]
        internal struct efq_param_info
        {
            public UIntPtr struct_size;
            public Param param;
            public ParamType type;
            public ParamScope scope;
            public IntPtr name;
            public IntPtr help;
            public double min;
            public double max;
            public double default_value;
            public IntPtr default_string;
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
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_param_get_info(Param param, ref efq_param_info info);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_param_list([Out] Param[] paramsOut, UIntPtr capacity, out UIntPtr count);

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

        // Overlay pictures.
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_render_overlay_png(ContextHandle ctx, byte[] imagePath, byte[] segPath,
                                                             byte[] compareSegPath, Plane plane, long slice,
                                                             byte[] pngPath, out long sliceOut);
        [DllImport(Lib, CallingConvention = Cdecl)]
        internal static extern Status efq_render_overlay_png_scaled(ContextHandle ctx, byte[] imagePath,
                                                                    byte[] segPath, byte[] compareSegPath,
                                                                    Plane plane, long slice, long scale,
                                                                    byte[] pngPath, out long sliceOut);
    }
}
