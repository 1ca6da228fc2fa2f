#!/usr/bin/env bash
# Regenerates the bundled models (models/brain.onnx, models/liver.onnx, models/brats.onnx) from
# scratch with the seeds and recipes of their model cards (models/NAME.md), then measures them with
# `efficientq eval` on their bundled test splits (tests/data/NAME).
#
#   tools/train/train_all.sh                # all three, one training at a time (about 75 min, 2 cores)
#   tools/train/train_all.sh liver brats    # a subset
#
# Environment: PY (default /usr/bin/python3, Debian's python3-torch/-nibabel/-onnx), CLI (default
# build/efficientq; `cmake --build build --target efficientq_cli`), WORK (default data/, git-ignored:
# datasets and training runs), MODELS (default models/).
# Training is on CPU and is not part of `make test`. brain's schedule ends on a time budget, so its
# iteration count (and its bytes) depend on machine load; liver and brats end on an iteration count
# (their time budgets are only a safety net), so they are reproducible up to CPU floating point.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-/usr/bin/python3}
CLI=${CLI:-build/efficientq}
WORK=${WORK:-data}
MODELS=${MODELS:-models}
T=tools/train
mkdir -p "$WORK" "$MODELS"
[ -x "$CLI" ] || { echo "missing $CLI: cmake --build build --target efficientq_cli" >&2; exit 1; }

train_brain() {
  rm -rf "$WORK/brain_ds" "$WORK/brain_run"
  "$PY" $T/make_brain_dataset.py "$WORK/brain_ds"
  "$PY" $T/train.py --data "$WORK/brain_ds" --out "$WORK/brain_run" --widths 16,32,64,32,16 \
    --patch 48,48,48 --batch 2 --iters 6000 --time-budget 1200 --lr 2e-3 --flip-axes 0 --seed 0
  "$PY" $T/export.py --run "$WORK/brain_run" --out "$MODELS/brain.onnx" --spacing 2,2,2 \
    --roi 64,64,64 --overlap 0.25 --blend gaussian --normalization zscore-nonzero
  "$CLI" eval "$MODELS/brain.onnx" tests/data/brain
}

train_liver() {
  rm -rf "$WORK/liver_ds" "$WORK/liver_run"
  "$CLI" phantom liver --train 24 --test 4 --seed 1000 -o "$WORK/liver_ds"
  "$PY" $T/train.py --data "$WORK/liver_ds" --out "$WORK/liver_run" --widths 16,32,64,64,64,32,16 \
    --patch 64,64,48 --batch 2 --iters 1600 --time-budget 1680 --lr 2e-3 \
    --normalization ct:-100,200 --class-p 2:0.5,1:0.2 --int-scale 0.05 --int-shift 0.03 \
    --noise-p 0.3 --noise-max 0.03 --flip-axes "" --seed 0 --threads 1
  "$PY" $T/export.py --run "$WORK/liver_run" --out "$MODELS/liver.onnx" --spacing 1.5,1.5,2.5 \
    --roi 64,64,48 --overlap 0.25 --blend gaussian
  "$CLI" eval "$MODELS/liver.onnx" "$WORK/liver_ds"
  "$CLI" eval "$MODELS/liver.onnx" tests/data/liver
}

train_brats() {
  rm -rf "$WORK/brats_ds" "$WORK/brats_run"
  "$CLI" phantom brats --train 24 --test 4 --seed 2000 -o "$WORK/brats_ds"
  "$PY" $T/train.py --data "$WORK/brats_ds" --out "$WORK/brats_run" --activation sigmoid \
    --widths 16,32,64,32,16 --patch 48,48,48 --batch 2 --iters 1500 --time-budget 1700 --lr 2e-3 \
    --flip-axes 0,1,2 --seed 0 --threads 1
  "$PY" $T/export.py --run "$WORK/brats_run" --out "$MODELS/brats.onnx" --spacing 1.5,1.5,1.5 \
    --roi 64,64,64 --overlap 0.25 --blend gaussian
  "$CLI" eval "$MODELS/brats.onnx" "$WORK/brats_ds"
  "$CLI" eval "$MODELS/brats.onnx" tests/data/brats
}

for m in ${*:-brain liver brats}; do
  case "$m" in
    brain|liver|brats) echo "== $m =="; SECONDS=0; "train_$m"; echo "== $m: ${SECONDS} s ==" ;;
    *) echo "unknown model '$m' (brain, liver, brats)" >&2; exit 2 ;;
  esac
done
