#!/usr/bin/env bash
# `make demo`: the main job on the bundled brain model and the real Colin27 MRI (Debian's
# mricron-data): inspect the model, segment the test scan, quantize the model to 4-bit weights /
# 8-bit activations from one calibration volume, and compare FP32 vs quantized Dice.
set -euo pipefail
build=${1:-build}
cli="$build/efficientq"
model=models/brain.onnx
data=tests/data/brain
# the training scan (0.5 mm), unlabelled; EFQ_MRICRON_DIR overrides mricron-data's folder
calib=${EFQ_MRICRON_DIR:-/usr/share/mricron}/templates/ch2better.nii.gz
out="$build/demo"
mkdir -p "$out"
echo "== $("$cli" --version | head -1) =="
echo
echo "== The model (models/brain.md) =="
"$cli" inspect "$model" | sed -n '1,5p;/layers,/p'
echo
echo "== Segment the Colin27 T1 scan ch2 (1 mm; the model runs at 2 mm and resamples) =="
"$cli" segment "$model" "$data"/imagesTs/*_0000.nii.gz -o "$out/colin_seg_fp32.nii.gz"
echo
echo "== Quantize W4A8 with EfficientQ from one calibration volume ($calib) =="
"$cli" quantize "$model" --calib "$calib" -o "$out/brain_w4a8.onnx" --wbits 4 --abits 8 \
  --eval "$data" --json "$out/brain_w4a8_report.json"
echo
echo "== Segment again with the quantized model =="
"$cli" segment "$out/brain_w4a8.onnx" "$data"/imagesTs/*_0000.nii.gz -o "$out/colin_seg_w4a8.nii.gz"
echo
echo "== Look at it: FP32 (orange) vs W4A8 (sky blue) contours, one coronal slice, 4x4 pixels per voxel =="
"$cli" overlay "$data"/imagesTs/*_0000.nii.gz "$out/colin_seg_fp32.nii.gz" \
  --compare "$out/colin_seg_w4a8.nii.gz" --plane coronal --scale 4 \
  -o "$out/fp32_vs_w4a8_coronal.png"
echo
echo "Outputs in $out/: segmentations, the quantized model, its report (per-layer errors,"
echo "scales, times, input checksums, FP32 vs quantized Dice) and the overlay PNG."
