#!/usr/bin/env python3
"""QDQ exports in onnxruntime vs libefficientq, whole test volumes (issue 5's acceptance matrix).

Models: brain, liver, brats, macaque_monai, jhu_nnunet (see README).

For each bundled model (brain, liver, brats) and each configuration (W8A8, W4A8, W2A8 with the
default symmetric per-channel grid; W4A8, W2A8 with the faithful grid): quantize from the model's
calibration volume, export QDQ, then for every test case run the whole volume through the sliding
window in onnxruntime and in libefficientq (`efficientq verify --full --label`), and report the
worst label agreement and the mean foreground Dice measured in each runtime.

    python3 bench/ort_agreement.py [--models brain,liver,brats] [--iters 200] [--out FILE.md]

Needs build/efficientq and build/venv (onnxruntime + numpy; `make test` creates it).
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CLI = os.path.join(ROOT, "build", "efficientq")
PY = os.path.join(ROOT, "build", "venv", "bin", "python")
CALIB = {  # the calibration case of each model, as in bench/accuracy.py
    "brain": ["/usr/share/mricron/templates/ch2better.nii.gz"],
    "liver": None,  # a phantom training case with a seed the test split does not use
    "brats": None,
    "macaque_monai": ["tests/data/macaque_monai/calib/macaque_001_0000.nii.gz"],
    "jhu_nnunet": ["tests/data/jhu_nnunet/calib/jhu_001_0000.nii.gz"],
}
CONFIGS = [("W8A8", 8, "symmetric"), ("W4A8", 4, "symmetric"), ("W2A8", 2, "symmetric"),
           ("W4A8 faithful", 4, "faithful"), ("W2A8 faithful", 2, "faithful")]


def run(args):
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{r.stderr}")
    return r.stdout


def test_cases(dataset):
    meta = json.load(open(os.path.join(dataset, "dataset.json")))
    nch = len(meta.get("channel_names", meta.get("modality", {"0": ""})))
    ending = meta.get("file_ending", ".nii.gz")
    cases = sorted({os.path.basename(p)[: -len("_0000" + ending)]
                    for p in glob.glob(os.path.join(dataset, "imagesTs", "*_0000" + ending))})
    return [([os.path.join(dataset, "imagesTs", f"{c}_{k:04d}{ending}") for k in range(nch)],
             os.path.join(dataset, "labelsTs", c + ending)) for c in cases]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="brain,liver,brats")
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--configs", default=",".join(c[0] for c in CONFIGS),
                    help="comma-separated subset of: " + ", ".join(c[0] for c in CONFIGS))
    ap.add_argument("--out", default=None, help="write the table (with a header) to this file")
    ap.add_argument("--append", action="store_true",
                    help="keep the rows already in --out (e.g. to add one model)")
    a = ap.parse_args()
    work = os.path.join(ROOT, "build", "bench", "ort")
    os.makedirs(work, exist_ok=True)
    rows = []
    for model in a.models.split(","):
        onnx = os.path.join(ROOT, "models", model + ".onnx")
        dataset = os.path.join(ROOT, "tests", "data", model)
        cases = test_cases(dataset)
        if CALIB[model]:
            calib = sum((["--calib", os.path.join(ROOT, p)] for p in CALIB[model]), [])
        else:
            d = os.path.join(work, f"{model}_calib")
            if not os.path.isdir(d):
                run([CLI, "phantom", model, "--train", "1", "--test", "0", "--seed", "31337", "-o", d])
            calib = ["--calib-dataset", d]
        for name, wbits, grid in [c for c in CONFIGS if c[0] in a.configs.split(",")]:
            out = os.path.join(work, f"{model}_w{wbits}a8_{grid}.onnx")
            t0 = time.time()
            run([CLI, "quantize", onnx, *calib, "-o", out, "--wbits", str(wbits), "--abits", "8",
                 "--grid", grid, "--iters", str(a.iters), "--quiet"])
            tq = time.time() - t0
            agree, d_ort, d_ours = [], [], []
            for images, label in cases:
                js = os.path.join(work, "verify.json")
                run([CLI, "verify", out, *images, "--full", "--label", label, "--python", PY,
                     "--json", js, "--quiet"])
                v = json.load(open(js))
                agree.append(v["label_agreement"])
                d_ort.append(v["dice"]["onnxruntime"]["mean_foreground"])
                d_ours.append(v["dice"]["libefficientq"]["mean_foreground"])
            mo, mu = sum(d_ort) / len(d_ort), sum(d_ours) / len(d_ours)
            row = (f"| {model} | {name} | {len(cases)} | {100 * min(agree):.4f} | {mo:.4f} | {mu:.4f} "
                   f"| {100 * (mo - mu):+.3f} | {tq:.0f} |")
            print(row, flush=True)
            rows.append(row)
    if a.append and a.out and os.path.exists(a.out):
        old = [l.rstrip("\n") for l in open(a.out) if l.startswith("| ") and not l.startswith("| model")]
        rows = old + rows
    table = ("| model | configuration | test cases | worst label agreement (%) | mean fg Dice, "
             "onnxruntime | mean fg Dice, libefficientq | difference (points) | quantize (s) |\n"
             "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    if a.out:
        with open(a.out, "w") as f:
            f.write("# QDQ exports in onnxruntime vs libefficientq, whole test volumes\n\n"
                    f"Generated by `python3 bench/ort_agreement.py` ({os.cpu_count()} cores, "
                    f"{a.iters} ADMM iterations). Each configuration is quantized from the model's "
                    "calibration case (as in docs/results.md) and exported as QDQ ONNX; every test "
                    "case then runs through the model's sliding window in onnxruntime (CPU "
                    "provider, graph optimizations off; MONAI semantics in NumPy) and in "
                    "libefficientq (`efficientq verify --full --label`). Labels are compared on "
                    "the image grid after the same activation and resampling back; Dice is "
                    "measured on each runtime's labels. Quantize = wall seconds of the "
                    "quantization on a shared machine.\n\n" + table)
    print(table)


if __name__ == "__main__":
    main()
