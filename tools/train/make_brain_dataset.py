#!/usr/bin/env python3
"""Build the 'brain' dataset (nnU-Net v2 raw layout) from Debian's mricron-data templates.

    /usr/bin/python3 tools/train/make_brain_dataset.py OUT_DIR [--test-only]

Classes (AAL 116 labels grouped, deliberate imbalance, one small structure):
  0 background
  1 frontal          AAL 1-28   (precentral, frontal gyri, rolandic operculum, SMA, olfactory, rectus)
  2 parietal_occipital AAL 43-70 (calcarine ... fusiform, postcentral ... paracentral)
  3 temporal_limbic  AAL 29-42, 79-90 (insula, cingulum, hippocampus, parahippocampal, amygdala,
                     heschl, temporal gyri and poles)
  4 cerebellum       AAL 91-116 (cerebellum + vermis)
  5 deep_grey        AAL 71-78  (caudate, putamen, pallidum, thalamus) -- the small one

Training (imagesTr/labelsTr, 2 mm): ch2better (Colin27 T1, 0.5 mm, skull-stripped) averaged over
4x4x4 blocks onto a 2 mm grid, padded by 10 voxels of zeros per side, AAL (1 mm) sampled nearest
neighbour at the 2 mm voxel centres. brain_000 is the plain case; brain_001..004 are augmented copies:
smooth multiplicative bias field, a synthetic non-brain 'head' shell (CSF / skull / scalp bands around
the brain mask, labelled background -- the test scan is not skull-stripped), Gaussian noise and
intensity scaling. Images are stored as uint8.
Test (imagesTs/labelsTs, native 1 mm): ch2.nii.gz (full head, 181x217x181) with AAL grouped labels
on the same grid.
"""
import argparse
import json
import os

import nibabel as nib
import numpy as np
from scipy import ndimage

TPL = os.path.join(os.environ.get("EFQ_MRICRON_DIR") or "/usr/share/mricron", "templates")
CLASSES = ["background", "frontal", "parietal_occipital", "temporal_limbic", "cerebellum",
           "deep_grey"]
GROUPS = {1: [(1, 28)], 2: [(43, 70)], 3: [(29, 42), (79, 90)], 4: [(91, 116)], 5: [(71, 78)]}
PAD = 10
N_AUG = 4
SEED = 1234


def group_lut():
    lut = np.zeros(256, np.uint8)
    for c, ranges in GROUPS.items():
        for lo, hi in ranges:
            lut[lo:hi + 1] = c
    return lut


def dataset_json(n_train):
    return {
        "channel_names": {"0": "T1"},
        "labels": {name: i for i, name in enumerate(CLASSES)},
        "numTraining": n_train,
        "file_ending": ".nii.gz",
        "name": "Colin27 brain regions (AAL grouped)",
        "description": "ch2better (0.5 mm) -> 2 mm training with augmented copies; test: ch2 (1 mm, full head). "
                       "Source: Debian mricron-data (BSD-3-clause). Made by tools/train/make_brain_dataset.py.",
        "reference": "Holmes et al. 1998 (Colin27); Tzourio-Mazoyer et al. 2002 (AAL)",
    }


def save(arr, affine, path, dtype):
    img = nib.Nifti1Image(arr.astype(dtype), affine)
    img.header.set_data_dtype(dtype)
    img.header.set_xyzt_units("mm")
    nib.save(img, path)


def make_test(out, lut):
    t = nib.load(os.path.join(TPL, "ch2.nii.gz"))
    a = nib.load(os.path.join(TPL, "aal.nii.gz"))
    assert np.allclose(t.affine, a.affine) and t.shape == a.shape
    os.makedirs(os.path.join(out, "imagesTs"), exist_ok=True)
    os.makedirs(os.path.join(out, "labelsTs"), exist_ok=True)
    save(np.asarray(t.dataobj), t.affine, os.path.join(out, "imagesTs", "colin_ch2_0000.nii.gz"), np.uint8)
    lab = lut[np.asarray(a.dataobj).astype(np.int64)]
    save(lab, a.affine, os.path.join(out, "labelsTs", "colin_ch2.nii.gz"), np.uint8)
    return lab


def train_base(lut):
    b = nib.load(os.path.join(TPL, "ch2better.nii.gz"))
    a = nib.load(os.path.join(TPL, "aal.nii.gz"))
    img = np.asarray(b.dataobj).astype(np.float32)
    f = 4  # 0.5 mm -> 2 mm
    s = [d // f for d in img.shape]
    img = img[:s[0] * f, :s[1] * f, :s[2] * f].reshape(s[0], f, s[1], f, s[2], f).mean((1, 3, 5))
    aff = b.affine.copy()
    aff[:3, :3] *= f
    aff[:3, 3] += b.affine[:3, :3] @ np.full(3, (f - 1) / 2.0)  # centre of the 4x4x4 block
    # pad
    img = np.pad(img, PAD)
    aff[:3, 3] -= aff[:3, :3] @ np.full(3, PAD)
    # labels: nearest neighbour of AAL (1 mm) at the 2 mm voxel centres
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in img.shape], indexing="ij"), -1).reshape(-1, 3)
    world = idx @ aff[:3, :3].T + aff[:3, 3]
    av = np.rint((world - a.affine[:3, 3]) @ np.linalg.inv(a.affine[:3, :3]).T).astype(np.int64)
    aal = np.asarray(a.dataobj)
    ok = np.all((av >= 0) & (av < np.array(aal.shape)), 1)
    lab = np.zeros(len(idx), np.uint8)
    lab[ok] = aal[av[ok, 0], av[ok, 1], av[ok, 2]]
    lab = lut[lab.astype(np.int64)].reshape(img.shape)
    lab[img <= 0] = 0  # nothing outside the stripped brain
    return img, lab, aff


def augment(img, rng):
    shape = img.shape
    brain = img > 0
    out = img.copy()
    # synthetic head shell around the brain (distance in voxels of 2 mm)
    dist = ndimage.distance_transform_edt(~brain)
    csf = (dist > 0) & (dist <= rng.uniform(1.0, 2.0))
    skull_out = rng.uniform(3.0, 4.5)
    scalp_out = skull_out + rng.uniform(2.0, 4.0)
    skull = (dist > 0) & ~csf & (dist <= skull_out)
    scalp = (dist > skull_out) & (dist <= scalp_out)
    tex = ndimage.gaussian_filter(rng.standard_normal(shape), 1.5)
    tex = tex / (tex.std() + 1e-6)
    out[csf] = rng.uniform(20, 45) + 8 * tex[csf]
    out[skull] = rng.uniform(15, 60) + 15 * tex[skull]
    out[scalp] = rng.uniform(90, 170) + 30 * tex[scalp]
    # smooth multiplicative bias field (random low-order polynomial)
    g = [np.linspace(-1, 1, n) for n in shape]
    X, Y, Z = np.meshgrid(*g, indexing="ij")
    c = rng.uniform(-0.15, 0.15, 6)
    bias = np.exp(c[0] * X + c[1] * Y + c[2] * Z + c[3] * X * Y + c[4] * Y * Z + c[5] * X * X)
    out = out * bias * rng.uniform(0.8, 1.25)
    head = out > 0
    out[head] += rng.normal(0, rng.uniform(1.0, 5.0), head.sum())
    # faint background noise in half of the copies
    if rng.random() < 0.5:
        bg = ~head
        out[bg] = np.abs(rng.normal(0, 2.0, bg.sum()))
    return np.clip(np.rint(out), 0, 255)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--test-only", action="store_true", help="only imagesTs/labelsTs + dataset.json")
    a = ap.parse_args()
    lut = group_lut()
    os.makedirs(a.out, exist_ok=True)
    lab_ts = make_test(a.out, lut)
    counts = np.bincount(lab_ts.ravel(), minlength=6)
    print("test voxel fractions:", np.round(counts / counts.sum(), 4).tolist())
    n_train = 0
    if not a.test_only:
        os.makedirs(os.path.join(a.out, "imagesTr"), exist_ok=True)
        os.makedirs(os.path.join(a.out, "labelsTr"), exist_ok=True)
        img, lab, aff = train_base(lut)
        rng = np.random.default_rng(SEED)
        for i in range(1 + N_AUG):
            im = np.clip(np.rint(img), 0, 255) if i == 0 else augment(img, rng)
            save(im, aff, os.path.join(a.out, "imagesTr", f"brain_{i:03d}_0000.nii.gz"), np.uint8)
            save(lab, aff, os.path.join(a.out, "labelsTr", f"brain_{i:03d}.nii.gz"), np.uint8)
        n_train = 1 + N_AUG
        c = np.bincount(lab.ravel(), minlength=6)
        print("train shape", lab.shape, "fractions:", np.round(c / c.sum(), 4).tolist())
    dj = dataset_json(1 + N_AUG)
    dj["numTest"] = 1
    if a.test_only:
        dj["note"] = "test split only (imagesTs/labelsTs); regenerate the training split with make_brain_dataset.py"
    with open(os.path.join(a.out, "dataset.json"), "w") as fh:
        json.dump(dj, fh, indent=2)


if __name__ == "__main__":
    main()
