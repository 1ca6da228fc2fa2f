#!/usr/bin/env python3
"""Export small 3D segmentation nets + reference inputs/outputs as fixtures for the C++ engine.

Usage (torch part, Debian python):
    /usr/bin/python3 tools/train/export_fixtures.py [--out tests/data/fixtures] \
        [--ort-python /tmp/ortvenv/bin/python]
The torch interpreter has no onnxruntime, so the onnxruntime comparison is run by re-invoking this
script with --verify-only under an interpreter that has numpy + onnx + onnxruntime
(/tmp/ortvenv: `/usr/bin/python3 -m venv /tmp/ortvenv && /tmp/ortvenv/bin/pip install onnxruntime numpy onnx`).

Writes for NAME in {uresq, monai_unet, nnunet_plain}:
    NAME.onnx, NAME.input.npy (float32 [1,C,D,H,W]), NAME.expected.npy (torch eval output, float32)
"""
import argparse
import os
import subprocess
import tempfile
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "tests", "data", "fixtures")
NAMES = ["uresq", "monai_unet", "nnunet_plain"]
# name -> (opset, input channels, spatial shape, input seed)
SPECS = {
    "uresq": (13, 1, (24, 32, 20), 101),
    "monai_unet": (17, 2, (16, 24, 20), 102),
    "nnunet_plain": (13, 1, (20, 28, 16), 103),
}
TOL = 1e-5


def build_models():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    sys.path.insert(0, HERE)
    from uresq import UResQ, randomize_norm_stats

    class MUnit(nn.Module):  # MONAI-style unit: Conv -> IN(affine) -> PReLU
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.conv = nn.Conv3d(cin, cout, 3, stride=stride, padding=1)
            self.norm = nn.InstanceNorm3d(cout, affine=True)
            self.act = nn.PReLU()

        def forward(self, x):
            return self.act(self.norm(self.conv(x)))

    class MUp(nn.Module):  # ConvTranspose(k3,s2,p1,op1) -> IN -> PReLU
        def __init__(self, cin, cout):
            super().__init__()
            self.conv = nn.ConvTranspose3d(cin, cout, 3, stride=2, padding=1, output_padding=1)
            self.norm = nn.InstanceNorm3d(cout, affine=True)
            self.act = nn.PReLU()

        def forward(self, x):
            return self.act(self.norm(self.conv(x)))

    class MonaiUNet(nn.Module):
        def __init__(self, cin=2, ncls=2, w=(8, 16, 24)):
            super().__init__()
            self.enc0 = MUnit(cin, w[0])
            self.down1 = MUnit(w[0], w[1], stride=2)
            self.down2 = MUnit(w[1], w[2], stride=2)
            self.bottom = MUnit(w[2], w[2])
            self.up2 = MUp(w[2], w[1])
            self.dec1 = MUnit(2 * w[1], w[1])
            self.up1 = MUp(w[1], w[0])
            self.dec0 = MUnit(2 * w[0], w[0])
            self.head = nn.Conv3d(w[0], ncls, 1)

        def forward(self, x):
            e0 = self.enc0(x)
            e1 = self.down1(e0)
            b = self.bottom(self.down2(e1))
            d1 = self.dec1(torch.cat([self.up2(b), e1], 1))
            d0 = self.dec0(torch.cat([self.up1(d1), e0], 1))
            return torch.softmax(self.head(d0), dim=1)

    class NConvs(nn.Module):  # (Conv3 -> IN(affine) -> LeakyReLU(0.01)) x2
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
        def __init__(self, cin=1, ncls=3, w=(8, 16, 24)):
            super().__init__()
            self.s0 = NConvs(cin, w[0])
            self.s1 = NConvs(w[0], w[1], stride=2)
            self.s2 = NConvs(w[1], w[2], stride=2)
            self.t2 = nn.ConvTranspose3d(w[2], w[1], 2, stride=2)
            self.d1 = NConvs(2 * w[1], w[1])
            self.t1 = nn.ConvTranspose3d(w[1], w[0], 2, stride=2)
            self.d0 = NConvs(2 * w[0], w[0])
            self.head = nn.Conv3d(w[0], ncls, 1)
            self.extra = nn.Conv3d(w[1], ncls, 1)  # coarse branch, resized to the skip's size

        def forward(self, x):
            e0 = self.s0(x)
            e1 = self.s1(e0)
            b = self.s2(e1)
            d1 = self.d1(torch.cat([self.t2(b), e1], 1))
            d0 = self.d0(torch.cat([self.t1(d1), e0], 1))
            coarse = F.interpolate(self.extra(d1), size=e0.shape[2:], mode="trilinear",
                                   align_corners=False)
            return self.head(d0) + coarse

    torch.manual_seed(0)
    m_uresq = UResQ(in_ch=1, n_classes=3, widths=(6, 12, 24, 12, 6), init_stride=1)
    randomize_norm_stats(m_uresq, seed=1)
    torch.manual_seed(0)
    m_monai = MonaiUNet()
    randomize_norm_stats(m_monai, seed=2)
    with torch.no_grad():  # non-default PReLU slopes
        g = torch.Generator().manual_seed(3)
        for m in m_monai.modules():
            if isinstance(m, nn.PReLU):
                m.weight.copy_(0.05 + 0.4 * torch.rand(m.weight.shape, generator=g))
    torch.manual_seed(0)
    m_nn = NnUNetPlain()
    randomize_norm_stats(m_nn, seed=4)
    return {"uresq": m_uresq, "monai_unet": m_monai, "nnunet_plain": m_nn}


def export_all(out):
    import torch
    import onnx
    torch.set_num_threads(2)
    os.makedirs(out, exist_ok=True)
    models = build_models()
    for name in NAMES:
        opset, cin, spatial, seed = SPECS[name]
        model = models[name].eval()
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((1, cin) + spatial).astype(np.float32)
        with torch.no_grad():
            y = model(torch.from_numpy(x)).numpy().astype(np.float32)
        path = os.path.join(out, name + ".onnx")
        axes = {0: "N", 2: "D", 3: "H", 4: "W"}
        torch.onnx.export(model, torch.from_numpy(x), path, opset_version=opset,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": axes, "output": axes}, do_constant_folding=True)
        onnx.checker.check_model(onnx.load(path))
        np.save(os.path.join(out, name + ".input.npy"), x)
        np.save(os.path.join(out, name + ".expected.npy"), y)
        ops = sorted({n.op_type for n in onnx.load(path).graph.node})
        print(f"{name}: opset {opset} in {x.shape} out {y.shape} size {os.path.getsize(path)} B ops {ops}")


def verify(out):
    import onnx
    import onnxruntime as ort
    worst = 0.0
    for name in NAMES:
        path = os.path.join(out, name + ".onnx")
        onnx.checker.check_model(onnx.load(path))
        x = np.load(os.path.join(out, name + ".input.npy"))
        y = np.load(os.path.join(out, name + ".expected.npy"))
        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
        assert got.shape == y.shape, (name, got.shape, y.shape)
        err = float(np.max(np.abs(got - y)))
        worst = max(worst, err)
        print(f"verify {name}: shape {got.shape} max|ort-torch| = {err:.3g} (|y|max {np.abs(y).max():.3g})")
        assert err <= TOL, f"{name}: {err} > {TOL}"
        for f in (name + ".onnx", name + ".input.npy", name + ".expected.npy"):
            sz = os.path.getsize(os.path.join(out, f))
            assert sz < 300 * 1024, (f, sz)
    print(f"verify OK, worst {worst:.3g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--ort-python",
                    default=os.path.join(tempfile.gettempdir(), "ortvenv", "bin", "python"))
    ap.add_argument("--verify-only", action="store_true")
    a = ap.parse_args()
    if a.verify_only:
        verify(a.out)
        return
    export_all(a.out)
    try:
        import onnxruntime  # noqa: F401
        verify(a.out)
    except ImportError:
        subprocess.check_call([a.ort_python, os.path.abspath(__file__), "--verify-only", "--out", a.out])


if __name__ == "__main__":
    main()
