// Program.cs — the whole EfficientQ workflow from C# through the bindings in EfficientQ.*.cs; the
// same steps, command line and output as the C host examples/c/quantize.c:
//
//   load an FP32 ONNX model → load one calibration volume (NIfTI) → quantize (W/A bits from the
//   command line) → write the quantized model as QDQ ONNX → evaluate FP32 and quantized Dice on
//   an nnU-Net v2 raw dataset → print both mean foreground Dice.
//
// usage: efq_example_quantize.exe MODEL.onnx CALIB.nii.gz DATASET_DIR OUT.onnx WBITS ABITS [ITERS]
//
// Exit status 0 on success, 2 on bad arguments, 1 when a library call fails: it then prints
// "error: <step>: <status> (<library message>)" and leaves no output file behind.
using System;
using System.Globalization;
using System.IO;
using System.Numerics;
using System.Reflection;
using System.Threading;

namespace EfficientQ.Examples
{
    internal static class Program
    {
        private static int Main(string[] args)
        {
            // Numbers print as C's printf does in the C locale ("0.8587", never "0,8587").
            CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
            Thread.CurrentThread.CurrentCulture = CultureInfo.InvariantCulture;
            if (args.Length != 6 && args.Length != 7)
            {
                Console.Error.WriteLine(
                    "usage: {0} MODEL.onnx CALIB.nii.gz DATASET_DIR OUT.onnx WBITS ABITS [ITERS]\n" +
                    "  WBITS 2..8, ABITS 0 (weights only) or 2..8, ITERS ADMM iterations (default 200)",
                    Path.GetFileName(Assembly.GetEntryAssembly().Location));
                return 2;
            }
            long wbits, abits, iters = 0;
            if (!ParseInt(args[4], 2, 8, out wbits) || !ParseInt(args[5], 0, 8, out abits) || abits == 1 ||
                (args.Length == 7 && !ParseInt(args[6], 1, 10000, out iters)))
            {
                Console.Error.WriteLine("error: WBITS must be 2..8, ABITS 0 or 2..8, ITERS 1..10000");
                return 2;
            }
            // The quantizer alternates short OpenMP-parallel and serial phases; spinning idle
            // workers (the OpenMP default) slow it down. libgomp reads this when libefficientq is
            // loaded, i.e. at the first library call below, so setting it here is early enough.
            if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") == null)
                Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "PASSIVE");
            try
            {
                return Run(args[0], args[1], args[2], args[3], wbits, abits, iters);
            }
            catch (DllNotFoundException e)
            {
                Console.Error.WriteLine("error: cannot load libefficientq (set LD_LIBRARY_PATH, see README.md): {0}",
                                        e.Message);
                return 1;
            }
        }

        private static int Run(string modelPath, string calibPath, string datasetDir, string outPath,
                               long wbits, long abits, long iters)
        {
            if (!Library.IsCompatible)
            {
                Console.Error.WriteLine("error: library {0} is not ABI-compatible with these bindings ({1}.x)",
                                        Library.VersionString, Library.BindingsVersionMajor);
                return 1;
            }
            Console.WriteLine("libefficientq " + Library.VersionString);

            string step = "creating a context"; // what is being done, for the error line
            bool wroteOutput = false;
            try
            {
                using (var ctx = new Context())
                {
                    var progress = new ProgressPrinter();
                    step = "setting the log";
                    ctx.SetLogHandler(OnLog, LogLevel.Warning);
                    step = "setting the progress";
                    ctx.SetProgressHandler(progress.OnProgress);

                    // 1. The FP32 model.
                    step = "loading the model";
                    using (Model model = Model.LoadOnnx(ctx, modelPath))
                    {
                        step = "reading the model summary";
                        ModelInfo info = model.Info;
                        Console.WriteLine("model: {0} nodes, {1} quantizable layers, {2} parameters",
                                          info.NumNodes, info.NumQuantizable, info.NumParameters);

                        // 2. One calibration case (a single modality here).
                        step = "loading the calibration volume";
                        using (Volume calib = Volume.LoadNifti(ctx, calibPath))
                        // 3. Quantize. Unset parameters come from the model metadata or the defaults.
                        using (var config = new Config())
                        {
                            step = "setting the weight bits";
                            config.SetInt(Param.WBits, wbits);
                            step = "setting the activation bits";
                            config.SetInt(Param.ABits, abits);
                            if (iters > 0)
                            {
                                step = "setting ITERS";
                                config.SetInt(Param.Iterations, iters);
                            }
                            step = "quantizing";
                            Report quantizationReport;
                            using (Model quantized = model.Quantize(ctx, new[] { calib }, config, out quantizationReport))
                            using (quantizationReport)
                            {
                                // 4. Save as QDQ ONNX (runs in onnxruntime).
                                step = "writing the QDQ model";
                                string notes = quantized.SaveOnnxQdq(outPath);
                                wroteOutput = true;
                                Console.WriteLine("wrote {0} (W{1}A{2})", outPath, wbits, abits);
                                if (notes.Length > 0) Console.WriteLine("notes:\n" + notes);

                                // 5. Dice of both models on the dataset (split "test" unless the
                                //    config says otherwise).
                                progress.Restart();
                                step = "evaluating the FP32 model";
                                double fpDice;
                                using (Report fpEval = model.EvaluateDice(ctx, datasetDir, config))
                                {
                                    step = "reading the FP32 Dice";
                                    fpDice = fpEval.MeanForegroundDice;
                                }
                                progress.Restart(); // a new call: report its first step again
                                step = "evaluating the quantized model";
                                double qDice;
                                using (Report qEval = quantized.EvaluateDice(ctx, datasetDir, config))
                                {
                                    step = "reading the quantized Dice";
                                    qDice = qEval.MeanForegroundDice;
                                }
                                Console.WriteLine("FP32 mean foreground Dice: " + FormatFixed(fpDice, 4));
                                Console.WriteLine("quantized mean foreground Dice: " + FormatFixed(qDice, 4));
                            }
                        }
                    }
                }
                return 0;
            }
            catch (EfficientQException e)
            {
                Console.Out.Flush();
                Console.Error.WriteLine("error: {0}: {1} ({2})", step, e.StatusName, e.Detail);
                if (e.InnerException != null) Console.Error.WriteLine("  caused by: " + e.InnerException);
                if (wroteOutput) TryDelete(outPath); // no output on failure
                return 1;
            }
        }

        /// <summary>Progress: one line on stderr each time the stage or its step changes (the
        /// library may report several times per step).</summary>
        private sealed class ProgressPrinter
        {
            private string _stage = "";
            private long _step = -1;

            public void Restart()
            {
                _step = -1;
            }

            public bool OnProgress(Progress p)
            {
                string stage = p.Stage.Length > 0 ? p.Stage : "?";
                if (stage != _stage || p.Step != _step)
                {
                    _stage = stage;
                    _step = p.Step;
                    Console.Out.Flush(); // keep stdout and stderr in order on a terminal or a shared log
                    Console.Error.WriteLine("  [{0}] {1}/{2} {3}", stage, p.Step, p.Total, p.Item);
                }
                return true; // false would cancel the running call (Status.Cancelled)
            }
        }

        /// <summary>Library log lines (warnings and errors only).</summary>
        private static void OnLog(LogLevel level, string message)
        {
            Console.Error.WriteLine("  efficientq {0}: {1}", level == LogLevel.Error ? "error" : "warning", message);
        }

        /// <summary>Parses a whole decimal integer in [lo, hi] (as strtol: optional sign, leading blanks).</summary>
        private static bool ParseInt(string text, long lo, long hi, out long value)
        {
            return long.TryParse(text, NumberStyles.AllowLeadingWhite | NumberStyles.AllowLeadingSign,
                                 CultureInfo.InvariantCulture, out value) && value >= lo && value <= hi;
        }

        /// <summary>
        /// x with `decimals` digits after the point, exactly as C's printf("%.Nf"): rounded from the
        /// exact binary value, ties to even. (.NET's "F4" rounds a 15-digit approximation, ties away
        /// from zero, and can differ in the last digit.) Invariant: '.' as the decimal point.
        /// </summary>
        private static string FormatFixed(double x, int decimals)
        {
            if (double.IsNaN(x)) return "nan";
            if (double.IsInfinity(x)) return x > 0 ? "inf" : "-inf";
            long bits = BitConverter.DoubleToInt64Bits(x);
            bool negative = bits < 0;
            int exponent = (int)((bits >> 52) & 0x7FF);
            long mantissa = bits & 0xFFFFFFFFFFFFFL;
            if (exponent == 0) exponent = 1; else mantissa |= 1L << 52;
            exponent -= 1075; // |x| = mantissa * 2^exponent
            BigInteger num = mantissa * BigInteger.Pow(10, decimals), den = BigInteger.One;
            if (exponent >= 0) num <<= exponent; else den <<= -exponent;
            BigInteger rem;
            BigInteger q = BigInteger.DivRem(num, den, out rem);
            int half = (2 * rem).CompareTo(den);
            if (half > 0 || (half == 0 && !q.IsEven)) q += 1;
            string digits = q.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
            string s = decimals > 0 ? digits.Insert(digits.Length - decimals, ".") : digits;
            return negative ? "-" + s : s;
        }

        private static void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
