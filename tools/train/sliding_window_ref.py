#!/usr/bin/env python3
"""NumPy + onnxruntime reference of MONAI's sliding_window_inference semantics.

sw_batch_size 1, padding_mode constant (0), sigma_scale 0.125, mode gaussian | constant.
  * pad each spatial dim by diff = max(roi - size, 0): diff//2 before, diff - diff//2 after (zeros)
  * interval = roi if roi == padded size else max(int(roi * (1 - overlap)), 1)
  * num = ceil(size / interval); scan_num = 1 + first d in range(num) with d*interval + roi >= size
    (1 if none); start(idx) = idx*interval - max(idx*interval + roi - size, 0)
  * gaussian map: separable exp(x^2 / (-2 sigma^2)), x = arange(-(p-1)/2, (p-1)/2 + 1),
    sigma = p * 0.125, outer product (float32, no max normalisation), clamped below at
    max(min(map), 1e-3); constant: ones
  * out = sum(map * pred) / sum(map), accumulated in float32 (windows visited in C order of the
    (d, h, w) start grid, like MONAI's dense_patch_slices), then the padding is cropped away.

Usage (needs numpy + onnxruntime only, e.g. /tmp/ortvenv/bin/python):
    python tools/train/sliding_window_ref.py            # regenerate the uresq.sw_* fixtures
"""
import argparse
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.abspath(os.path.join(HERE, "..", "..", "tests", "data", "fixtures"))


def importance_map(roi, mode, sigma_scale=0.125):
    if mode == "constant":
        return np.ones(roi, dtype=np.float32)
    assert mode == "gaussian"
    m = None
    for p in roi:
        x = np.arange(-(p - 1) / 2.0, (p - 1) / 2.0 + 1, dtype=np.float32)
        sigma = np.float32(p * sigma_scale)
        g = np.exp(x ** 2 / (np.float32(-2.0) * sigma ** 2)).astype(np.float32)
        m = g if m is None else (m[..., None] * g)
    m = m.astype(np.float32)
    lo = max(float(m.min()), 1e-3)
    return np.maximum(m, np.float32(lo)).astype(np.float32)


def window_starts(image_size, roi, overlap):
    starts = []
    for size, r in zip(image_size, roi):
        interval = r if r == size else max(int(r * (1 - overlap)), 1)
        num = int(math.ceil(float(size) / interval))
        scan = next((d for d in range(num) if d * interval + r >= size), None)
        scan_num = scan + 1 if scan is not None else 1
        dim = []
        for idx in range(scan_num):
            s = idx * interval
            s -= max(s + r - size, 0)
            dim.append(s)
        starts.append(dim)
    grid = np.meshgrid(*starts, indexing="ij")
    return np.stack([g.ravel() for g in grid], 1)


def sliding_window(x, roi, overlap, mode, predictor):
    """x: float32 [N, C, D, H, W]; predictor(patch [N,C,*roi]) -> [N, K, *roi]."""
    spatial = x.shape[2:]
    pads = []
    for s, r in zip(spatial, roi):
        diff = max(r - s, 0)
        pads.append((diff // 2, diff - diff // 2))
    xp = np.pad(x, [(0, 0), (0, 0)] + pads, mode="constant", constant_values=0).astype(np.float32)
    size = xp.shape[2:]
    roi = [min(r, s) for r, s in zip(roi, size)]  # never larger than the padded image
    wmap = importance_map(roi, mode)
    out = None
    count = np.zeros(size, dtype=np.float32)
    for st in window_starts(size, roi, overlap):
        sl = tuple(slice(int(a), int(a) + r) for a, r in zip(st, roi))
        pred = predictor(np.ascontiguousarray(xp[(slice(None), slice(None)) + sl])).astype(np.float32)
        if out is None:
            out = np.zeros((x.shape[0], pred.shape[1]) + tuple(size), dtype=np.float32)
        out[(slice(None), slice(None)) + sl] += wmap * pred
        count[sl] += wmap
    out = out / count
    crop = tuple(slice(p[0], p[0] + s) for p, s in zip(pads, spatial))
    return np.ascontiguousarray(out[(slice(None), slice(None)) + crop]).astype(np.float32)


def ort_predictor(path, threads=2):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return lambda p: sess.run(None, {name: p})[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default=FIX)
    a = ap.parse_args()
    rng = np.random.default_rng(202)
    x = rng.standard_normal((1, 1, 36, 23, 28)).astype(np.float32)
    roi = (16, 32, 16)
    pred = ort_predictor(os.path.join(a.fixtures, "uresq.onnx"))
    np.save(os.path.join(a.fixtures, "uresq.sw_input.npy"), x)
    for mode, ov, fn in (("gaussian", 0.25, "uresq.sw_gaussian_o25.npy"),
                         ("constant", 0.5, "uresq.sw_constant_o50.npy")):
        y = sliding_window(x, roi, ov, mode, pred)
        np.save(os.path.join(a.fixtures, fn), y)
        print(fn, y.shape, "windows:", len(window_starts(
            [max(s, r) for s, r in zip(x.shape[2:], roi)], roi, ov)))


if __name__ == "__main__":
    main()
