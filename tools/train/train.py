#!/usr/bin/env python3
"""Generic CPU trainer for UResQ on an nnU-Net v2 raw dataset (METHOD.md section 7.2, scaled down).

    /usr/bin/python3 tools/train/train.py --data /tmp/brain_ds --out /tmp/brain_run \
        --widths 16,32,64,32,16 --patch 48,48,48 --batch 2 --iters 3000 --time-budget 1500

* Reads imagesTr/<case>_<XXXX>.nii.gz (one per channel) + labelsTr/<case>.nii.gz with nibabel; arrays
  kept in stored voxel order (i, j, k) = network (D, H, W) ("axes": "ijk").
* Normalisation (--normalization, the engine's semantics, docs/model-metadata.md): default z-score
  over nonzero voxels per channel, zeros stay 0 ("zscore-nonzero"); also "zscore", "ct:LO,HI" and
  "none"; one spec for all channels or one per channel joined by ';'. Stored in config.json, where
  export.py picks it up.
* Patches: foreground-balanced (p_fg: centre on a voxel of a uniformly drawn foreground class present
  in the case, else a random voxel), or with --class-p "2:0.5,1:0.25" centred on a voxel of label 2
  with p=0.5, of label 1 with p=0.25, else a random voxel (BalanceCrop-like; a class missing from the
  case falls back to a random voxel); zero padding when the volume is smaller than the patch.
* Augmentation: random flips on the axes given by --flip-axes (default: all three, as the paper;
  for atlas-like region labels pass only the left-right axis), random intensity scale/shift of the
  normalised nonzero voxels (--int-scale, --int-shift), Gaussian noise (--noise-p, --noise-max).
* Loss: softmax -> CE + soft Dice over foreground classes; sigmoid (regions) -> BCE + per-channel soft
  Dice; sigmoid regions default to the dataset.json regions (nnU-Net v2). Adam, poly LR (1 - progress)^0.9 with linear warm-up, gradient value clipping at 1.
  progress = max(it / iters, elapsed / time_budget), so a time budget ends the schedule cleanly.
* Fixed seed; saves OUT/model.pt (state_dict) and OUT/config.json.
"""
import argparse
import glob
import json
import os
import sys
import time

import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uresq import UResQ  # noqa: E402


def zscore_nonzero(x):
    m = x != 0
    if m.any():
        v = x[m]
        x = x.copy()
        x[m] = (v - v.mean()) / max(v.std(), 1e-8)
    return x


def normalize(x, spec):
    """One channel, as the engine does it (src/io/preprocess.cpp), statistics in float64."""
    if spec == "none":
        return x
    if spec in ("zscore", "zscore-nonzero"):
        if spec == "zscore-nonzero":
            return zscore_nonzero(x)
        v = x.astype(np.float64)
        return ((v - v.mean()) / max(v.std(), 1e-8)).astype(np.float32)
    if spec.startswith("ct:"):
        lo, hi = (float(v) for v in spec[3:].split(","))
        return ((np.clip(x.astype(np.float64), lo, hi) - lo) / (hi - lo)).astype(np.float32)
    raise ValueError(f"unsupported normalization {spec!r}")


def load_dataset(root, norms=None):
    dj = json.load(open(os.path.join(root, "dataset.json")))
    nch = len(dj["channel_names"])
    cases = []
    for lp in sorted(glob.glob(os.path.join(root, "labelsTr", "*" + dj["file_ending"]))):
        cid = os.path.basename(lp)[: -len(dj["file_ending"])]
        chans = [np.asarray(nib.load(os.path.join(root, "imagesTr", f"{cid}_{c:04d}{dj['file_ending']}")).dataobj,
                            dtype=np.float32) for c in range(nch)]
        if norms is None:
            img = np.stack([zscore_nonzero(c) for c in chans]).astype(np.float32)
        else:
            img = np.stack([normalize(c, n) for c, n in zip(chans, norms)]).astype(np.float32)
        lab = np.asarray(nib.load(lp).dataobj).astype(np.int64)
        fg = {int(c): np.argwhere(lab == c) for c in np.unique(lab) if c > 0}
        cases.append((img, lab, fg))
    return dj, cases


def sample(cases, patch, rng, p_fg, flip_axes, int_aug, class_p=None, aug=(0.4, 0.4, 0.3, 0.2)):
    img, lab, fg = cases[rng.integers(len(cases))]
    shape = np.array(lab.shape)
    P = np.array(patch)
    if class_p:
        u, centre = rng.random(), None
        for c, p in class_p:
            if u < p:
                if c in fg:
                    centre = fg[c][rng.integers(len(fg[c]))]
                break
            u -= p
        if centre is None:
            centre = np.array([rng.integers(s) for s in shape])
    elif fg and rng.random() < p_fg:
        c = list(fg)[rng.integers(len(fg))]
        centre = fg[c][rng.integers(len(fg[c]))]
    else:
        centre = np.array([rng.integers(s) for s in shape])
    start = centre - P // 2
    start = np.clip(start, np.minimum(0, shape - P), np.maximum(0, shape - P))
    x = np.zeros((img.shape[0],) + tuple(P), np.float32)
    y = np.zeros(tuple(P), np.int64)
    src = [slice(max(s, 0), min(s + p, n)) for s, p, n in zip(start, P, shape)]
    dst = [slice(a.start - s, a.stop - s) for a, s in zip(src, start)]
    x[(slice(None),) + tuple(dst)] = img[(slice(None),) + tuple(src)]
    y[tuple(dst)] = lab[tuple(src)]
    for ax in flip_axes:
        if rng.random() < 0.5:
            x = np.flip(x, ax + 1)
            y = np.flip(y, ax)
    if int_aug:
        nz = x != 0
        scale, shift, noise_p, noise_max = aug
        x = np.where(nz, x * rng.uniform(1 - scale, 1 + scale) + rng.uniform(-shift, shift), 0).astype(np.float32)
        if rng.random() < noise_p:
            x = x + nz * rng.normal(0, rng.uniform(0, noise_max), x.shape).astype(np.float32)
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def loss_fn(logits, y, activation, regions):
    if activation == "softmax":
        ce = F.cross_entropy(logits, y)
        p = torch.softmax(logits, 1)[:, 1:]
        oh = F.one_hot(y, logits.shape[1]).permute(0, 4, 1, 2, 3)[:, 1:].float()
        dims = (0, 2, 3, 4)
        inter = (p * oh).sum(dims)
        den = p.sum(dims) + oh.sum(dims)
        dice = (2 * inter + 1e-5) / (den + 1e-5)
        return ce + (1 - dice.mean()), dice.detach()
    t = torch.stack([sum((y == l).float() for l in r["labels"]) for r in regions], 1).clamp(max=1)
    bce = F.binary_cross_entropy_with_logits(logits, t)
    p = torch.sigmoid(logits)
    dims = (0, 2, 3, 4)
    dice = (2 * (p * t).sum(dims) + 1e-5) / (p.sum(dims) + t.sum(dims) + 1e-5)
    return bce + (1 - dice.mean()), dice.detach()


def fit(model, a, draw_batch, activation, regions, cfg, save_every):
    """The training loop of train.py and train_other.py: Adam, poly learning rate with warm-up
    whose progress is max(it / a.iters, elapsed / a.time_budget) (a hard wall-time budget),
    gradient clipping; draw_batch() returns (images, labels) sequences of one batch. Saves
    a.out/model.pt (also every save_every iterations) and a.out/config.json (cfg plus the
    iteration count and training seconds)."""
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=0)
    t0, it, run_loss, run_dice = time.time(), 0, 0.0, None
    model.train()
    while True:
        el = time.time() - t0
        progress = max(it / a.iters, el / a.time_budget)
        if progress >= 1.0:
            break
        lr = a.lr * (1 - progress) ** 0.9 * min(1.0, (it + 1) / a.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        xs, ys = draw_batch()
        logits = model(torch.from_numpy(np.stack(xs)))
        loss, dice = loss_fn(logits, torch.from_numpy(np.stack(ys)), activation, regions)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), 1.0)
        opt.step()
        it += 1
        run_loss = 0.95 * run_loss + 0.05 * loss.item() if it > 1 else loss.item()
        run_dice = dice if run_dice is None else 0.95 * run_dice + 0.05 * dice
        if it % 25 == 0:
            print(f"it {it} t {el:.0f}s lr {lr:.2e} loss {run_loss:.4f} dice "
                  f"{np.round(run_dice.numpy(), 3).tolist()}", flush=True)
        if it % save_every == 0:
            torch.save(model.state_dict(), os.path.join(a.out, "model.pt"))
    cfg["iterations"] = it
    cfg["train_seconds"] = round(time.time() - t0, 1)
    torch.save(model.state_dict(), os.path.join(a.out, "model.pt"))
    json.dump(cfg, open(os.path.join(a.out, "config.json"), "w"), indent=2)
    print(f"done: {it} iterations in {cfg['train_seconds']} s", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--widths", default="16,32,64,32,16")
    ap.add_argument("--init-stride", default="1,1,1")
    ap.add_argument("--activation", default="softmax", choices=["softmax", "sigmoid"])
    ap.add_argument("--regions", default="",
                    help="sigmoid: JSON list of {name, labels}; default: the regions of dataset.json")
    ap.add_argument("--normalization", default="",
                    help="per channel, ';'-joined (or one for all): zscore-nonzero (default), zscore, ct:LO,HI, none")
    ap.add_argument("--patch", default="48,48,48")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--iters", type=int, default=3000)
    ap.add_argument("--time-budget", type=float, default=1500.0, help="seconds")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--p-fg", type=float, default=0.67)
    ap.add_argument("--class-p", default="", help='e.g. "2:0.5,1:0.25" (replaces --p-fg)')
    ap.add_argument("--flip-axes", default="0,1,2")
    ap.add_argument("--no-int-aug", action="store_true")
    ap.add_argument("--int-scale", type=float, default=0.4, help="intensity scale U(1-s, 1+s)")
    ap.add_argument("--int-shift", type=float, default=0.4, help="intensity shift U(-s, s)")
    ap.add_argument("--noise-p", type=float, default=0.3)
    ap.add_argument("--noise-max", type=float, default=0.2, help="noise sigma U(0, m)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    dj0 = json.load(open(os.path.join(a.data, "dataset.json")))
    nch = len(dj0["channel_names"])
    norms = a.normalization.split(";") if a.normalization else ["zscore-nonzero"]
    if len(norms) == 1:
        norms = norms * nch
    assert len(norms) == nch, "one normalization per channel"
    dj, cases = load_dataset(a.data, norms)
    regions = json.loads(a.regions) if a.regions else []
    regions_class_order = None
    if a.activation == "sigmoid" and not regions:
        regions = [{"name": k, "labels": v if isinstance(v, list) else [v]}
                   for k, v in dj["labels"].items() if k != "background"]
        regions_class_order = dj.get("regions_class_order")
    n_out = len(regions) if a.activation == "sigmoid" else len(dj["labels"])
    class_p = [(int(c), float(p)) for c, p in (kv.split(":") for kv in a.class_p.split(",") if kv)]
    aug = (a.int_scale, a.int_shift, a.noise_p, a.noise_max)
    widths = [int(v) for v in a.widths.split(",")]
    init_stride = [int(v) for v in a.init_stride.split(",")]
    patch = [int(v) for v in a.patch.split(",")]
    flip_axes = [int(v) for v in a.flip_axes.split(",") if v != ""]
    model = UResQ(in_ch=len(dj["channel_names"]), n_classes=n_out, widths=widths, init_stride=init_stride)
    cfg = dict(in_ch=len(dj["channel_names"]), n_classes=n_out, widths=widths, init_stride=init_stride,
               activation=a.activation, regions=regions, patch=patch, args=vars(a),
               normalization=norms,
               classes=(sorted(dj["labels"], key=lambda k: dj["labels"][k]) if a.activation == "softmax"
                        else None),
               modalities=[dj["channel_names"][k] for k in sorted(dj["channel_names"], key=int)])
    if regions_class_order:
        cfg["regions_class_order"] = regions_class_order
    print(f"cases {len(cases)}, params {sum(p.numel() for p in model.parameters())}", flush=True)
    fit(model, a, lambda: zip(*[sample(cases, patch, rng, a.p_fg, flip_axes, not a.no_int_aug, class_p, aug)
                                for _ in range(a.batch)]),
        a.activation, regions, cfg, save_every=200)


if __name__ == "__main__":
    main()
