#!/usr/bin/env bash
# End to end through the CLI on the bundled brain model and the real Colin27 scans:
# quantize W8A8 (must keep Dice within 0.5 point) and W4A8 (within 1.0 point, issue 4),
# the written ONNX reloads and evaluates to the same Dice as the in-memory model, and the input
# model file is untouched.
set -euo pipefail
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
rm -rf "$tmp" && mkdir -p "$tmp"
model="$src/models/brain.onnx" data="$src/tests/data/brain"
calib=${EFQ_MRICRON_DIR:?}/templates/ch2better.nii.gz
before=$(sha256sum "$model" | cut -d' ' -f1)
calib_sha256=$(sha256sum "$calib" | cut -d' ' -f1)
for bits in 8 4; do
  "$cli" quantize "$model" --calib "$calib" -o "$tmp/w${bits}a8.onnx" --wbits $bits --abits 8 \
    --eval "$data" --json "$tmp/w${bits}a8.json" --quiet
  "$cli" eval "$tmp/w${bits}a8.onnx" "$data" --json "$tmp/w${bits}a8_reload.json" >/dev/null
  "$cli" eval "$tmp/w${bits}a8.onnx" "$data" --int8 on --json "$tmp/w${bits}a8_int8.json" >/dev/null
  python3 - "$tmp/w${bits}a8.json" "$tmp/w${bits}a8_reload.json" $bits "$tmp/w${bits}a8_int8.json" \
    "$before" "$calib_sha256" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1])); reload = json.load(open(sys.argv[2])); bits = int(sys.argv[3])
model_sha256, calib_sha256 = sys.argv[5], sys.argv[6]  # sha256sum's digests of the inputs
int8 = json.load(open(sys.argv[4]))["mean_foreground_dice"]
fp = rep["evaluation"]["fp32"]["mean_foreground_dice"]
q = rep["evaluation"]["quantized"]["mean_foreground_dice"]
r = reload["mean_foreground_dice"]
tol = 0.005 if bits == 8 else 0.010
print(f"W{bits}A8: FP32 {fp:.4f}  quantized {q:.4f}  reloaded {r:.4f}  (allowed drop {tol})")
assert abs(q - r) < 1e-6, "the written ONNX does not reproduce the in-memory quantized model"
print(f"  real int8 inference: {int8:.4f}")
assert abs(int8 - q) <= 0.002, "int8 inference Dice differs from the fake-quant Dice by more than 0.2 point"
assert fp - q <= tol, f"W{bits}A8 lost {fp - q:.4f} Dice"
layers = rep["layers"]
assert layers[0]["wbits"] == 8 and layers[-1]["wbits"] == 8 and layers[0]["abits"] == "fp32"
assert all(l["wbits"] == bits for l in layers[1:-1])
assert all(l["mse_after"] <= l["mse_before"] * 1.0001 for l in layers if "mse_after" in l)
assert rep["inputs"]["model_sha256"] == model_sha256, \
    f'report model_sha256 {rep["inputs"]["model_sha256"]} != sha256sum {model_sha256}'
assert [c["sha256"] for c in rep["inputs"]["calibration"]] == [calib_sha256], \
    f'report calibration sha256 {rep["inputs"]["calibration"]} != sha256sum {calib_sha256}'
PY
done
after=$(sha256sum "$model" | cut -d' ' -f1)
[ "$before" = "$after" ] || { echo "the input model was modified"; exit 1; }
echo "quantize_brain passed"
