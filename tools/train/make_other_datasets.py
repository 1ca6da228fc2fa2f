#!/usr/bin/env python3
"""Two more datasets (nnU-Net v2 raw layout) from Debian's mricron-data templates, for the models of
other architectures (models/macaque_monai.onnx, models/jhu_nnunet.onnx; issue 4).

    /usr/bin/python3 tools/train/make_other_datasets.py NAME OUT_DIR [--test-only] [--calib-dir DIR]

NAME = macaque | jhu. Deterministic (fixed seeds). Not the Colin27/AAL pair of models/brain.onnx.

macaque -- rhesus macaque template INIA19 (`inia19-t1-brain.nii.gz`, 0.5 mm, skull-stripped) with its
  NeuroMaps parcellation (`inia19-NeuroMaps.nii.gz`, same grid and affine, checked). mricron-data ships
  no label table for NeuroMaps, so the ~700 labels (id and id+1000 = the two hemispheres) are grouped
  GEOMETRICALLY, each whole label by the centroid (|x|, y, z) of its voxels in the template's world mm
  (origin near the anterior commissure); region boundaries therefore are the atlas' own:
    1 anterior            y > 2
    2 posterior_superior  y < -18, not 3
    3 posterior_inferior  y < -22 and z < -3   (cerebellum / occipito-temporal floor)
    4 middle_lateral      -18 <= y <= 2, |x| > 6
    5 middle_medial       -18 <= y <= 2, |x| <= 6  (the small one, ~1 % of the volume)
  Train (1 mm): brain bounding box (+2 mm) averaged over 2x2x2 blocks, labels by majority over the
  block, zero-padded 5 voxels per side; macaque_000 plain, macaque_001..005 augmented (bias field,
  intensity scale, noise). Test (1 case): the 0.5 mm template resampled at 0.8 mm (trilinear; labels
  nearest) after a rigid rotation (7 deg about z, -5 deg about x, 4 deg about y) and a 1.3 mm shift,
  then mirrored left-right, with its own bias/noise realisation. SAME ANIMAL (a population template):
  the test differs in pose, grid, resolution, handedness and noise only.

jhu -- Colin27 (the brain model's subject) with a different labelling: the JHU ICBM-DTI-81 white-matter
  atlas (`JHU-WhiteMatter-labels-1mm.nii.gz`, MNI152 1 mm grid; mapped onto the Colin27 grids through
  the two affines, nearest neighbour, and masked to the Colin27 brain). The atlas comes from other
  subjects and is not registered non-linearly to Colin27, so the labels follow MNI152 anatomy, not
  exactly this brain's white matter -- a consistent but atlas-defined target. 48 tracts grouped:
    1 corpus_callosum        3-5 (genu, body, splenium)
    2 brainstem_cerebellar   1, 2, 7-16 (cerebellar peduncles, pontine crossing, CST, ML, cerebral peduncles)
    3 internal_capsule       17-22 (anterior/posterior limbs, retrolenticular) -- the small one
    4 corona_radiata         23-28 (anterior/superior/posterior)
    5 association_limbic     6, 29-48 (fornix, thalamic radiation, sagittal stratum, external capsule,
                             cingulum, stria terminalis, SLF, SFOF, uncinate, tapetum)
  Train (2 mm): ch2better (0.5 mm, skull-stripped) averaged over 4x4x4 blocks, padded 10 voxels,
  labels at the 2 mm voxel centres; jhu_000 plain, jhu_001..005 augmented (bias field, scale, noise).
  Test (1 case): ch2bet.nii.gz (the 1 mm Colin27 average, skull-stripped) rotated 5 deg about x and
  3 deg about z and resampled at 1.5 mm over the brain's bounding box (trilinear; labels nearest).
  Same subject as training, different average (1 mm vs the 0.5 mm 'better' one), resolution, grid
  and pose; the same subject (not labels) as models/brain.onnx's data.

Writes OUT/dataset.json, OUT/imagesTs, OUT/labelsTs (and unless --test-only OUT/imagesTr,
OUT/labelsTr); --calib-dir DIR also copies training case 001 (augmented) there as the committed
calibration image.
"""
import argparse
import json
import os
import shutil
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_brain_dataset import save  # noqa: E402

TPL = os.path.join(os.environ.get("EFQ_MRICRON_DIR") or "/usr/share/mricron", "templates")
N_AUG = 5

SPECS = {
    "macaque": dict(classes=["background", "anterior", "posterior_superior", "posterior_inferior",
                             "middle_lateral", "middle_medial"],
                    name="INIA19 macaque NeuroMaps regions (geometric groups)",
                    reference="Rohlfing et al. 2012 (INIA19 template, NeuroMaps atlas)",
                    seed=2024),
    "jhu": dict(classes=["background", "corpus_callosum", "brainstem_cerebellar", "internal_capsule",
                         "corona_radiata", "association_limbic"],
                name="Colin27 white-matter tracts (JHU ICBM-DTI-81 grouped)",
                reference="Holmes et al. 1998 (Colin27); Mori et al. 2008 (JHU white-matter atlas)",
                seed=4242),
}
JHU_GROUPS = {1: [3, 4, 5], 2: [1, 2] + list(range(7, 17)), 3: list(range(17, 23)),
              4: list(range(23, 29)), 5: [6] + list(range(29, 49))}


def rot(deg_x, deg_y, deg_z):
    ax, ay, az = np.deg2rad([deg_x, deg_y, deg_z])
    Rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    Ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    Rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return Rz @ Ry @ Rx


def resample(vol, a_src, shape, a_tgt, order, R=np.eye(3), centre=np.zeros(3), shift=np.zeros(3)):
    """vol (on a_src) sampled on the grid (shape, a_tgt); the content is moved by the rigid motion
    x -> R (x - centre) + centre + shift (world mm), i.e. sample the source at its inverse."""
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1).reshape(-1, 3)
    w = idx @ a_tgt[:3, :3].T + a_tgt[:3, 3]
    w = (w - centre - shift) @ R + centre  # R^-1 = R^T: (R^T v) as row-vector v @ R
    v = (w - a_src[:3, 3]) @ np.linalg.inv(a_src[:3, :3]).T
    out = ndimage.map_coordinates(vol, v.T, order=order, mode="constant", cval=0)
    return out.reshape(shape)


def block_mean(x, f):
    s = [d // f for d in x.shape]
    return x[:s[0] * f, :s[1] * f, :s[2] * f].reshape(s[0], f, s[1], f, s[2], f).mean((1, 3, 5))


def block_majority(lab, f, ncls):
    votes = np.stack([block_mean((lab == c).astype(np.float32), f) for c in range(ncls)])
    return votes.argmax(0).astype(np.uint8)


def bias_noise(img, rng, noise=(1.0, 4.0)):
    """Multiplicative smooth bias (low-order polynomial), global scale, Gaussian noise; zeros stay 0."""
    g = [np.linspace(-1, 1, n) for n in img.shape]
    X, Y, Z = np.meshgrid(*g, indexing="ij")
    c = rng.uniform(-0.15, 0.15, 6)
    bias = np.exp(c[0] * X + c[1] * Y + c[2] * Z + c[3] * X * Y + c[4] * Y * Z + c[5] * X * X)
    m = img > 0
    out = img * bias * rng.uniform(0.8, 1.25)
    out[m] += rng.normal(0, rng.uniform(*noise), m.sum())
    out[m] = np.maximum(out[m], 1)
    return np.clip(np.rint(out), 0, 255)


# ---------------------------------------------------------------- macaque
def macaque_source():
    t = nib.load(os.path.join(TPL, "inia19-t1-brain.nii.gz"))
    a = nib.load(os.path.join(TPL, "inia19-NeuroMaps.nii.gz"))
    assert np.allclose(t.affine, a.affine) and t.shape == a.shape, "NeuroMaps not on the INIA19 grid"
    img = np.asarray(t.dataobj, dtype=np.float32)
    img = img * (250.0 / np.percentile(img[img > 0], 99.9))  # uint8 range
    img = np.clip(img, 0, 255)
    lab = np.asarray(a.dataobj).astype(np.int64)
    m = lab % 1000
    idx = np.argwhere(m > 0)
    w = idx @ t.affine[:3, :3].T + t.affine[:3, 3]
    ids = m[m > 0]
    n = np.maximum(np.bincount(ids, minlength=1000), 1).astype(float)
    cx = np.bincount(ids, np.abs(w[:, 0]), 1000) / n
    cy = np.bincount(ids, w[:, 1], 1000) / n
    cz = np.bincount(ids, w[:, 2], 1000) / n
    lut = np.zeros(1000, np.uint8)
    for k in np.unique(ids):
        x, y, z = cx[k], cy[k], cz[k]
        if y < -22 and z < -3:
            c = 3
        elif y < -18:
            c = 2
        elif y > 2:
            c = 1
        elif x <= 6:
            c = 5
        else:
            c = 4
        lut[k] = c
    g = lut[m]
    g[img <= 0] = 0
    return img, g, t.affine


def macaque(out, test_only, rng):
    img, g, aff = macaque_source()
    nz = np.argwhere(img > 0)
    lo = np.maximum(nz.min(0) - 4, 0)
    hi = np.minimum(nz.max(0) + 5, img.shape)
    sl = tuple(slice(a, b) for a, b in zip(lo, hi))
    crop, gcrop = img[sl], g[sl]
    a_crop = aff.copy()
    a_crop[:3, 3] = aff[:3, :3] @ lo + aff[:3, 3]
    # ---- test: rotated, shifted, 0.8 mm, mirrored, own noise
    R = rot(-5, 4, 7)
    centre = a_crop[:3, :3] @ (np.array(crop.shape) / 2) + a_crop[:3, 3]
    sp = 0.8
    ext = np.array(crop.shape) * 0.5 + 6  # mm, room for the rotation
    shape = tuple(int(v) for v in np.ceil(ext / sp))
    a_ts = np.diag([sp, sp, sp, 1.0])
    a_ts[:3, 3] = centre - sp * (np.array(shape) - 1) / 2 + 0.37  # off-grid origin
    shift = np.array([1.3, -0.6, 0.4])
    ti = resample(crop, a_crop, shape, a_ts, 1, R, centre, shift)
    tl = resample(gcrop, a_crop, shape, a_ts, 0, R, centre, shift).astype(np.uint8)
    ti[ti < 1] = 0
    tl[ti <= 0] = 0
    ti, tl = ti[::-1].copy(), tl[::-1].copy()  # mirrored left-right (labels are hemisphere-free)
    ti = bias_noise(ti, np.random.default_rng(99), noise=(3.0, 3.0))
    write_test(out, "macaque_test", ti, tl, a_ts)
    if test_only:
        return 0
    # ---- train: 1 mm
    f = 2
    tr = block_mean(crop, f)
    tg = block_majority(gcrop, f, 6)
    a_tr = a_crop.copy()
    a_tr[:3, :3] *= f
    a_tr[:3, 3] += a_crop[:3, :3] @ np.full(3, (f - 1) / 2.0)
    P = 5
    tr, tg = np.pad(tr, P), np.pad(tg, P)
    a_tr[:3, 3] -= a_tr[:3, :3] @ np.full(3, P)
    tg[tr < 0.5] = 0
    tr[tg > 0] = np.maximum(tr[tg > 0], 1)
    cases = [np.clip(np.rint(tr), 0, 255)] + [bias_noise(tr, rng) for _ in range(N_AUG)]
    write_train(out, "macaque", cases, tg, a_tr)
    return len(cases)


# ---------------------------------------------------------------- jhu
def jhu_lut():
    lut = np.zeros(256, np.uint8)
    for c, ids in JHU_GROUPS.items():
        lut[ids] = c
    return lut


def jhu(out, test_only, rng):
    lut = jhu_lut()
    j = nib.load(os.path.join(TPL, "JHU-WhiteMatter-labels-1mm.nii.gz"))
    jl = lut[np.asarray(j.dataobj).astype(np.int64)]
    # ---- test: ch2bet (1 mm, skull-stripped) rotated, resampled at 1.5 mm, brain bounding box
    t = nib.load(os.path.join(TPL, "ch2bet.nii.gz"))
    img = np.asarray(t.dataobj, dtype=np.float32)
    lab = resample(jl, j.affine, t.shape, t.affine, 0).astype(np.uint8)
    lab[img <= 0] = 0
    nz = np.argwhere(img > 0)
    lo, hi = nz.min(0), nz.max(0) + 1
    centre = t.affine[:3, :3] @ ((lo + hi) / 2) + t.affine[:3, 3]
    sp = 1.5
    shape = tuple(int(v) for v in np.ceil(((hi - lo) + 8) / sp))
    a_ts = np.diag([sp, sp, sp, 1.0])
    a_ts[:3, 3] = centre - sp * (np.array(shape) - 1) / 2 + 0.25
    R = rot(5, 0, 3)
    ti = resample(img, t.affine, shape, a_ts, 1, R, centre)
    tl = resample(lab, t.affine, shape, a_ts, 0, R, centre).astype(np.uint8)
    ti = np.clip(np.rint(ti), 0, 255)
    tl[ti <= 0] = 0
    t_aff = a_ts
    write_test(out, "colin_bet_rot", ti, tl, t_aff)
    if test_only:
        return 0
    # ---- train: ch2better 0.5 mm -> 2 mm
    b = nib.load(os.path.join(TPL, "ch2better.nii.gz"))
    f, P = 4, 10
    tr = np.pad(block_mean(np.asarray(b.dataobj, dtype=np.float32), f), P)
    a_tr = b.affine.copy()
    a_tr[:3, :3] *= f
    a_tr[:3, 3] += b.affine[:3, :3] @ np.full(3, (f - 1) / 2.0)
    a_tr[:3, 3] -= a_tr[:3, :3] @ np.full(3, P)
    tg = resample(jl, j.affine, tr.shape, a_tr, 0).astype(np.uint8)
    tg[tr <= 0] = 0
    cases = [np.clip(np.rint(tr), 0, 255)] + [bias_noise(tr, rng) for _ in range(N_AUG)]
    write_train(out, "jhu", cases, tg, a_tr)
    return len(cases)


# ---------------------------------------------------------------- io
def write_test(out, cid, img, lab, aff):
    for d in ("imagesTs", "labelsTs"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    save(img, aff, os.path.join(out, "imagesTs", f"{cid}_0000.nii.gz"), np.uint8)
    save(lab, aff, os.path.join(out, "labelsTs", f"{cid}.nii.gz"), np.uint8)
    c = np.bincount(lab.ravel(), minlength=6)
    print(f"test {cid} shape {lab.shape} fractions {np.round(c / c.sum(), 4).tolist()}")


def write_train(out, prefix, cases, lab, aff):
    for d in ("imagesTr", "labelsTr"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for i, im in enumerate(cases):
        save(im, aff, os.path.join(out, "imagesTr", f"{prefix}_{i:03d}_0000.nii.gz"), np.uint8)
        save(lab, aff, os.path.join(out, "labelsTr", f"{prefix}_{i:03d}.nii.gz"), np.uint8)
    c = np.bincount(lab.ravel(), minlength=6)
    print(f"train {len(cases)} x shape {lab.shape} fractions {np.round(c / c.sum(), 4).tolist()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name", choices=sorted(SPECS))
    ap.add_argument("out")
    ap.add_argument("--test-only", action="store_true", help="only imagesTs/labelsTs + dataset.json")
    ap.add_argument("--calib-dir", default="", help="copy training case 001 (image only) here")
    a = ap.parse_args()
    spec = SPECS[a.name]
    rng = np.random.default_rng(spec["seed"])
    os.makedirs(a.out, exist_ok=True)
    n_train = (macaque if a.name == "macaque" else jhu)(a.out, a.test_only, rng)
    dj = {"channel_names": {"0": "T1"},
          "labels": {n: i for i, n in enumerate(spec["classes"])},
          "numTraining": N_AUG + 1, "numTest": 1, "file_ending": ".nii.gz",
          "name": spec["name"],
          "description": "Source: Debian mricron-data. Made by tools/train/make_other_datasets.py "
                         f"{a.name} (see its docstring for the class groups and the test case).",
          "reference": spec["reference"]}
    if a.test_only:
        dj["note"] = ("test split only (imagesTs/labelsTs; calib/ = training case 001); regenerate the "
                      f"training split with make_other_datasets.py {a.name}")
    with open(os.path.join(a.out, "dataset.json"), "w") as fh:
        json.dump(dj, fh, indent=2)
    if a.calib_dir and n_train:
        os.makedirs(a.calib_dir, exist_ok=True)
        src = os.path.join(a.out, "imagesTr", f"{a.name}_001_0000.nii.gz")
        shutil.copy(src, os.path.join(a.calib_dir, os.path.basename(src)))


if __name__ == "__main__":
    main()
