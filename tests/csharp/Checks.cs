// Checks.cs — checks of the C# bindings (examples/csharp/EfficientQ.*.cs) that the example host cannot
// show from its output: statuses mapped to EfficientQException (status, name, message, function),
// UTF-8 strings both ways, parameter bounds, cancellation from the progress callback (by returning
// false and by throwing), callbacks surviving a garbage collection, log handler exceptions kept out
// of native code, disposal, the report as JSON, and the .efq round trip. (Evaluation and its Dice
// are checked through the example host.)
//
// usage: efq_csharp_checks.exe SOURCE_DIR TMP_DIR   (run by tests/csharp/example_csharp.sh)
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;

namespace EfficientQ.Tests
{
    internal static class Checks
    {
        private static int _failures;

        private static void Expect(bool condition, string what)
        {
            Console.WriteLine((condition ? "ok: " : "FAILED: ") + what);
            if (!condition) ++_failures;
        }

        /// <summary>Runs f, which must throw EfficientQException with the given status; returns it.</summary>
        private static EfficientQException ExpectStatus(Status status, string what, Action f)
        {
            try
            {
                f();
            }
            catch (EfficientQException e)
            {
                Expect(e.Status == status && e.StatusName == Library.StatusString(status),
                       string.Format("{0}: {1} \"{2}\" (got {3} \"{4}\": {5})", what, status,
                                     Library.StatusString(status), e.Status, e.StatusName, e.Message));
                return e;
            }
            Expect(false, what + ": no exception");
            return null;
        }

        private static int Main(string[] args)
        {
            CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
            Thread.CurrentThread.CurrentCulture = CultureInfo.InvariantCulture;
            if (args.Length != 2)
            {
                Console.Error.WriteLine("usage: efq_csharp_checks.exe SOURCE_DIR TMP_DIR");
                return 2;
            }
            string src = args[0], tmp = args[1];
            string brain = Path.Combine(src, "models/brain.onnx");
            string dataset = Path.Combine(src, "tests/data/brain");
            // mricron-data's folder: the CMake cache variable EFQ_MRICRON_DIR, passed by ctest.
            string mricron = Environment.GetEnvironmentVariable("EFQ_MRICRON_DIR");
            if (string.IsNullOrEmpty(mricron))
            {
                Console.Error.WriteLine("EFQ_MRICRON_DIR is not set (ctest sets it)");
                return 2;
            }
            string calibPath = Path.Combine(mricron, "templates/ch2better.nii.gz");
            Directory.CreateDirectory(tmp);

            // Version and status names.
            Expect(Library.VersionNumber == Library.BindingsVersionNumber && Library.IsCompatible,
                   "library version " + Library.VersionString + " matches the bindings");
            Expect(Library.BuildInfo.Length > 0, "build info: " + Library.BuildInfo);
            foreach (Status s in Enum.GetValues(typeof(Status)))
                Expect(Library.StatusString(s) != "unknown status", "status " + s + " is known: " + Library.StatusString(s));
            Expect(Library.StatusString((Status)12345) == "unknown status", "an unknown status value is named so");

            using (var ctx = new Context())
            {
                // Statuses become exceptions carrying status, name, message (UTF-8) and function.
                string missing = Path.Combine(tmp, "missing-é✓.onnx");
                EfficientQException e = ExpectStatus(Status.Io, "loading a missing model",
                                                     () => Model.LoadOnnx(ctx, missing).Dispose());
                if (e != null)
                {
                    Expect(e.Detail.Contains(missing), "the message names the UTF-8 path: " + e.Detail);
                    Expect(e.Function == "efq_model_load_onnx", "the exception names the function: " + e.Function);
                    Expect(e.Message == "efq_model_load_onnx: I/O error (" + e.Detail + ")", "Message: " + e.Message);
                    Expect(e.InnerException == null, "no inner exception without a callback failure");
                }
                ExpectStatus(Status.Format, "loading an ONNX file as .efq", () => Model.LoadEfq(ctx, brain).Dispose());
                ExpectStatus(Status.Io, "loading a missing volume",
                             () => Volume.LoadNifti(ctx, Path.Combine(tmp, "missing.nii.gz")).Dispose());
                ExpectStatus(Status.Io, "evaluating a missing dataset", () =>
                {
                    using (Model m = Model.LoadOnnx(ctx, brain)) m.EvaluateDice(ctx, Path.Combine(tmp, "nodata")).Dispose();
                });

                // Configuration and bounds.
                using (var config = new Config())
                {
                    ExpectStatus(Status.InvalidArgument, "WBITS 9", () => config.SetInt(Param.WBits, 9));
                    ExpectStatus(Status.InvalidArgument, "a string for an int parameter", () => config.SetString(Param.WBits, "8"));
                    ExpectStatus(Status.InvalidArgument, "an unknown method", () => config.SetString(Param.Method, "bogus"));
                    config.SetInt(Param.WBits, 8).SetReal(Param.Rho, 2.5).SetString(Param.Method, "rtn");
                    Expect(true, "valid int, real and string parameters are accepted");
                    ParamBounds b = Config.GetBounds(Param.WBits);
                    Expect(b.Min == 2 && b.Max == 8 && b.Default == 4,
                           string.Format("WBITS bounds {0}..{1}, default {2}", b.Min, b.Max, b.Default));
                    b = Config.GetBounds(Param.Iterations);
                    Expect(b.Min == 1 && b.Max == 10000 && b.Default == 200,
                           string.Format("ITERATIONS bounds {0}..{1}, default {2}", b.Min, b.Max, b.Default));
                    ExpectStatus(Status.InvalidArgument, "bounds of a string parameter", () => Config.GetBounds(Param.Method));
                }

                // A log handler that throws: the exception stays in managed code, the call succeeds.
                int logLines = 0;
                ctx.SetLogHandler((level, message) =>
                {
                    ++logLines;
                    throw new InvalidOperationException("log handler failure");
                }, LogLevel.Debug);
                GC.Collect(); // the callbacks are referenced only by the context's handle
                GC.WaitForPendingFinalizers();
                using (Model model = Model.LoadOnnx(ctx, brain))
                using (Volume calib = Volume.LoadNifti(ctx, calibPath))
                {
                    Expect(logLines > 0, "a throwing log handler was called (" + logLines + " lines) and the load succeeded");
                    ctx.SetLogHandler(null);
                    ModelInfo info = model.Info;
                    Expect(info.NumNodes == 41 && info.NumQuantizable == 16 && info.NumParameters == 365568 &&
                           info.InputChannels == 1 && info.Opset == 13,
                           string.Format("model info: {0} channels, {1} nodes, {2} quantizable, {3} parameters, opset {4}",
                                         info.InputChannels, info.NumNodes, info.NumQuantizable, info.NumParameters, info.Opset));
                    Expect(model.DescribeJson().TrimStart().StartsWith("{"), "DescribeJson gives a JSON object");
                    long[] dims = calib.Dimensions;
                    Expect(dims.Length == 3 && dims[0] > 0 && dims[1] > 0 && dims[2] > 0 && calib.Channels == 1,
                           string.Format("volume {0} with {1} modality", string.Join("x", dims), calib.Channels));

                    // Cancellation: a handler returning false, then one throwing.
                    var seen = new List<string>();
                    ctx.SetProgressHandler(p =>
                    {
                        seen.Add(p.Stage);
                        return false;
                    });
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    e = ExpectStatus(Status.Cancelled, "quantize cancelled by the progress handler",
                                     () => model.Quantize(ctx, new[] { calib }, null).Dispose());
                    Expect(e != null && e.InnerException == null && seen.Count == 1 && seen[0] == "quantize",
                           "cancelled at the first progress report, no inner exception");
                    var boom = new InvalidOperationException("progress handler failure");
                    ctx.SetProgressHandler(p => { throw boom; });
                    e = ExpectStatus(Status.Cancelled, "evaluation cancelled by a throwing progress handler",
                                     () => model.EvaluateDice(ctx, dataset).Dispose());
                    Expect(e != null && ReferenceEquals(e.InnerException, boom), "the handler's exception is the InnerException");
                    ctx.SetProgressHandler(null);

                    // A quick quantization (round to nearest), its files and the .efq round trip.
                    using (var config = new Config().SetString(Param.Method, "rtn").SetInt(Param.WBits, 8))
                    {
                        Report qreport;
                        using (Model q = model.Quantize(ctx, new[] { calib }, config, out qreport))
                        using (qreport)
                        {
                            Expect(qreport.ToJson().Contains("\"layers\""), "the quantization report has layers");
                            string qdq1 = Path.Combine(tmp, "rtn-é.onnx"), qdq2 = Path.Combine(tmp, "rtn-again.onnx");
                            string efq = Path.Combine(tmp, "rtn.efq");
                            string notes = q.SaveOnnxQdq(qdq1);
                            Expect(File.Exists(qdq1) && notes == "", "QDQ written to a UTF-8 path, no notes");
                            EfqSize size = q.SaveEfq(efq);
                            Expect(size.FileBytes == new FileInfo(efq).Length && size.PackedCodeBytes > 0 &&
                                   size.PackedCodeBytes < size.Fp32WeightBytes,
                                   string.Format(".efq sizes: {0} packed, {1} FP32, file {2}",
                                                 size.PackedCodeBytes, size.Fp32WeightBytes, size.FileBytes));
                            using (Model back = Model.LoadEfq(ctx, efq))
                            {
                                back.SaveOnnxQdq(qdq2);
                                Expect(FilesEqual(qdq1, qdq2), "the .efq model exports the same QDQ file");
                            }
                            q.SaveOnnx(Path.Combine(tmp, "rtn-fakequant.onnx"));
                            Expect(File.Exists(Path.Combine(tmp, "rtn-fakequant.onnx")), "fake-quant ONNX written");
                        }
                    }
                }

                // Disposal: a disposed object throws ObjectDisposedException, twice is harmless.
                var disposed = new Config();
                disposed.Dispose();
                disposed.Dispose();
                try
                {
                    disposed.SetInt(Param.WBits, 8);
                    Expect(false, "a disposed Config was used");
                }
                catch (ObjectDisposedException)
                {
                    Expect(true, "a disposed Config throws ObjectDisposedException");
                }
            }
            Console.WriteLine(_failures == 0 ? "all C# binding checks passed" : _failures + " check(s) FAILED");
            return _failures == 0 ? 0 : 1;
        }

        private static bool FilesEqual(string a, string b)
        {
            byte[] x = File.ReadAllBytes(a), y = File.ReadAllBytes(b);
            if (x.Length != y.Length) return false;
            for (int i = 0; i < x.Length; ++i)
                if (x[i] != y[i]) return false;
            return true;
        }
    }
}
