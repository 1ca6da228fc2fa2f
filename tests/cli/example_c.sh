#!/usr/bin/env bash
# examples/c/quantize.c end to end on the bundled brain model and the real Colin27 scan: W8A8 with
# 20 ADMM iterations keeps the mean foreground Dice within 0.01 of FP32, the QDQ model is
# written, and progress lines are reported.
set -euo pipefail
exe=${EFQ_EXAMPLE_C:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
rm -rf "$tmp" && mkdir -p "$tmp"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}  # as the CLI does (see examples/c/README.md)
calib=${EFQ_MRICRON_DIR:?}/templates/ch2better.nii.gz
"$exe" "$src/models/brain.onnx" "$calib" "$src/tests/data/brain" "$tmp/w8a8_qdq.onnx" 8 8 20 \
  >"$tmp/stdout.txt" 2>"$tmp/stderr.txt" || { cat "$tmp/stdout.txt" "$tmp/stderr.txt"; exit 1; }
cat "$tmp/stdout.txt"
[ -s "$tmp/w8a8_qdq.onnx" ] || { echo "no QDQ model written"; exit 1; }
grep -q '\[quantize\]' "$tmp/stderr.txt" || { echo "no quantize progress reported"; exit 1; }
fp=$(sed -n 's/^FP32 mean foreground Dice: //p' "$tmp/stdout.txt")
q=$(sed -n 's/^quantized mean foreground Dice: //p' "$tmp/stdout.txt")
if [ -z "$fp" ] || [ -z "$q" ]; then echo "Dice lines missing"; exit 1; fi
python3 - "$fp" "$q" <<'PY'
import sys
fp, q = float(sys.argv[1]), float(sys.argv[2])
assert 0.5 < fp <= 1.0, f"implausible FP32 Dice {fp}"
assert abs(fp - q) <= 0.01, f"W8A8 Dice {q:.4f} is not within 0.01 of FP32 {fp:.4f}"
PY
# Bad arguments fail cleanly with a usage line, and a missing model with the library's message.
if "$exe" a b c d 9 8 2>"$tmp/err1.txt"; then echo "WBITS 9 accepted"; exit 1; fi
grep -q "WBITS" "$tmp/err1.txt"
if "$exe" "$tmp/missing.onnx" "$calib" "$src/tests/data/brain" "$tmp/x.onnx" 8 8 \
     >/dev/null 2>"$tmp/err2.txt"; then echo "a missing model was accepted"; exit 1; fi
if ! grep -q "error: loading the model: .*missing.onnx" "$tmp/err2.txt"; then
  echo "unexpected error output:"; cat "$tmp/err2.txt"; exit 1
fi
[ ! -e "$tmp/x.onnx" ] || { echo "output written after a failure"; exit 1; }
echo "example_c passed"
