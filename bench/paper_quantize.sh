#!/usr/bin/env bash
# Quantization time and memory of a paper-size network: the BraTS UResQ of METHOD §6.2 (22 convs,
# 5.95 M conv weights, widths up to 256) at W4A8, 200 ADMM iterations, from one 240x240x155
# 4-modality BraTS-like phantom (calibration crop 192x192x128 by the METHOD §1.4 rule).
# Build the model first: /usr/bin/python3 tools/train/paper_models.py
#   bash bench/paper_quantize.sh [ITERS]      (prints wall time, peak RSS, the slowest layers)
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-200}
out=build/paper/run
model=build/paper/uresq_brats.onnx
[ -f "$model" ] || { echo "$model missing: run /usr/bin/python3 tools/train/paper_models.py" >&2; exit 1; }
mkdir -p "$out"
build/efficientq phantom brats --train 1 --test 0 --seed 91 --size 240,240,155 -o "$out/brats_case" >/dev/null
/usr/bin/time -f "%e %M" -o "$out/time.txt" build/efficientq quantize "$model" \
  --calib "$out"/brats_case/imagesTr/brats_000_000{0,1,2,3}.nii.gz -o "$out/brats_w4a8.efq" \
  --wbits 4 --abits 8 --iters "$iters" --json "$out/brats_w4a8.json" --quiet
read -r wall rss <"$out/time.txt"
python3 - "$out/brats_w4a8.json" "$wall" "$rss" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"paper-size BraTS UResQ W4A8, {r['configuration']['iterations']} iterations, calibration "
      f"{r['configuration']['calibration_shape']}: wall {float(sys.argv[2]):.0f} s, quantizer "
      f"{r['totals']['seconds']:.0f} s, peak RSS {int(sys.argv[3]) / 1024:.0f} MiB, "
      f"{r['threads']} threads")
for l in sorted(r["layers"], key=lambda l: -l["seconds"])[:4]:
    print(f"  {l['name']} {l['weight_shape']}: {l['seconds']:.0f} s, MSE {l['mse_before']:.3g} -> {l['mse_after']:.3g}")
PY
