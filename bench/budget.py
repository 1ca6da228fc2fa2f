#!/usr/bin/env python3
"""Widths under a budget (issue 15 item 3): for each bundled model, the default W4A8 model and the
`--budget-fidelity F` model (widths chosen among --wbits-choices) from the same calibration volume
as bench/accuracy.py uses; packed weight bytes (the .efq's), the budget's crop fidelity, and the
fidelity of both on the model's test split (`efficientq eval Q DATA --reference FP32`).

    python3 bench/budget.py [--models brain,liver,brats,macaque_monai,jhu_nnunet]
                            [--fidelity 0.98] [--choices 2,3,4,8] [--iters N] [--out FILE.md]

Writes a Markdown table (stdout, and --out) and the JSON reports under build/bench/budget/.
Generated, never hand-typed.
"""
import argparse, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import accuracy  # noqa: E402  (MODELS, calibration_for, run, CLI, ROOT)

OUT = os.path.join(accuracy.ROOT, "build", "bench", "budget")


def quantize(name, onnx, calib, tag, extra):
    q = os.path.join(OUT, f"{name}_{tag}.efq")
    rep = os.path.join(OUT, f"{name}_{tag}.json")
    accuracy.run([accuracy.CLI, "quantize", onnx, "--calib", *calib, "-o", q, "--quiet",
                  "--json", rep, *extra])
    r = json.load(open(rep))
    packed = sum((_numel(l["weight_shape"]) * l["wbits"] + 7) // 8
                 for l in r["layers"] if not l["skipped"])
    return q, r, packed


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(accuracy.MODELS))
    ap.add_argument("--fidelity", default="0.98")
    ap.add_argument("--choices", default="2,3,4,8")
    ap.add_argument("--iters", default=None, help="ADMM iterations (default: the library's)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    iters = ["--iters", a.iters] if a.iters else []
    lines = [f"| model | W4A8 bytes | budget bytes | ratio | widths (searched layers) | "
             f"search runs | crop fidelity | test fidelity W4A8 | test fidelity budget | "
             f"time W4A8 (s) | time budget (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in a.models.split(","):
        onnx, data, _ = accuracy.MODELS[name]
        calib = accuracy.calibration_for(name, data)
        qd, rd, bd = quantize(name, onnx, calib, "W4A8", iters)
        qb, rb, bb = quantize(name, onnx, calib, f"budget{a.fidelity}",
                              ["--budget-fidelity", a.fidelity, "--wbits-choices", a.choices, *iters])
        b = rb["budget"]
        assert b["packed_weight_bytes"] == bb, (b["packed_weight_bytes"], bb)
        fid = {}
        for tag, q in (("default", qd), ("budget", qb)):
            ev = json.loads(accuracy.run([accuracy.CLI, "eval", q, data, "--reference", onnx, "--json", "-"]))
            fid[tag] = ev["mean_fidelity"]
        hist = {}
        for l in b["layers"]:
            if l["chosen"]:
                hist[l["wbits"]] = hist.get(l["wbits"], 0) + 1
        widths = " ".join(f"W{w}×{hist[w]}" for w in sorted(hist))
        lines.append(f"| {name} | {bd} | {bb} | {bb / bd:.3f} | {widths} | {len(b['measurements'])} | "
                     f"{b['crop_fidelity']:.4f} | {fid['default']:.4f} | {fid['budget']:.4f} | "
                     f"{rd['totals']['seconds']:.0f} | {rb['totals']['seconds']:.0f} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
