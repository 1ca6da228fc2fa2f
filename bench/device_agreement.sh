#!/usr/bin/env bash
# Does quantizing on another device give a model of the same quality? For bundled models at W4A8
# and W2A8 (--iters 20, a small calibration crop so that PoCL finishes in minutes): quantize on
# cpu, on cpu with each calibration voxel scaled by (1 ± 2e-7) (the CPU's own noise floor), and on
# DEVICE; evaluate all three with the CPU backend; print Dice and code agreement side by side.
#   bash bench/device_agreement.sh [DEVICE (default opencl)] [MODELS (default liver,brats,brain)]
set -euo pipefail
cd "$(dirname "$0")/.."
dev=${1:-opencl} models=${2:-liver,brats,brain}
out=build/bench/device_agreement; mkdir -p "$out"
cli=build/efficientq
echo "| model | config | Dice cpu | Dice cpu, input ×(1±2e-7) | Dice $dev | codes cpu vs perturbed cpu | codes cpu vs $dev | quantize s cpu / $dev |"
echo "|---|---|---|---|---|---|---|---|"
for m in ${models//,/ }; do
  if [[ $m == brain ]]; then
    data=tests/data/brain; cal=(/usr/share/mricron/templates/ch2better.nii.gz)
  else
    data=tests/data/$m; first=$(ls "$data"/imagesTs/*_0000.nii.gz | head -1)
    cal=("${first%_0000.nii.gz}"_000?.nii.gz)
  fi
  jit=()
  for f in "${cal[@]}"; do
    j="$out/${m}_$(basename "$f")"
    /usr/bin/python3 - "$f" "$j" <<'PY'
import sys, nibabel as nib, numpy as np
img = nib.load(sys.argv[1]); d = np.asarray(img.dataobj).astype(np.float32)
h = img.header.copy(); h.set_data_dtype(np.float32)
r = np.random.default_rng(12).choice([-1.0, 1.0], d.shape)
nib.save(nib.Nifti1Image((d * (1 + 2e-7 * r)).astype(np.float32), img.affine, h), sys.argv[2])
PY
    jit+=("$j")
  done
  for wb in 4 2; do
    declare -A dice secs
    for run in cpu jit "$dev"; do
      d=$run calib=("${cal[@]}"); [[ $run == jit ]] && d=cpu calib=("${jit[@]}")
      t0=$(date +%s.%N)
      "$cli" quantize "models/$m.onnx" --calib "${calib[@]}" -o "$out/${m}_w${wb}_$run.efq" --wbits "$wb" \
        --abits 8 --iters 20 --calib-crop 32,32,32 --device "$d" --quiet
      secs[$run]=$(awk "BEGIN{printf \"%.0f\", $(date +%s.%N) - $t0}")
      "$cli" eval "$out/${m}_w${wb}_$run.efq" "$data" --device cpu --json "$out/${m}_w${wb}_$run.json" >/dev/null 2>&1
      dice[$run]=$(python3 -c "import json,sys;print(f\"{json.load(open(sys.argv[1]))['mean_foreground_dice']:.4f}\")" "$out/${m}_w${wb}_$run.json")
    done
    floor=$(python3 tests/cli/efq_codes_agreement.py "$out/${m}_w${wb}_cpu.efq" "$out/${m}_w${wb}_jit.efq" | awk '{print $2}')
    codes=$(python3 tests/cli/efq_codes_agreement.py "$out/${m}_w${wb}_cpu.efq" "$out/${m}_w${wb}_$dev.efq" | awk '{print $2}')
    echo "| $m | W${wb}A8 | ${dice[cpu]} | ${dice[jit]} | ${dice[$dev]} | $floor | $codes | ${secs[cpu]} / ${secs[$dev]} |"
  done
done
