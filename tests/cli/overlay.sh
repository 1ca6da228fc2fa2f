#!/usr/bin/env bash
# `efficientq overlay` on the real brain case: segment Colin27 with the bundled model, draw slices
# with the ground truth as the comparison, and check the pictures independently in Python
# (nibabel for the volumes and their orientation, zlib for the PNG): each colour is exactly the
# label boundaries of its map in that slice, seen in the documented radiological orientation;
# the greys follow the 1st-99th percentile window; the same anatomy stored in another voxel order
# gives the same picture; bad inputs fail with one clear line and leave no file behind.
set -euo pipefail
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
py=/usr/bin/python3  # Debian's, with numpy and nibabel
rm -rf "$tmp" && mkdir -p "$tmp/out"
img="$src/tests/data/brain/imagesTs/colin_ch2_0000.nii.gz"
truth="$src/tests/data/brain/labelsTs/colin_ch2.nii.gz"
"$cli" segment "$src/models/brain.onnx" "$img" -o "$tmp/seg.nii.gz" --quiet >/dev/null

# One picture per plane at the default slice (printed), and one at an explicit slice.
for plane in axial coronal sagittal; do
  "$cli" overlay "$img" "$tmp/seg.nii.gz" --compare "$truth" --plane $plane \
    -o "$tmp/out/$plane.png" >"$tmp/$plane.txt"
  cat "$tmp/$plane.txt"
done
"$cli" overlay "$img" "$tmp/seg.nii.gz" --slice 100 -o "$tmp/out/axial100.png" >/dev/null
# --scale: the coronal picture above with each voxel as 3x3 pixels, and an explicit --scale 1.
"$cli" overlay "$img" "$tmp/seg.nii.gz" --compare "$truth" --plane coronal --scale 3 \
  -o "$tmp/out/coronal_x3.png" --json "$tmp/coronal_x3.json" >/dev/null
"$cli" overlay "$img" "$tmp/seg.nii.gz" --compare "$truth" --plane coronal --scale 1 \
  -o "$tmp/out/coronal_x1.png" >/dev/null
cmp "$tmp/out/coronal.png" "$tmp/out/coronal_x1.png" || { echo "FAIL: --scale 1 differs from the default"; exit 1; }

# The same three volumes stored in another voxel order (P, I, R: sagittal slices first, two axes
# flipped), and the stored index of the anatomical slices drawn above.
"$py" - "$img" "$tmp/seg.nii.gz" "$truth" "$tmp" >"$tmp/slices.txt" <<'PY'
import sys, nibabel as nib
from nibabel.orientations import axcodes2ornt, io_orientation, ornt_transform
img, seg, truth, tmp = sys.argv[1:5]
for src, name in ((img, "img"), (seg, "seg"), (truth, "truth")):
    im = nib.load(src)
    t = ornt_transform(io_orientation(im.affine), axcodes2ornt(("P", "I", "R")))
    nib.save(im.as_reoriented(t), f"{tmp}/pir_{name}.nii.gz")
ras = nib.load(img)
assert nib.aff2axcodes(ras.affine) == ("R", "A", "S"), "the test assumes the RAS-stored scan"
nx, ny, nz = ras.shape
for plane in ("axial", "coronal", "sagittal"):
    s = int(open(f"{tmp}/{plane}.txt").read().split(" slice ")[1].split()[0])
    # RAS index s along S, A, R -> PIR index: I runs along -S (axis 1), P along -A (axis 0), R (2)
    print(plane, {"axial": nz - 1 - s, "coronal": ny - 1 - s, "sagittal": s}[plane])
PY
while read -r plane s; do
  "$cli" overlay "$tmp/pir_img.nii.gz" "$tmp/pir_seg.nii.gz" --compare "$tmp/pir_truth.nii.gz" \
    --plane $plane --slice $s -o "$tmp/out/pir_$plane.png" >/dev/null
done <"$tmp/slices.txt"

"$py" - "$img" "$tmp/seg.nii.gz" "$truth" "$tmp" <<'PY'
import struct, sys, zlib
import numpy as np, nibabel as nib
img_path, seg_path, truth_path, tmp = sys.argv[1:5]
ORANGE, BLUE, GREEN = (230, 159, 0), (86, 180, 233), (0, 158, 115)

def read_png(path):
    """8-bit RGB, non-interlaced PNG -> (H, W, 3) uint8, plus its text chunks."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, text = 8, b"", {}
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, ctype, interlace) == (8, 2, 0), (depth, ctype, interlace)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"tEXt":
            k, v = body.split(b"\0", 1)
            text[k.decode()] = v.decode("latin-1")
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = 3 * w
    out = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for r in range(h):
        f = raw[r * (stride + 1)]
        row = np.frombuffer(raw, np.uint8, stride, r * (stride + 1) + 1).astype(np.int32)
        if f == 0:
            cur = row
        elif f == 1:  # Sub: a running sum per channel
            cur = np.cumsum(row.reshape(w, 3), axis=0).reshape(-1) % 256
        elif f == 2:
            cur = (row + prev) % 256
        else:
            cur = row.copy()
            for x in range(stride):
                a = cur[x - 3] if x >= 3 else 0
                b = prev[x]
                c = prev[x - 3] if x >= 3 else 0
                if f == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (cur[x] + pred) % 256
        out[r] = cur
        prev = cur
    return out.reshape(h, w, 3).astype(np.uint8), text

def view(vol, plane, s):
    """The documented orientation on an RAS array: axial = patient right on the left, anterior
    up; coronal = right on the left, superior up; sagittal = anterior on the left, superior up."""
    if plane == "axial":
        return vol[::-1, ::-1, s].T
    if plane == "coronal":
        return vol[::-1, s, ::-1].T
    return vol[s, ::-1, ::-1].T

def boundary(lab):
    p = np.pad(lab, 1)  # outside the slice = label 0
    c = p[1:-1, 1:-1]
    return (c != 0) & ((p[:-2, 1:-1] != c) | (p[2:, 1:-1] != c) | (p[1:-1, :-2] != c) |
                       (p[1:-1, 2:] != c))

def is_colour(pic, rgb):
    return np.all(pic == np.array(rgb, np.uint8), axis=2)

image = nib.load(img_path)
assert nib.aff2axcodes(image.affine) == ("R", "A", "S")
vol = np.asarray(image.dataobj, dtype=np.float64)
seg = np.asarray(nib.load(seg_path).dataobj)
truth = np.asarray(nib.load(truth_path).dataobj)
lo, hi = np.percentile(vol, [1, 99], method="lower")
axis = {"axial": 2, "coronal": 1, "sagittal": 0}

def check(png, plane, s, compare):
    pic, text = read_png(png)
    b1 = boundary(view(seg, plane, s))
    b2 = boundary(view(truth, plane, s)) if compare else np.zeros_like(b1)
    assert pic.shape[:2] == b1.shape, (pic.shape, b1.shape)
    for rgb, want, name in ((ORANGE, b1 & ~b2, "SEG only"), (BLUE, ~b1 & b2, "SEG2 only"),
                            (GREEN, b1 & b2, "both")):
        got = is_colour(pic, rgb)
        bad = np.argwhere(got != want)
        assert len(bad) == 0, f"{png}: {len(bad)} pixels wrong for {name}, first at {bad[:3]}"
        assert want.sum() > 0 or not compare, f"{png}: no '{name}' contour pixel to check"
    assert b1.sum() > 0, f"{png}: no contour to check"
    grey = ~(b1 | b2)
    g = pic[grey].astype(np.float64)
    assert np.all(g[:, 0] == g[:, 1]) and np.all(g[:, 1] == g[:, 2]), "non-contour pixels not grey"
    want = np.clip(255 * (view(vol, plane, s)[grey] - lo) / (hi - lo), 0, 255)
    assert np.max(np.abs(g[:, 0] - want)) <= 0.51, np.max(np.abs(g[:, 0] - want))
    assert f"{plane} slice {s} " in text.get("Description", ""), text
    print(f"ok   {png.split('/')[-1]}: {pic.shape[1]}x{pic.shape[0]}, {plane} slice {s}, "
          f"{int(b1.sum())} SEG and {int(b2.sum())} SEG2 contour pixels, {int((b1 & b2).sum())} shared")
    return pic

for plane in ("axial", "coronal", "sagittal"):
    s = int(open(f"{tmp}/{plane}.txt").read().split(" slice ")[1].split()[0])
    counts = (seg != 0).sum(axis=tuple(a for a in range(3) if a != axis[plane]))
    assert s == int(np.argmax(counts)), (plane, s, int(np.argmax(counts)))  # first maximum
    pic = check(f"{tmp}/out/{plane}.png", plane, s, True)
    pir, _ = read_png(f"{tmp}/out/pir_{plane}.png")
    assert np.array_equal(pic, pir), f"{plane}: the P,I,R-stored copy gives another picture"
    print(f"ok   pir_{plane}.png: identical from the P,I,R-stored copy")
check(f"{tmp}/out/axial100.png", "axial", 100, False)

# --scale 3: three times the width and height, every pixel the scale-1 picture's (r // 3, c // 3).
import json
base, _ = read_png(f"{tmp}/out/coronal.png")
big, big_text = read_png(f"{tmp}/out/coronal_x3.png")
assert big.shape == (3 * base.shape[0], 3 * base.shape[1], 3), (big.shape, base.shape)
assert np.array_equal(big, np.repeat(np.repeat(base, 3, axis=0), 3, axis=1)), "not replicated"
assert "3x3 pixels per voxel" in big_text.get("Description", ""), big_text
assert json.load(open(f"{tmp}/coronal_x3.json"))["scale"] == 3
print(f"ok   coronal_x3.png: {big.shape[1]}x{big.shape[0]}, each pixel of coronal.png as 3x3")
PY

# Bad inputs: exit 1 (2 for usage), one line on stderr naming what is wrong, no file left.
"$py" - "$tmp/seg.nii.gz" "$tmp" <<'PY'
import sys, numpy as np, nibabel as nib
seg = nib.load(sys.argv[1]); tmp = sys.argv[2]
nib.save(seg.slicer[:, :, :-1], f"{tmp}/cropped.nii.gz")
moved = seg.affine.copy(); moved[1, 3] += 2.0
nib.save(nib.Nifti1Image(np.asarray(seg.dataobj), moved, seg.header), f"{tmp}/moved.nii.gz")
frac = np.asarray(seg.dataobj).astype(np.float32); frac[90, 100, 80] = 0.5
nib.save(nib.Nifti1Image(frac, seg.affine), f"{tmp}/fraction.nii.gz")
PY
fails=0
expect_error() {  # expect_error NAME RC PATTERN -- command...
  local name=$1 want_rc=$2 pattern=$3; shift 4
  "$@" >"$tmp/stdout" 2>"$tmp/stderr" && rc=0 || rc=$?
  if [ "$rc" -ne "$want_rc" ] || [ "$(wc -l <"$tmp/stderr")" -ne 1 ] ||
     ! grep -qF -- "$pattern" "$tmp/stderr"; then
    echo "FAIL $name: rc=$rc (want $want_rc), stderr:"; cat "$tmp/stderr"; fails=$((fails + 1))
  else
    echo "ok   $name: $(cat "$tmp/stderr")"
  fi
}
bad="$tmp/bad.png"
expect_error "dims differ" 1 "'$tmp/cropped.nii.gz' is not on the grid of '$img': dimensions 181x217x180 vs 181x217x181" -- \
  "$cli" overlay "$img" "$tmp/cropped.nii.gz" -o "$bad"
expect_error "affine differs" 1 "'$tmp/moved.nii.gz' is not on the grid of '$img': the voxel-to-world affines differ by 2 mm" -- \
  "$cli" overlay "$img" "$tmp/seg.nii.gz" --compare "$tmp/moved.nii.gz" -o "$bad"
expect_error "not a label map" 1 "'$tmp/fraction.nii.gz' is not a label map: 1 voxel(s) are not integers >= 0, the first at voxel (90, 100, 80) = 0.5" -- \
  "$cli" overlay "$img" "$tmp/fraction.nii.gz" -o "$bad"
expect_error "slice out of range" 1 "slice 217 is out of range: the coronal slices of '$img' are 0..216 (voxel axis j)" -- \
  "$cli" overlay "$img" "$tmp/seg.nii.gz" --plane coronal --slice 217 -o "$bad"
expect_error "missing seg" 1 "$tmp/nope.nii.gz" -- "$cli" overlay "$img" "$tmp/nope.nii.gz" -o "$bad"
expect_error "not png" 1 "must end in .png" -- "$cli" overlay "$img" "$tmp/seg.nii.gz" -o "$tmp/bad.jpg"
expect_error "bad plane" 2 "--plane takes axial, coronal or sagittal" -- \
  "$cli" overlay "$img" "$tmp/seg.nii.gz" --plane oblique -o "$bad"
expect_error "no output" 2 "overlay needs -o SLICE.png" -- "$cli" overlay "$img" "$tmp/seg.nii.gz"
expect_error "scale 0" 1 "overlay scale 0 is out of [1, 16] (pixels per voxel)" -- \
  "$cli" overlay "$img" "$tmp/seg.nii.gz" --scale 0 -o "$bad"
expect_error "scale 17" 1 "overlay scale 17 is out of [1, 16]" -- \
  "$cli" overlay "$img" "$tmp/seg.nii.gz" --scale 17 -o "$bad"
expect_error "scale not a number" 2 "--scale: 'big' is not an integer" -- \
  "$cli" overlay "$img" "$tmp/seg.nii.gz" --scale big -o "$bad"
left=$(ls -A "$tmp" | grep -E '^bad|\.tmp-' || true)
[ -z "$left" ] || { echo "FAIL: files left behind: $left"; fails=$((fails + 1)); }
"$cli" overlay --help | grep -q "patient right on the picture's" || { echo "FAIL: --help"; fails=$((fails + 1)); }
[ $fails -eq 0 ] && echo "overlay passed"
exit $fails
