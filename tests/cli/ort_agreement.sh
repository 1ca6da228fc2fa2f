#!/usr/bin/env bash
# Our engine against onnxruntime (the independent runtime, from PyPI into build/venv): the FP32
# brain model, and QDQ exports at W8A8, W4A8, W2A8 (symmetric per-channel) and faithful W4A8 / W2A8
# must load in onnxruntime and agree with us on >= 99.9 % of the voxel labels of a 64^3 window;
# W4A8 also over the whole test volume, with Dice measured in both runtimes.
set -euo pipefail
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
build=$(cd "$(dirname "$cli")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
venv="$build/venv"
. "$src/tests/lib/skip.sh"
# The venv belongs to the set-up step (make venv, run by make test before ctest): never the network here.
"$venv/bin/python" -c "import onnxruntime, numpy" 2>/dev/null ||
  skip "no onnxruntime in $venv (make venv creates it: python3 -m venv + pip install onnxruntime onnx numpy)"
model="$src/models/brain.onnx"
img="$src/tests/data/brain/imagesTs/colin_ch2_0000.nii.gz"
calib=${EFQ_MRICRON_DIR:?}/templates/ch2better.nii.gz
# check FILE MIN_AGREEMENT MAX_DIFF: MAX_DIFF is a number, or "floor" for 5x the noise floor that
# verify measures in the same run (our engine against itself on the input scaled by 1 + 2e-7,
# DESIGN section 7). With 8-bit activations, float rounding alone moves activation codes: on the
# brain window the floor's max |d prob| is 0.014-0.026 (the five QDQ exports below, --iters 40)
# and onnxruntime's difference from us 0.013-0.017 (measured when this bound was introduced):
# two runtimes differ by the same mechanism (accumulation order moves codes), so 5x the floor
# bounds it, where the old bound 1.0 could never fail. The FP32 model has no codes to move: its
# floor is ~1.5e-6 (onnxruntime 1.9e-6) and 1e-4 bounds it.
check() {
  "$cli" verify "$1" "$img" --python "$venv/bin/python" --json "$tmp/v.json" >/dev/null
  python3 - "$tmp/v.json" "$2" "$3" "$(basename "$1")" <<'PY'
import json, sys
v = json.load(open(sys.argv[1])); agree, name = float(sys.argv[2]), sys.argv[4]
floor = v["noise_floor"]
diff = max(5 * floor["max_abs_diff"], 1e-4) if sys.argv[3] == "floor" else float(sys.argv[3])
print(f"{name}: labels agree {100*v['label_agreement']:.4f} %, max |d prob| {v['max_abs_diff']:.3g} "
      f"(bound {diff:.3g}); noise floor: max |d prob| {floor['max_abs_diff']:.3g}, labels agree "
      f"{100*floor['label_agreement']:.4f} %")
assert diff < 0.5, f"noise floor {floor['max_abs_diff']:.3g} too high for a meaningful bound"
assert v["label_agreement"] >= agree, "label agreement too low"
assert v["max_abs_diff"] <= diff, "probabilities differ more than 5x the noise floor"
PY
}
check "$model" 1.0 1e-4
for cfg in "8 symmetric" "4 symmetric" "2 symmetric" "4 faithful" "2 faithful"; do
  set -- $cfg
  out="$tmp/brain_w$1a8_$2.onnx"
  "$cli" quantize "$model" --calib "$calib" -o "$out" --wbits "$1" --abits 8 --grid "$2" --iters 40 --quiet
  check "$out" 0.999 floor
done
# The whole test volume through the sliding window in onnxruntime (W4A8, symmetric): labels on
# the image grid agree on >= 99.9 % and the Dice measured in onnxruntime is within 0.2 points of ours.
"$cli" verify "$tmp/brain_w4a8_symmetric.onnx" "$img" --full \
  --label "$src/tests/data/brain/labelsTs/colin_ch2.nii.gz" --python "$venv/bin/python" \
  --json "$tmp/full.json" --quiet >/dev/null
python3 - "$tmp/full.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
d = v["dice"]
print(f"whole volume W4A8: labels agree {100*v['label_agreement']:.4f} %, mean fg Dice onnxruntime "
      f"{d['onnxruntime']['mean_foreground']:.4f} vs ours {d['libefficientq']['mean_foreground']:.4f}")
assert v["label_agreement"] >= 0.999, "whole-volume label agreement too low"
assert abs(v["dice_difference"]) <= 0.002, "Dice in onnxruntime differs by more than 0.2 points"
PY
# Other architectures (random-weight fixtures with ConvTranspose, InstanceNorm, PReLU/LeakyReLU):
# weight-only W4 (ConvTranspose solved by ADMM, exported with per-channel axis-1 DequantizeLinear).
"$cli" phantom liver --train 1 --test 0 --seed 3 --size 48,48,32 -o "$tmp/ph" >/dev/null
ph="$tmp/ph/imagesTr/liver_000_0000.nii.gz"
for m in nnunet_plain monai_unet; do
  imgs="$ph"; [ $m = monai_unet ] && imgs="$ph $ph"
  "$cli" quantize "$src/tests/data/fixtures/$m.onnx" $(for i in $imgs; do echo --calib $i; done | head -1) \
    $( [ $m = monai_unet ] && echo "$ph" ) -o "$tmp/$m.w4.onnx" --wbits 4 --abits none \
    --normalize ct:-200,300 --quiet --json "$tmp/$m.json"
  python3 - "$tmp/$m.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = [l for l in r["layers"] if l["op"] == "ConvTranspose"]
assert t and all(l["solver"] == "admm" and l["mse_after"] <= l["mse_before"] for l in t), t
PY
  "$cli" verify "$tmp/$m.w4.onnx" $imgs --normalize ct:-200,300 --python "$venv/bin/python" --json "$tmp/v.json" >/dev/null
  python3 -c "import json; v=json.load(open('$tmp/v.json')); print('$m W4 weight-only: labels agree', v['label_agreement']); assert v['label_agreement'] >= 0.999"
done
# Grouped and depthwise convolutions (PyTorch fixture, 4 input channels: a BraTS-like phantom),
# W4A8: solved per group, exported with per-channel DequantizeLinear, agreeing with onnxruntime.
"$cli" phantom brats --train 1 --test 0 --seed 3 --size 32,32,24 -o "$tmp/phb" >/dev/null
gimgs=$(ls "$tmp"/phb/imagesTr/*.nii.gz)
"$cli" quantize "$src/tests/data/fixtures/grouped.onnx" --calib $gimgs -o "$tmp/grouped.w4a8.onnx" \
  --wbits 4 --abits 8 --normalize zscore --quiet --json "$tmp/grouped.json"
python3 - "$tmp/grouped.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
g = [l for l in r["layers"] if "independent layer-wise problems" in l.get("note", "")]
assert len(g) == 3 and all(l["solver"] == "admm" and l["mse_after"] < l["mse_before"] for l in g), g
PY
"$cli" verify "$tmp/grouped.w4a8.onnx" $gimgs --normalize zscore --roi 16,16,16 --activation softmax \
  --python "$venv/bin/python" --json "$tmp/v.json" >/dev/null
python3 -c "import json; v=json.load(open('$tmp/v.json')); print('grouped W4A8: labels agree', v['label_agreement']); assert v['label_agreement'] >= 0.999"
echo "ort_agreement passed"
