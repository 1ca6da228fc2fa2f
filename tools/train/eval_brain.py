#!/usr/bin/env python3
"""Python estimate of the brain model's test Dice (not the engine's numbers).

    /usr/bin/python3 tools/train/eval_brain.py --run /tmp/brain_run --data /tmp/brain_ds

Test image (1 mm) -> trilinear resample to 2 mm (size round(n/2), align_corners=False)
-> zscore-nonzero -> sliding window (sliding_window_ref.py semantics, roi 64^3, overlap 0.25,
gaussian) with the torch model -> softmax -> (a) argmax at 2 mm, labels nearest-upsampled to the
1 mm grid; (b) probabilities trilinear-upsampled to 1 mm, then argmax. Dice per foreground class.
"""
import argparse
import json
import os
import sys

import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from uresq import UResQ  # noqa: E402
from sliding_window_ref import sliding_window  # noqa: E402
from train import zscore_nonzero  # noqa: E402


def dice(a, b, c):
    x, y = a == c, b == c
    s = x.sum() + y.sum()
    return float(2 * (x & y).sum() / s) if s else 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--case", default="colin_ch2")
    ap.add_argument("--roi", default="64,64,64")
    ap.add_argument("--overlap", type=float, default=0.25)
    a = ap.parse_args()
    torch.set_num_threads(2)
    cfg = json.load(open(os.path.join(a.run, "config.json"))) if os.path.exists(
        os.path.join(a.run, "config.json")) else dict(in_ch=1, n_classes=6, widths=[16, 32, 64, 32, 16],
                                                       init_stride=[1, 1, 1])
    model = UResQ(in_ch=cfg["in_ch"], n_classes=cfg["n_classes"], widths=cfg["widths"],
                  init_stride=cfg["init_stride"])
    model.load_state_dict(torch.load(os.path.join(a.run, "model.pt"), map_location="cpu"))
    model.eval()
    img = np.asarray(nib.load(os.path.join(a.data, "imagesTs", a.case + "_0000.nii.gz")).dataobj, np.float32)
    gt = np.asarray(nib.load(os.path.join(a.data, "labelsTs", a.case + ".nii.gz")).dataobj).astype(np.int64)
    size2 = [int(round(n / 2)) for n in img.shape]
    x = F.interpolate(torch.from_numpy(img)[None, None], size=size2, mode="trilinear",
                      align_corners=False)[0, 0].numpy()
    x = zscore_nonzero(x)[None, None].astype(np.float32)
    roi = [int(v) for v in a.roi.split(",")]

    def pred(p):
        with torch.no_grad():
            return model(torch.from_numpy(p)).numpy()

    logits = sliding_window(x, roi, a.overlap, "gaussian", pred)
    prob = torch.softmax(torch.from_numpy(logits), 1)
    lab2 = prob.argmax(1, keepdim=True).float()
    lab_nn = F.interpolate(lab2, size=img.shape, mode="nearest")[0, 0].long().numpy()
    lab_tri = F.interpolate(prob, size=img.shape, mode="trilinear", align_corners=False).argmax(1)[0].numpy()
    res = {}
    for name, lab in (("nearest_labels", lab_nn), ("trilinear_probs", lab_tri)):
        d = [dice(lab, gt, c) for c in range(1, cfg["n_classes"])]
        res[name] = {"per_class": [round(v, 4) for v in d], "mean": round(float(np.mean(d)), 4)}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
