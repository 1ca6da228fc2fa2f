#!/usr/bin/env bash
# Fidelity (issue 15): the Dice of a quantized model's labels against the FP32 model's labels.
#  - the FP32 model against itself: exactly 1 for every class, and its Dice equals plain eval's;
#  - quantize --eval reports fidelity beside Dice; eval --reference on the written model gives the
#    same fidelity on the dataset, on the dataset without labelsTs and on a plain image folder;
#  - the fidelity per class equals a Dice computed independently (nibabel) on the label maps that
#    `segment` writes for both models;
#  - without labels and without --reference, eval fails naming the remedy; a reference with other
#    output channels fails naming them.
set -euo pipefail
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
rm -rf "$tmp" && mkdir -p "$tmp"
model="$src/models/brain.onnx" data="$src/tests/data/brain"
img="$data/imagesTs/colin_ch2_0000.nii.gz"
calib=${EFQ_MRICRON_DIR:?}/templates/ch2better.nii.gz

"$cli" eval "$model" "$data" --reference "$model" --json "$tmp/self.json" --quiet >/dev/null
"$cli" eval "$model" "$data" --json "$tmp/fp.json" --quiet >/dev/null
python3 - "$tmp/self.json" "$tmp/fp.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); fp = json.load(open(sys.argv[2]))
assert s["labelled"] is True
assert s["mean_fidelity"] == 1.0, s["mean_fidelity"]
assert all(v == 1.0 for c in s["fidelity"]["cases"] for v in c["dice"].values()), s["fidelity"]
assert s["dice"]["mean_dice"] == fp["mean_dice"] and s["reference_dice"]["mean_dice"] == fp["mean_dice"]
print("FP32 against itself: fidelity 1.0 exactly; Dice", fp["mean_foreground_dice"])
PY

# W2A8 with few iterations: a model that differs visibly from the FP32 one.
"$cli" quantize "$model" --calib "$calib" -o "$tmp/w2a8.onnx" --wbits 2 --abits 8 --iters 20 \
  --eval "$data" --json "$tmp/w2a8.json" --quiet
mkdir -p "$tmp/plain" "$tmp/nolabels"
ln -s "$img" "$tmp/plain/colin_ch2_0000.nii.gz"
cp "$data/dataset.json" "$tmp/nolabels/" && ln -s "$data/imagesTs" "$tmp/nolabels/imagesTs"
"$cli" eval "$tmp/w2a8.onnx" "$tmp/plain" --reference "$model" --json "$tmp/plain.json" --quiet >/dev/null
"$cli" eval "$tmp/w2a8.onnx" "$tmp/nolabels" --reference "$model" --json "$tmp/nolabels.json" --quiet >/dev/null
"$cli" segment "$model" "$img" -o "$tmp/fp_seg.nii.gz" --quiet
"$cli" segment "$tmp/w2a8.onnx" "$img" -o "$tmp/q_seg.nii.gz" --quiet
# Debian's python3-nibabel (a required package, README: Dependencies)
/usr/bin/python3 - "$tmp" "$tmp/fp.json" <<'PY'
import json, sys
import nibabel as nib, numpy as np
tmp = sys.argv[1]
fp = json.load(open(sys.argv[2]))
rep = json.load(open(f"{tmp}/w2a8.json"))["evaluation"]
plain = json.load(open(f"{tmp}/plain.json")); nolab = json.load(open(f"{tmp}/nolabels.json"))
f = rep["mean_fidelity"]
print(f"W2A8 --iters 20: Dice {rep['quantized']['mean_foreground_dice']:.4f} "
      f"(FP32 {rep['fp32']['mean_foreground_dice']:.4f}), fidelity {f:.4f}")
assert rep["fp32"]["mean_dice"] == fp["mean_dice"], "quantize --eval's FP32 Dice differs from eval's"
assert 0.5 < f < 1.0, f"fidelity {f} of a W2A8 model (expected below 1, above chance)"
for name, j in (("plain folder", plain), ("dataset without labelsTs", nolab)):
    assert j["labelled"] is False and "dice" not in j, name
    print(f"{name}: fidelity {j['mean_fidelity']:.6f}")
    # the reloaded QDQ file against the in-memory model (quantize_brain.sh: Dice within 1e-6)
    assert abs(j["mean_fidelity"] - f) < 1e-6, (name, j["mean_fidelity"], f)
# Independently: Dice per foreground class of the two label maps `segment` wrote.
a = np.asarray(nib.load(f"{tmp}/q_seg.nii.gz").dataobj).astype(int)
b = np.asarray(nib.load(f"{tmp}/fp_seg.nii.gz").dataobj).astype(int)
fid = plain["fidelity"]
classes = [c for c, fg in zip(fid["classes"], fid["foreground"]) if fg]
assert len(classes) == 5, fid["classes"]  # brain: 5 regions; names from the model metadata
ours = fid["cases"][0]["dice"]
mine = []
for k, c in enumerate(fid["classes"]):
    p, r = a == k, b == k
    d = 1.0 if p.sum() + r.sum() == 0 else 2.0 * (p & r).sum() / (p.sum() + r.sum())
    assert abs(d - ours[c]) < 1e-12, (c, d, ours[c])
    if fid["foreground"][k]:
        mine.append(d)
print(f"independent Dice of the segment outputs: mean fg {np.mean(mine):.6f} (eval {fid['mean_foreground_dice']:.6f})")
assert abs(np.mean(mine) - plain["mean_fidelity"]) < 1e-12
PY

# Errors: no labels and no reference; a reference that segments other classes.
if "$cli" eval "$tmp/w2a8.onnx" "$tmp/nolabels" --quiet 2>"$tmp/err1"; then
  echo "eval without labels and without --reference succeeded"; exit 1
fi
grep -q -- "--reference" "$tmp/err1" || { cat "$tmp/err1"; echo "the error does not name --reference"; exit 1; }
if "$cli" eval "$tmp/w2a8.onnx" "$tmp/plain" --reference "$src/models/liver.onnx" --quiet 2>"$tmp/err2"; then
  echo "a reference with 3 output channels was accepted for a 6-channel model"; exit 1
fi
grep -q "output channels" "$tmp/err2" || { cat "$tmp/err2"; echo "the error does not name the channels"; exit 1; }
echo "fidelity passed"
