#!/usr/bin/env bash
# Issue 4: the quantizer's accuracy holds on a network of another architecture trained on other data.
# Quantizes the bundled MONAI-style UNet trained on the INIA19 macaque template (models/macaque_monai.onnx,
# InstanceNorm + PReLU + ConvTranspose, opset 17) at W4A8 with a short ADMM (--iters 40) from its
# committed calibration case, and checks: the QDQ ONNX is written (with DequantizeLinear/QuantizeLinear
# nodes), reloads to the same Dice, and the quantized mean foreground Dice on the held-out test case is
# within 1.5 points of FP32. The full matrix is bench/accuracy.py --models macaque_monai,jhu_nnunet.
set -euo pipefail
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
rm -rf "$tmp" && mkdir -p "$tmp"
name=${EFQ_OTHER_MODEL:-macaque_monai}
model="$src/models/$name.onnx" data="$src/tests/data/$name"
calib=$(ls "$data"/calib/*_0000.nii.gz)
"$cli" quantize "$model" --calib $calib -o "$tmp/w4a8.onnx" --wbits 4 --abits 8 --iters 40 \
  --eval "$data" --json "$tmp/w4a8.json" --quiet
[ -s "$tmp/w4a8.onnx" ] || { echo "no QDQ file written"; exit 1; }
grep -qa DequantizeLinear "$tmp/w4a8.onnx" && grep -qa QuantizeLinear "$tmp/w4a8.onnx" \
  || { echo "the written model has no Q/DQ nodes"; exit 1; }
"$cli" eval "$tmp/w4a8.onnx" "$data" --json "$tmp/reload.json" >/dev/null
python3 - "$tmp/w4a8.json" "$tmp/reload.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
fp = rep["evaluation"]["fp32"]["mean_foreground_dice"]
q = rep["evaluation"]["quantized"]["mean_foreground_dice"]
r = json.load(open(sys.argv[2]))["mean_foreground_dice"]
print(f"W4A8 (--iters 40): FP32 {fp:.4f}  quantized {q:.4f}  reloaded {r:.4f}  (allowed drop 0.015)")
assert abs(q - r) < 1e-6, "the written ONNX does not reproduce the in-memory quantized model"
assert fp - q <= 0.015, f"W4A8 lost {fp - q:.4f} Dice"
layers = rep["layers"]
assert layers[0]["wbits"] == 8 and layers[-1]["wbits"] == 8
assert all(l["wbits"] == 4 for l in layers[1:-1])
PY
echo "other_architectures passed"
