#!/usr/bin/env python3
"""Paper-size UResQ models for benchmarks (issue 3 item 5; METHOD.md section 6.2), not committed.

    /usr/bin/python3 tools/train/paper_models.py [--out build/paper] [--seed 0]

Builds UResQ at the paper's sizes, initialises it (PyTorch default init, non-trivial BatchNorm
statistics so folding matters; no training: these models measure speed and memory, not Dice) and
exports ONNX with model metadata:
  - uresq_lits.onnx:  1 input (CT), 3 classes softmax, widths 32,64,128,256,512,256,128,64,32,
                      first stride (2,2,1); calibration crop 192x128x64, train patch 128x128x64.
  - uresq_brats.onnx: 4 inputs (FLAIR,T1,T1ce,T2), 3 sigmoid regions, widths 32..256..32,
                      first stride (2,2,2); calibration crop 192x192x128, train patch 128^3.
"""
import argparse, json, os, sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uresq import UResQ, randomize_norm_stats  # noqa: E402

MODELS = {
    "uresq_lits": dict(in_ch=1, n_classes=3, widths=(32, 64, 128, 256, 512, 256, 128, 64, 32),
                       init_stride=(2, 2, 1), example=(1, 1, 64, 64, 32), meta={
                           "modalities": ["CT"], "normalization": ["ct:-200,300"],
                           "roi": [128, 128, 64], "activation": "softmax",
                           "classes": ["background", "liver", "tumor"]}),
    "uresq_brats": dict(in_ch=4, n_classes=3, widths=(32, 64, 128, 256, 128, 64, 32),
                        init_stride=(2, 2, 2), example=(1, 4, 64, 64, 64), meta={
                            "modalities": ["FLAIR", "T1", "T1ce", "T2"],
                            "normalization": ["zscore-nonzero"] * 4, "roi": [128, 128, 128],
                            "activation": "sigmoid",
                            "regions": [{"name": "whole tumor", "labels": [1, 2, 3]},
                                        {"name": "tumor core", "labels": [1, 3]},
                                        {"name": "enhancing tumor", "labels": [3]}],
                            "regions_class_order": [2, 1, 3], "threshold": 0.5}),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="build/paper")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, cfg in MODELS.items():
        torch.manual_seed(a.seed)
        m = UResQ(in_ch=cfg["in_ch"], n_classes=cfg["n_classes"], widths=cfg["widths"],
                  init_stride=cfg["init_stride"])
        randomize_norm_stats(m, seed=a.seed)
        m.eval()
        convs = [x for x in m.modules() if isinstance(x, torch.nn.Conv3d)]
        n_w = sum(c.weight.numel() for c in convs)
        meta = {"schema": 1, "axes": "ijk", "overlap": 0.25, "blend": "gaussian", **cfg["meta"]}
        path = os.path.join(a.out, name + ".onnx")
        x = torch.zeros(cfg["example"])
        torch.onnx.export(m, x, path, opset_version=13, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "N", 2: "D", 3: "H", 4: "W"},
                                        "output": {0: "N", 2: "D", 3: "H", 4: "W"}})
        import onnx
        model = onnx.load(path)
        p = model.metadata_props.add()
        p.key, p.value = "efficientq", json.dumps(meta)
        onnx.save(model, path)
        print(f"{path}: {len(convs)} convs, {n_w / 1e6:.2f} M conv weights")


if __name__ == "__main__":
    main()
