#!/usr/bin/env python3
"""Export a small 3D net with grouped and depthwise convolutions as an engine/quantizer fixture.

    /usr/bin/python3 tools/train/export_grouped_fixture.py [--out tests/data/fixtures]

Writes grouped.onnx (opset 13), grouped.input.npy [1,4,12,16,10] and grouped.expected.npy (the
torch eval output). Layers: Conv 4->8 k3 (groups 2) -> ReLU -> depthwise Conv 8->8 k3 (groups 8)
-> ReLU -> Conv 8->16 k3 stride 2 (groups 4) -> ReLU -> Conv 16->3 k1 (logits) + a residual
1x1 branch. Random weights, fixed seed.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(os.path.join(HERE, "..", "..", "tests", "data", "fixtures"))


class Grouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv3d(4, 8, 3, padding=1, groups=2)
        self.dw = nn.Conv3d(8, 8, 3, padding=1, groups=8)
        self.c3 = nn.Conv3d(8, 16, 3, stride=2, padding=1, groups=4)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.skip = nn.Conv3d(8, 16, 1)
        self.head = nn.Conv3d(16, 3, 1)

    def forward(self, x):
        a = torch.relu(self.c1(x))
        b = torch.relu(self.dw(a))
        c = torch.relu(self.c3(b))
        return self.head(self.up(c) + self.skip(b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    torch.manual_seed(404)
    m = Grouped().eval()
    x = torch.from_numpy(np.random.default_rng(405).standard_normal((1, 4, 12, 16, 10)).astype(np.float32))
    with torch.no_grad():
        y = m(x)
    path = os.path.join(a.out, "grouped.onnx")
    torch.onnx.export(m, x, path, opset_version=13, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "n", 2: "d", 3: "h", 4: "w"},
                                    "output": {0: "n", 2: "d", 3: "h", 4: "w"}})
    np.save(os.path.join(a.out, "grouped.input.npy"), x.numpy())
    np.save(os.path.join(a.out, "grouped.expected.npy"), y.numpy())
    print(path, tuple(y.shape))


if __name__ == "__main__":
    main()
