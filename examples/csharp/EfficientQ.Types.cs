// EfficientQ.Types.cs — C# bindings (P/Invoke) for libefficientq's C ABI (include/efficientq/efficientq.h).
//
// Everything goes through the C functions; these files add no ABI of its own. It builds with Mono's
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
//
// The bindings are split by concept over EfficientQ.*.cs; this file: Status, parameter and log enums, the exception, result structs and callback delegates.
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
        /// <summary>int 0/1 (default 1): end a layer's ADMM once its iterate stops changing.</summary>
        EarlyStop = 58,
        /// <summary>string: the symmetric grid's weight codes below 8 bits, "odd" (default) | "full" | "narrow".</summary>
        WeightGrid = 59,
        /// <summary>int 0/1 (default 0): per-layer sensitivity at 2/3/4/8 bits in the quantization report.</summary>
        Sensitivity = 60,
        /// <summary>int MiB, 0 = default (physical memory minus 1/8): sizes from file headers and
        /// requests are checked against it before allocating.</summary>
        MemoryLimitMb = 61,
        /// <summary>real in [0, 1] (default 0 = off): choose per-layer weight widths among
        /// <see cref="WBitsChoices"/> for the fewest packed weight bytes with fidelity on the
        /// calibration crop at least this value.</summary>
        BudgetFidelity = 62,
        /// <summary>string (default "2,3,4,8"): the weight widths <see cref="BudgetFidelity"/> chooses from.</summary>
        WBitsChoices = 63,
        /// <summary>int 0..1000 (default 0 = off): sweeps of greedy coordinate descent on each
        /// layer's weight codes after ADMM (not the faithful grid).</summary>
        CodeDescent = 64,
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
}
