#!/usr/bin/env python3
"""Export a trained UResQ (train.py output) to ONNX with efficientq metadata (docs/model-metadata.md).

    /usr/bin/python3 tools/train/export.py --run /tmp/brain_run --out models/brain.onnx \
        --spacing 2,2,2 --roi 64,64,64 --overlap 0.25 --blend gaussian \
        --normalization zscore-nonzero

Opset 13, input "input" / output "output", dynamic N, D, H, W. The network outputs logits; the
metadata's "activation" tells the engine what to apply (softmax or sigmoid). Eval-mode export folds
BatchNorm into the convolutions and drops Dropout.
"""
import argparse
import json
import os
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uresq import UResQ  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, help="train.py output folder (model.pt, config.json)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--spacing", default="2,2,2")
    ap.add_argument("--axes", default="ijk", choices=["ijk", "kji"])
    ap.add_argument("--roi", default="64,64,64")
    ap.add_argument("--overlap", type=float, default=0.25)
    ap.add_argument("--blend", default="gaussian", choices=["gaussian", "constant"])
    ap.add_argument("--normalization", default="",
                    help="one for all modalities, or one per modality joined by ';' "
                         "(default: config.json's, else zscore-nonzero)")
    ap.add_argument("--regions-class-order", default="",
                    help="sigmoid: comma-separated label per region (default: config.json's, "
                         "else the largest label of each region)")
    ap.add_argument("--opset", type=int, default=13)
    a = ap.parse_args()
    torch.set_num_threads(2)
    cfg = json.load(open(os.path.join(a.run, "config.json")))
    model = UResQ(in_ch=cfg["in_ch"], n_classes=cfg["n_classes"], widths=cfg["widths"],
                  init_stride=cfg["init_stride"])
    model.load_state_dict(torch.load(os.path.join(a.run, "model.pt"), map_location="cpu"))
    model.eval()
    roi = [int(v) for v in a.roi.split(",")]
    norms = (a.normalization.split(";") if a.normalization
             else cfg.get("normalization", ["zscore-nonzero"]))
    if len(norms) == 1:
        norms = norms * len(cfg["modalities"])
    meta = {
        "schema": 1,
        "modalities": cfg["modalities"],
        "normalization": norms,
        "spacing": [float(v) for v in a.spacing.split(",")],
        "axes": a.axes,
        "roi": roi,
        "overlap": a.overlap,
        "blend": a.blend,
        "activation": cfg["activation"],
    }
    if cfg["activation"] == "softmax":
        meta["classes"] = cfg["classes"]
    else:
        meta["regions"] = cfg["regions"]
        if a.regions_class_order:
            meta["regions_class_order"] = [int(v) for v in a.regions_class_order.split(",")]
        else:
            meta["regions_class_order"] = cfg.get("regions_class_order",
                                                  [max(r["labels"]) for r in cfg["regions"]])
        meta["threshold"] = 0.5
    x = torch.zeros(1, cfg["in_ch"], *roi)
    axes = {0: "N", 2: "D", 3: "H", 4: "W"}
    torch.onnx.export(model, x, a.out, opset_version=a.opset, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": axes, "output": axes},
                      do_constant_folding=True)
    m = onnx.load(a.out)
    p = m.metadata_props.add()
    p.key = "efficientq"
    p.value = json.dumps(meta)
    m.producer_name = "libefficientq tools/train/export.py"
    onnx.checker.check_model(m)
    onnx.save(m, a.out)
    print(json.dumps(meta))
    print(f"wrote {a.out} ({os.path.getsize(a.out)} bytes)")


if __name__ == "__main__":
    main()
