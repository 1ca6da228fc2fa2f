#!/usr/bin/env bash
# `make demo`: the main job on the bundled brain model and the real Colin27 MRI (Debian's
# mricron-data): inspect, segment, and evaluate Dice against the atlas-derived labels.
set -euo pipefail
build=${1:-build}
cli="$build/efficientq"
model=models/brain.onnx
data=tests/data/brain
out="$build/demo"
mkdir -p "$out"
echo "== efficientq $("$cli" --version | head -1 | cut -d' ' -f2) =="
echo
echo "== The model =="
"$cli" inspect "$model" | sed -n '1,6p;/layers,/p'
echo
echo "== Segment the Colin27 T1 (1 mm; the model runs at 2 mm and resamples) =="
"$cli" segment "$model" "$data"/imagesTs/*_0000.nii.gz -o "$out/colin_seg.nii.gz" \
  --probabilities "$out/colin_prob.nii.gz"
echo
echo "== Dice against the AAL-derived labels (FP32) =="
"$cli" eval "$model" "$data" --json "$out/eval_fp32.json"
echo
echo "Outputs in $out/"
