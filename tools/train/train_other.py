#!/usr/bin/env python3
"""Train and export the models of other architectures (issue 4): a MONAI-style UNet and an
nnU-Net-style plain UNet, the architectures of tools/train/export_fixtures.py made deeper/wider, on the
datasets of tools/train/make_other_datasets.py. Sampling, augmentation and loss are train.py's.

    /usr/bin/python3 tools/train/train_other.py train --arch monai --data DS --out RUN \
        --widths 16,32,64,96 --patch 48,48,48 --time-budget 720 [--axes ijk|kji] [--flip-axes 0]
    /usr/bin/python3 tools/train/train_other.py export --run RUN --out models/NAME.onnx \
        --spacing 1,1,1 --roi 64,64,64

* monai: Conv3 -> InstanceNorm(affine) -> PReLU units; stride-2 unit down; ConvTranspose(k3,s2,p1,op1)
  -> IN -> PReLU up; concat skip; one unit per decoder level; 1x1 head. Exported at opset 17.
* nnunet: (Conv3 -> IN(affine) -> LeakyReLU 0.01) x2 per stage, first conv of a stage stride 2;
  ConvTranspose(k2,s2) up; concat skip; 1x1 head plus a coarse 1x1 branch from the half-resolution
  decoder stage resized with F.interpolate(size=..., trilinear) and added (as the fixture). Opset 13.
* The networks output logits; the metadata says "activation": "softmax".
* --axes kji trains on arrays transposed to (k, j, i) (the SimpleITK/nnU-Net order) and the export
  declares "axes": "kji"; --flip-axes refers to the STORED axes (0 = i) in both cases.
* Hard wall-time budget: the poly schedule's progress is max(it/iters, elapsed/time_budget).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import fit, load_dataset, sample  # noqa: E402


class MUnit(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, 3, stride=stride, padding=1)
        self.norm = nn.InstanceNorm3d(cout, affine=True)
        self.act = nn.PReLU()

    def forward(self, x):
        return self.act(self.norm(self.conv(x)))


class MUp(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.ConvTranspose3d(cin, cout, 3, stride=2, padding=1, output_padding=1)
        self.norm = nn.InstanceNorm3d(cout, affine=True)
        self.act = nn.PReLU()

    def forward(self, x):
        return self.act(self.norm(self.conv(x)))


class MonaiUNet(nn.Module):
    def __init__(self, cin, ncls, w):
        super().__init__()
        self.enc0 = MUnit(cin, w[0])
        self.downs = nn.ModuleList([MUnit(w[i], w[i + 1], stride=2) for i in range(len(w) - 1)])
        self.bottom = MUnit(w[-1], w[-1])
        self.ups = nn.ModuleList([MUp(w[i + 1], w[i]) for i in reversed(range(len(w) - 1))])
        self.decs = nn.ModuleList([MUnit(2 * w[i], w[i]) for i in reversed(range(len(w) - 1))])
        self.head = nn.Conv3d(w[0], ncls, 1)

    def forward(self, x):
        skips = [self.enc0(x)]
        for d in self.downs:
            skips.append(d(skips[-1]))
        x = self.bottom(skips.pop())
        for up, dec in zip(self.ups, self.decs):
            x = dec(torch.cat([up(x), skips.pop()], 1))
        return self.head(x)


class NConvs(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.c1 = nn.Conv3d(cin, cout, 3, stride=stride, padding=1)
        self.n1 = nn.InstanceNorm3d(cout, affine=True)
        self.c2 = nn.Conv3d(cout, cout, 3, padding=1)
        self.n2 = nn.InstanceNorm3d(cout, affine=True)

    def forward(self, x):
        x = F.leaky_relu(self.n1(self.c1(x)), 0.01)
        return F.leaky_relu(self.n2(self.c2(x)), 0.01)


class NnUNetPlain(nn.Module):
    def __init__(self, cin, ncls, w):
        super().__init__()
        self.enc = nn.ModuleList([NConvs(cin, w[0])] +
                                 [NConvs(w[i], w[i + 1], stride=2) for i in range(len(w) - 1)])
        self.ts = nn.ModuleList([nn.ConvTranspose3d(w[i + 1], w[i], 2, stride=2)
                                 for i in reversed(range(len(w) - 1))])
        self.decs = nn.ModuleList([NConvs(2 * w[i], w[i]) for i in reversed(range(len(w) - 1))])
        self.head = nn.Conv3d(w[0], ncls, 1)
        self.extra = nn.Conv3d(w[1], ncls, 1)  # coarse branch from the half-resolution decoder stage

    def forward(self, x):
        skips = []
        for e in self.enc:
            x = e(x if not skips else skips[-1])
            skips.append(x)
        x = skips.pop()
        half = None
        for t, dec in zip(self.ts, self.decs):
            x = dec(torch.cat([t(x), skips.pop()], 1))
            if len(skips) == 1:
                half = x
        coarse = F.interpolate(self.extra(half), size=x.shape[2:], mode="trilinear", align_corners=False)
        return self.head(x) + coarse


def build(arch, cin, ncls, widths):
    return (MonaiUNet if arch == "monai" else NnUNetPlain)(cin, ncls, widths)


def train(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    dj, cases = load_dataset(a.data, ["zscore-nonzero"])
    if a.axes == "kji":  # network D,H,W = stored k,j,i
        cases = [(np.ascontiguousarray(img.transpose(0, 3, 2, 1)), np.ascontiguousarray(lab.transpose(2, 1, 0)),
                  {c: v[:, ::-1].copy() for c, v in fg.items()}) for img, lab, fg in cases]
    flip = [int(v) for v in a.flip_axes.split(",") if v != ""]
    flip = [2 - v for v in flip] if a.axes == "kji" else flip
    widths = [int(v) for v in a.widths.split(",")]
    patch = [int(v) for v in a.patch.split(",")]
    classes = sorted(dj["labels"], key=lambda k: dj["labels"][k])
    model = build(a.arch, 1, len(classes), widths)
    cfg = dict(arch=a.arch, in_ch=1, n_classes=len(classes), widths=widths, axes=a.axes, classes=classes,
               modalities=[dj["channel_names"]["0"]], normalization=["zscore-nonzero"], patch=patch,
               args=vars(a))
    nparam = sum(p.numel() for p in model.parameters())
    print(f"cases {len(cases)}, params {nparam}", flush=True)
    cfg["params"] = nparam
    fit(model, a, lambda: zip(*[sample(cases, patch, rng, a.p_fg, flip, True) for _ in range(a.batch)]),
        "softmax", [], cfg, save_every=100)


def export(a):
    import onnx
    torch.set_num_threads(2)
    cfg = json.load(open(os.path.join(a.run, "config.json")))
    model = build(cfg["arch"], cfg["in_ch"], cfg["n_classes"], cfg["widths"])
    model.load_state_dict(torch.load(os.path.join(a.run, "model.pt"), map_location="cpu"))
    model.eval()
    roi = [int(v) for v in a.roi.split(",")]
    meta = {"schema": 1, "modalities": cfg["modalities"], "normalization": cfg["normalization"],
            "spacing": [float(v) for v in a.spacing.split(",")], "axes": cfg["axes"], "roi": roi,
            "overlap": a.overlap, "blend": a.blend, "activation": "softmax", "classes": cfg["classes"]}
    opset = a.opset or (17 if cfg["arch"] == "monai" else 13)
    axes = {0: "N", 2: "D", 3: "H", 4: "W"}
    torch.onnx.export(model, torch.zeros(1, cfg["in_ch"], *roi), a.out, opset_version=opset,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": axes, "output": axes}, do_constant_folding=True)
    m = onnx.load(a.out)
    p = m.metadata_props.add()
    p.key, p.value = "efficientq", json.dumps(meta)
    m.producer_name = "libefficientq tools/train/train_other.py"
    onnx.checker.check_model(m)
    onnx.save(m, a.out)
    print(json.dumps(meta))
    print(f"wrote {a.out} ({os.path.getsize(a.out)} bytes, opset {opset}, ops "
          f"{sorted({n.op_type for n in m.graph.node})})")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--arch", required=True, choices=["monai", "nnunet"])
    t.add_argument("--data", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--widths", default="16,32,64,96")
    t.add_argument("--axes", default="ijk", choices=["ijk", "kji"])
    t.add_argument("--patch", default="48,48,48")
    t.add_argument("--batch", type=int, default=2)
    t.add_argument("--iters", type=int, default=100000)
    t.add_argument("--time-budget", type=float, default=720.0, help="seconds of wall time (hard)")
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--warmup", type=int, default=50)
    t.add_argument("--p-fg", type=float, default=0.67)
    t.add_argument("--flip-axes", default="0", help="stored axes to flip (0 = i = left-right)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=2)
    e = sub.add_parser("export")
    e.add_argument("--run", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--spacing", required=True)
    e.add_argument("--roi", default="64,64,64")
    e.add_argument("--overlap", type=float, default=0.25)
    e.add_argument("--blend", default="gaussian", choices=["gaussian", "constant"])
    e.add_argument("--opset", type=int, default=0, help="default: 17 for monai, 13 for nnunet")
    a = ap.parse_args()
    train(a) if a.cmd == "train" else export(a)


if __name__ == "__main__":
    main()
