#!/usr/bin/env bash
# examples/csharp (the C# host of the C ABI, on Mono) end to end on the bundled brain model and the
# real Colin27 scan, against the efficientq CLI doing the same quantization (W8A8, 20 iterations):
#   (a) the host's QDQ file is byte-identical to the CLI's;
#   (b) its two Dice lines are the CLI report's FP32 and quantized mean foreground Dice (4 decimals);
#   (c) progress lines are reported;
#   (d) bad arguments exit 2; a missing model exits 1 with the library's message, the same error
#       line as the C host, and no output file;
#   (e) the bindings' own checks (tests/csharp/Checks.cs): statuses mapped to exceptions with the
#       right status, cancellation, callbacks, UTF-8, disposal, the .efq round trip.
# Registered by tests/CMakeLists.txt (not globbed with tests/cli/*.sh): it needs EFQ_EXAMPLE_CS,
# EFQ_CS_CHECKS and MONO besides the usual EFQ_CLI, EFQ_LIB, EFQ_SRC, EFQ_TMP.
set -euo pipefail
cli=${EFQ_CLI:?} lib=${EFQ_LIB:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
exe=${EFQ_EXAMPLE_CS:?} checks=${EFQ_CS_CHECKS:?} mono=${MONO:-}
if [ -z "$mono" ] || [ ! -x "$mono" ] || [ ! -f "$exe" ] || [ ! -f "$checks" ]; then
  echo "FAILED: Mono is required for the C# example: mono='$mono', host='$exe'."
  echo "Install mono-devel (make deps does), then reconfigure so CMake finds mcs and mono."
  exit 1
fi
rm -rf "$tmp" && mkdir -p "$tmp"
export OMP_WAIT_POLICY=PASSIVE  # as the CLI does (see examples/c/README.md)
export LD_LIBRARY_PATH="$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"  # DllImport("efficientq")
calib=${EFQ_MRICRON_DIR:?}/templates/ch2better.nii.gz
fail() { echo "FAILED: $*"; exit 1; }

# The host, then the CLI with the same quantization and evaluation.
"$mono" "$exe" "$src/models/brain.onnx" "$calib" "$src/tests/data/brain" "$tmp/host.onnx" 8 8 20 \
  >"$tmp/stdout.txt" 2>"$tmp/stderr.txt" || { cat "$tmp/stdout.txt" "$tmp/stderr.txt"; fail "host run"; }
cat "$tmp/stdout.txt"
"$cli" quantize "$src/models/brain.onnx" --calib "$calib" -o "$tmp/cli.onnx" --wbits 8 --abits 8 \
  --iters 20 --eval "$src/tests/data/brain" --json "$tmp/cli.json" >"$tmp/cli.txt" 2>&1 \
  || { cat "$tmp/cli.txt"; fail "CLI run"; }

# (a) The same QDQ file.
[ -s "$tmp/host.onnx" ] || fail "no QDQ model written"
cmp "$tmp/host.onnx" "$tmp/cli.onnx" || fail "the host's QDQ file differs from the CLI's"
echo "ok: QDQ file identical to the CLI's"

# (b) The same Dice, as printed with 4 decimals.
fp=$(sed -n 's/^FP32 mean foreground Dice: //p' "$tmp/stdout.txt")
q=$(sed -n 's/^quantized mean foreground Dice: //p' "$tmp/stdout.txt")
{ [ -n "$fp" ] && [ -n "$q" ]; } || fail "Dice lines missing"
read -r cli_fp cli_q < <(python3 - "$tmp/cli.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["evaluation"]
print("%.4f %.4f" % (ev["fp32"]["mean_foreground_dice"], ev["quantized"]["mean_foreground_dice"]))
PY
)
[ "$fp" = "$cli_fp" ] || fail "FP32 Dice $fp, the CLI's report says $cli_fp"
[ "$q" = "$cli_q" ] || fail "quantized Dice $q, the CLI's report says $cli_q"
echo "ok: Dice FP32 $fp, quantized $q, as the CLI's report"

# (c) Progress lines on stderr, as the C host prints them.
grep -Eq '^  \[quantize\] 0/16 /conv0/' "$tmp/stderr.txt" || fail "no quantize progress reported"
grep -Eq '^  \[evaluate\] [0-9]+/[0-9]+ ' "$tmp/stderr.txt" || fail "no evaluate progress reported"
echo "ok: progress reported ($(grep -c '^  \[' "$tmp/stderr.txt") lines)"

# (d) Bad arguments exit 2; a missing model exits 1 with the library's message and no output.
set +e
"$mono" "$exe" a b c d 9 8 >/dev/null 2>"$tmp/err1.txt"; rc1=$?
"$mono" "$exe" a b >/dev/null 2>"$tmp/err2.txt"; rc2=$?
"$mono" "$exe" "$tmp/missing.onnx" "$calib" "$src/tests/data/brain" "$tmp/x.onnx" 8 8 \
  >/dev/null 2>"$tmp/err3.txt"; rc3=$?
set -e
[ "$rc1" = 2 ] && grep -q "WBITS" "$tmp/err1.txt" || fail "WBITS 9: exit $rc1, $(cat "$tmp/err1.txt")"
[ "$rc2" = 2 ] && grep -q "^usage: " "$tmp/err2.txt" || fail "2 arguments: exit $rc2, $(cat "$tmp/err2.txt")"
[ "$rc3" = 1 ] || fail "a missing model: exit $rc3"
want="error: loading the model: I/O error ($tmp/missing.onnx: "
[ "$(head -c ${#want} "$tmp/err3.txt")" = "$want" ] || fail "unexpected error output: $(cat "$tmp/err3.txt")"
[ ! -e "$tmp/x.onnx" ] || fail "output written after a failure"
if [ -n "${EFQ_EXAMPLE_C:-}" ] && [ -x "$EFQ_EXAMPLE_C" ]; then
  "$EFQ_EXAMPLE_C" "$tmp/missing.onnx" "$calib" "$src/tests/data/brain" "$tmp/x.onnx" 8 8 \
    >/dev/null 2>"$tmp/err3c.txt" && fail "the C host accepted a missing model"
  cmp "$tmp/err3.txt" "$tmp/err3c.txt" || fail "error output differs from the C host's"
fi
echo "ok: exit 2 on bad arguments; a missing model: $(cat "$tmp/err3.txt")"

# (e) The bindings' own checks.
"$mono" "$checks" "$src" "$tmp/checks" >"$tmp/checks.txt" 2>&1 \
  || { cat "$tmp/checks.txt"; fail "C# binding checks"; }
grep -E '^ok: (loading a missing model|quantize cancelled|the handler)' "$tmp/checks.txt"
echo "example_csharp passed"
