// Checks.cs — checks of the C# bindings (examples/csharp/EfficientQ.*.cs) that the example host cannot
// show from its output: statuses mapped to EfficientQException (status, name, message, function),
// UTF-8 strings both ways, parameter bounds, cancellation from the progress callback (by returning
// false and by throwing), callbacks surviving a garbage collection, log handler exceptions kept out
// of native code, disposal, the report as JSON, the .efq round trip, the parameter table
// (Params.List against the Param enum, Params.GetInfo) and the scaled overlay PNG. (Evaluation and its Dice
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

            CheckParamTable();
            CheckOverlay(src, tmp);

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

        /// <summary>Params.List and Params.GetInfo: the library's table against the Param enum.</summary>
        private static void CheckParamTable()
        {
            Param[] listed = Params.List();
            Expect(listed.Length > 0, "the library lists " + listed.Length + " parameters");
            bool increasing = true;
            for (int i = 1; i < listed.Length; ++i) increasing &= (int)listed[i - 1] < (int)listed[i];
            Expect(increasing, "the parameter list is strictly increasing");
            // The binding's enum is the library's table: every constant listed, every listed value named.
            var set = new HashSet<Param>(listed);
            foreach (Param p in Enum.GetValues(typeof(Param)))
                Expect(set.Contains(p), "the library lists Param." + p + " (" + (int)p + ")");
            foreach (Param p in listed)
                Expect(Enum.IsDefined(typeof(Param), p), "the Param enum names the library's parameter " + (int)p);
            foreach (ParamInfo info in Params.ListInfo())
            {
                string what = "parameter " + (int)info.Param + " (" + info.Name + ")";
                Expect(info.Name.Length > 0 && info.Help.Length > 0, what + " has a name and help");
                if (info.Type == ParamType.Int || info.Type == ParamType.Real)
                {
                    Expect(info.Min <= info.Default && info.Default <= info.Max,
                           string.Format("{0}: {1} <= default {2} <= {3}", what, info.Min, info.Default, info.Max));
                    ParamBounds b = Config.GetBounds(info.Param);
                    Expect(b.Min == info.Min && b.Max == info.Max && b.Default == info.Default,
                           what + ": info agrees with GetBounds");
                }
                else
                {
                    Expect(info.Type == ParamType.String && info.Min == 0 && info.Max == 0,
                           what + ": a string parameter with bounds 0");
                }
            }
            ParamInfo wbits = Params.GetInfo(Param.WBits);
            Expect(wbits.Param == Param.WBits && wbits.Type == ParamType.Int && wbits.Scope == ParamScope.Quantization &&
                   wbits.Min == 2 && wbits.Max == 8 && wbits.Default == 4 && wbits.Name == "weight bits" &&
                   wbits.DefaultString == "" && wbits.IsNamed,
                   string.Format("WBITS info: {0} {1} \"{2}\" {3}..{4} default {5}", wbits.Type, wbits.Scope,
                                 wbits.Name, wbits.Min, wbits.Max, wbits.Default));
            ParamInfo method = Params.GetInfo(Param.Method);
            Expect(method.Type == ParamType.String && method.DefaultString == "efficientq",
                   "METHOD info: string, default \"" + method.DefaultString + "\"");
            Expect(Params.GetInfo(Param.MemoryLimitMb).Scope == ParamScope.Context, "MEMORY_LIMIT_MB is a context parameter");
            EfficientQException e = ExpectStatus(Status.InvalidArgument, "info of an unknown parameter",
                                                 () => Params.GetInfo((Param)9999));
            Expect(e != null && e.Detail.Contains("9999") && e.Function == "efq_param_get_info",
                   "the message names the value: " + (e != null ? e.Detail : ""));
            var unnamed = new ParamInfo { Param = (Param)9999 };
            Expect(!unnamed.IsNamed && (int)unnamed.Param == 9999, "an unnamed value keeps its number");
        }

        /// <summary>Overlay.RenderPngScaled: scale 1 is RenderPng byte for byte, scale 2 doubles the picture.</summary>
        private static void CheckOverlay(string src, string tmp)
        {
            string image = Path.Combine(src, "tests/data/brain/imagesTs/colin_ch2_0000.nii.gz");
            string seg = Path.Combine(src, "tests/data/brain/labelsTs/colin_ch2.nii.gz");
            string plain = Path.Combine(tmp, "overlay.png"), one = Path.Combine(tmp, "overlay-x1.png");
            string two = Path.Combine(tmp, "overlay-x2.png"), bad = Path.Combine(tmp, "overlay-bad.png");
            long s0, s1, s2;
            using (var ctx = new Context())
            {
                s0 = Overlay.RenderPng(ctx, image, seg, null, Plane.Coronal, -1, plain);
                s1 = Overlay.RenderPngScaled(null, image, seg, null, Plane.Coronal, -1, 1, one);
                s2 = Overlay.RenderPngScaled(ctx, image, seg, seg, Plane.Coronal, s0, 2, two);
            }
            Expect(s0 >= 0 && s1 == s0 && s2 == s0, string.Format("overlay slices {0}, {1}, {2}", s0, s1, s2));
            Expect(FilesEqual(plain, one), "the scale-1 overlay is the unscaled one byte for byte");
            int w1, h1, w2, h2;
            PngSize(one, out w1, out h1);
            PngSize(two, out w2, out h2);
            Expect(w1 > 0 && h1 > 0 && w2 == 2 * w1 && h2 == 2 * h1,
                   string.Format("the scale-2 overlay is {0}x{1}, twice {2}x{3}", w2, h2, w1, h1));
            ExpectStatus(Status.InvalidArgument, "overlay scale 17",
                         () => Overlay.RenderPngScaled(null, image, seg, null, Plane.Axial, -1, 17, bad));
            Expect(!File.Exists(bad), "no file after a refused scale");
        }

        /// <summary>Width and height from a PNG's IHDR chunk (0, 0 when the file is not a PNG).</summary>
        private static void PngSize(string path, out int width, out int height)
        {
            byte[] b = File.ReadAllBytes(path);
            width = height = 0;
            byte[] magic = { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 0x1a, 10 };
            if (b.Length < 24 || b[12] != (byte)'I' || b[13] != (byte)'H' || b[14] != (byte)'D' || b[15] != (byte)'R')
                return;
            for (int i = 0; i < 8; ++i)
                if (b[i] != magic[i]) return;
            width = (b[16] << 24) | (b[17] << 16) | (b[18] << 8) | b[19];
            height = (b[20] << 24) | (b[21] << 16) | (b[22] << 8) | b[23];
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
