#!/usr/bin/env bash
# Widths under a budget (issue 15 item 3) on brain, --iters 20: `quantize --budget-fidelity 0.98
# --wbits-choices 2,3,4,8` against a plain default W4A8 run from the same calibration volume.
# Checks on the report and on the .efq as the C99 reader decodes it:
#  - every searched layer's width is one of the choices; the first and last layer stay W8; the
#    report's per-layer widths are the .efq's;
#  - the packed weight bytes are the sum over layers of ceil(n·b/8), and the .efq's;
#  - at most 5 search quantizations, each measured; the final model's crop fidelity is >= 0.98;
#  - the packed bytes are below the default W4A8 model's (.efq, read back), which the report's
#    uniform_packed_weight_bytes matches;
#  - the chosen model segments the whole calibration volume like the FP32 network
#    (`eval --reference` on it, not the crop the search measured): fidelity >= 0.97.
set -euo pipefail
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
build=$(cd "$(dirname "$cli")" && pwd)
reader="$build/tests/efq_reader"
[ -x "$reader" ] || { echo "efq_reader not built at $reader"; exit 1; }
rm -rf "$tmp" && mkdir -p "$tmp/calvol"
model="$src/models/brain.onnx" calib=/usr/share/mricron/templates/ch2better.nii.gz
"$cli" quantize "$model" --calib "$calib" -o "$tmp/default.efq" --iters 20 --quiet --json "$tmp/default.json"
# --eval: the whole calibration volume as a plain folder of one case.
ln -s "$calib" "$tmp/calvol/ch2_0000.nii.gz"
"$cli" quantize "$model" --calib "$calib" -o "$tmp/budget.efq" --iters 20 --quiet \
  --budget-fidelity 0.98 --wbits-choices 2,3,4,8 --json "$tmp/budget.json" --eval "$tmp/calvol"
"$reader" "$tmp/default.efq" >"$tmp/default.efq.txt"
"$reader" "$tmp/budget.efq" >"$tmp/budget.efq.txt"

/usr/bin/python3 - "$tmp" <<'PY'
import json, math, sys
tmp = sys.argv[1]

def efq(name):  # efq_reader: "layer NODE bits B ..." lines, then "N layers, C codes in B packed bytes"
    layers, total = {}, None
    for line in open(f"{tmp}/{name}.efq.txt"):
        w = line.split()
        if w[0] == "layer":
            layers[w[1]] = int(w[3])
        elif "packed" in w:
            total = int(w[w.index("packed") - 1])
    return layers, total

rep = json.load(open(f"{tmp}/budget.json"))
b = rep["budget"]
choices = [2, 3, 4, 8]
assert b["wbits_choices"] == choices and b["target_fidelity"] == 0.98, b
layers = [l for l in rep["layers"] if not l["skipped"]]
assert [l["name"] for l in b["layers"]] == [l["name"] for l in layers]
for bl, l in zip(b["layers"], layers):
    assert bl["wbits"] == l["wbits"], (bl, l["wbits"])
    if bl["chosen"]:
        assert l["wbits"] in choices, (l["name"], l["wbits"])
assert not b["layers"][0]["chosen"] and not b["layers"][-1]["chosen"]
assert layers[0]["wbits"] == 8 and layers[-1]["wbits"] == 8
n = lambda l: math.prod(l["weight_shape"])
total = sum((n(l) * l["wbits"] + 7) // 8 for l in layers)
efq_layers, efq_total = efq("budget")
assert {k: v for k, v in efq_layers.items()} == {l["name"]: l["wbits"] for l in layers}, efq_layers
assert total == b["packed_weight_bytes"] == efq_total, (total, b["packed_weight_bytes"], efq_total)
assert 1 <= len(b["measurements"]) <= 5 == b["max_measurements"], b["measurements"]
assert len({m["path_step"] for m in b["measurements"]}) == len(b["measurements"])
assert b["crop_fidelity"] >= 0.98 and b["met"], b["crop_fidelity"]
_, default_total = efq("default")
assert b["uniform_packed_weight_bytes"] == default_total, (b["uniform_packed_weight_bytes"], default_total)
ratio = total / default_total
widths = sorted({l["wbits"] for bl, l in zip(b["layers"], layers) if bl["chosen"]})
print(f"budget: {total} packed bytes = {ratio:.3f} x default W4A8 ({default_total}); widths {widths}; "
      f"crop fidelity {b['crop_fidelity']:.4f}; {len(b['measurements'])} search quantizations")
assert total < default_total, "the budget's model is not smaller than the default W4A8"
fid = rep["evaluation"]["mean_fidelity"]
print(f"fidelity on the whole calibration volume: {fid:.4f}")
assert fid >= 0.97, fid
PY
echo "budget passed"
