#!/usr/bin/env bash
# Real 2-bit weights (issue 15): with the default symmetric grid, an exported W2A8 model's 2-bit
# layers take all four codes, in the QDQ export (int8 codes {-3,-1,1,3}, zero point 0) and in the
# .efq (decoded by the C99 reader examples/efq_reader from 2-bit fields); the report states the
# levels of every layer; --weight-grid narrow keeps the old ternary grid {-1,0,1}.
# Bundled networks with a committed calibration case: brain (QDQ and .efq), jhu_nnunet and
# macaque_monai (.efq); --iters 20 (the code set does not depend on the iteration count).
set -euo pipefail
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
build=$(cd "$(dirname "$cli")" && pwd)
reader=${EFQ_READER:-$build/tests/efq_reader}  # ctest sets it (a qemu wrapper when cross built)
[ -x "$reader" ] || { echo "efq_reader not built at $reader"; exit 1; }
rm -rf "$tmp" && mkdir -p "$tmp"

q() {  # q NAME MODEL CALIB OUT [flags...]
  local name=$1 model=$2 calib=$3 out=$4
  shift 4
  "$cli" quantize "$model" --calib "$calib" -o "$out" --wbits 2 --abits 8 --iters 20 --quiet \
    --json "$tmp/$name.json" "$@"
}
brain="$src/models/brain.onnx" brain_calib=${EFQ_MRICRON_DIR:?}/templates/ch2better.nii.gz
q brain_qdq "$brain" "$brain_calib" "$tmp/brain.onnx"
q brain "$brain" "$brain_calib" "$tmp/brain.efq"
q brain_narrow "$brain" "$brain_calib" "$tmp/brain_narrow.efq" --weight-grid narrow
q jhu_nnunet "$src/models/jhu_nnunet.onnx" "$src/tests/data/jhu_nnunet/calib/jhu_001_0000.nii.gz" "$tmp/jhu_nnunet.efq"
q macaque_monai "$src/models/macaque_monai.onnx" "$src/tests/data/macaque_monai/calib/macaque_001_0000.nii.gz" "$tmp/macaque_monai.efq"
for m in brain brain_narrow jhu_nnunet macaque_monai; do "$reader" "$tmp/$m.efq" >"$tmp/$m.efq.txt"; done

# Debian's python3-onnx and numpy read the QDQ initializers.
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
import numpy as np, onnx
from onnx import numpy_helper
tmp = sys.argv[1]

def efq_layers(name):  # efq_reader: "layer NODE bits B ... min LO max HI sum S distinct D"
    out = {}
    for line in open(f"{tmp}/{name}.efq.txt"):
        w = line.split()
        if w[0] == "layer":
            f = dict(zip(w[2::2], w[3::2]))
            out[w[1]] = {k: int(v) for k, v in f.items()}
    return out

def check_report(name, levels2):
    rep = json.load(open(f"{tmp}/{name}.json"))
    for l in rep["layers"]:
        if l["skipped"]:
            continue
        want = levels2 if l["wbits"] == 2 else 255 if l["wbits"] == 8 else 2 ** l["wbits"]
        assert l["weight_levels"] == want, (name, l["name"], l["wbits"], l["weight_levels"])
    return {l["name"]: l for l in rep["layers"] if not l["skipped"]}

for name, narrow in (("brain", False), ("brain_narrow", True), ("jhu_nnunet", False),
                     ("macaque_monai", False)):
    layers = check_report(name, 3 if narrow else 4)
    two = [n for n, l in layers.items() if l["wbits"] == 2]
    efq = efq_layers(name)
    assert set(two) <= set(efq), (name, set(two) - set(efq))
    codes = {-1, 0, 1} if narrow else {-3, -1, 1, 3}
    full = [n for n in two if efq[n]["distinct"] == len(codes)]
    for n in two:
        assert efq[n]["bits"] == 2 and codes >= {efq[n]["min"], efq[n]["max"]}, (name, n, efq[n])
    print(f"{name}: {len(full)} of {len(two)} 2-bit layers take all {len(codes)} codes in the .efq")
    assert len(full) * 2 > len(two), f"{name}: most 2-bit layers should take all {len(codes)} codes"

# The QDQ export of the same configuration: int8 codes with zero point 0.
m = onnx.load(f"{tmp}/brain.onnx")
init = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
layers = check_report("brain_qdq", 4)
two = {n for n, l in layers.items() if l["wbits"] == 2}
seen, full = set(), 0
for n in m.graph.node:
    if n.op_type != "DequantizeLinear" or not n.name.endswith("/weight_dequant"):
        continue
    layer = n.name[: -len("/weight_dequant")]
    if layer not in two:
        continue
    seen.add(layer)
    codes = init[n.input[0]]
    assert codes.dtype == np.int8, (layer, codes.dtype)
    assert not init[n.input[2]].any(), f"{layer}: zero point not 0"
    used = set(np.unique(codes).tolist())
    assert used <= {-3, -1, 1, 3}, (layer, used)
    full += used == {-3, -1, 1, 3}
assert seen == two, two - seen
print(f"brain QDQ: {full} of {len(two)} 2-bit layers take all 4 int8 codes")
assert full * 2 > len(two)
PY
echo "weight_grid passed"
