#!/usr/bin/env python3
"""Perturbed copies of the brain test case (issue 4: is rtn/mse scoring above FP32 at 3-4 bits on
the single test scan noise or systematic?). Debian's mricron-data has no second human T1 scan, so
these are the SAME scan (Colin27 ch2, full head) in other poses, grids, bias fields and noise: a
robustness probe, not new subjects.

    /usr/bin/python3 tools/train/make_brain_perturbed.py OUT_DIR [--cases 6]

Each case k: rigid rotation (uniform +-6 deg per axis) and shift (+-4 mm) about the volume centre,
resampled at an isotropic spacing drawn from [1.0, 1.4] mm (trilinear; labels nearest), smooth
multiplicative bias field, global scale and Gaussian noise (seed 1000 + k). Writes an nnU-Net raw
dataset (dataset.json copied from tests/data/brain, imagesTs, labelsTs).
"""
import argparse
import os
import shutil
import sys

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_other_datasets import bias_noise, resample, rot  # noqa: E402
from make_brain_dataset import save  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--cases", type=int, default=6)
    a = ap.parse_args()
    src = os.path.join(ROOT, "tests", "data", "brain")
    img_n = nib.load(os.path.join(src, "imagesTs", "colin_ch2_0000.nii.gz"))
    lab_n = nib.load(os.path.join(src, "labelsTs", "colin_ch2.nii.gz"))
    img = np.asarray(img_n.dataobj, dtype=np.float32)
    lab = np.asarray(lab_n.dataobj).astype(np.uint8)
    aff = img_n.affine
    centre = aff[:3, :3] @ (np.array(img.shape) / 2.0) + aff[:3, 3]
    for d in ("imagesTs", "labelsTs"):
        os.makedirs(os.path.join(a.out, d), exist_ok=True)
    shutil.copy(os.path.join(src, "dataset.json"), os.path.join(a.out, "dataset.json"))
    scale = 255.0 / max(float(np.percentile(img[img > 0], 99.5)), 1.0)
    for k in range(a.cases):
        rng = np.random.default_rng(1000 + k)
        R = rot(*rng.uniform(-6, 6, 3))
        shift = rng.uniform(-4, 4, 3)
        sp = rng.uniform(1.0, 1.4)
        extent = np.array(img.shape) * np.abs(np.diag(aff[:3, :3]))
        shape = tuple(int(round(e / sp)) for e in extent)
        a_tgt = np.diag([sp, sp, sp, 1.0])
        a_tgt[:3, 3] = centre - np.array(shape) * sp / 2.0
        im = resample(img, aff, shape, a_tgt, 1, R, centre, shift)
        lb = resample(lab.astype(np.float32), aff, shape, a_tgt, 0, R, centre, shift).astype(np.uint8)
        im = bias_noise(np.clip(im * scale, 0, 255), rng, noise=(1.0, 5.0))
        cid = f"colin_p{k}"
        save(im, a_tgt, os.path.join(a.out, "imagesTs", f"{cid}_0000.nii.gz"), np.uint8)
        save(lb, a_tgt, os.path.join(a.out, "labelsTs", f"{cid}.nii.gz"), np.uint8)
        print(cid, shape, f"{sp:.2f} mm")


if __name__ == "__main__":
    main()
