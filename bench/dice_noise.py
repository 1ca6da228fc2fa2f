#!/usr/bin/env python3
"""Noise floor of the accuracy tables (issue 11's "no row loses more than 0.3 Dice points"):
how far mean-foreground Dice and fidelity move when the calibration volume changes by float
rounding only. Each draw multiplies every calibration voxel by (1 ± 2e-7), the sign drawn at
random per voxel (a uniform scale would cancel in the models' intensity normalisation); draw 0 is
the unperturbed volume. Everything else (model, method, width, test split) is as in
bench/accuracy.py. A difference between two tables smaller than this spread is not evidence of a
regression or of a gain.

    /usr/bin/python3 bench/dice_noise.py --model jhu_nnunet --widths W3A8,W4A4 [--methods efficientq]
                                          [--draws 4] [--out FILE]

Needs nibabel (Debian's python3-nibabel, hence /usr/bin/python3). Prints one line per run and
writes a Markdown table (stdout, or appended to --out). Generated, never hand-typed.
"""
import argparse, json, os, sys

import nibabel as nib
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from accuracy import CLI, METHODS, MODELS, OUT, ROOT, calibration_for, run  # noqa: E402


def jittered(paths, draw, folder):
    """The calibration files of draw `draw` (0: the originals)."""
    if draw == 0:
        return paths
    rng = np.random.default_rng(1000 + draw)
    out = []
    for p in paths:
        img = nib.load(p)
        d = np.asarray(img.dataobj).astype(np.float32)
        d = (d * (1 + 2e-7 * rng.choice([-1.0, 1.0], d.shape))).astype(np.float32)
        h = img.header.copy()
        h.set_data_dtype(np.float32)
        f = os.path.join(folder, f"draw{draw}_" + os.path.basename(p))
        nib.save(nib.Nifti1Image(d, img.affine, h), f)
        out.append(f)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--widths", default="W3A8")
    ap.add_argument("--methods", default="efficientq")
    ap.add_argument("--draws", type=int, default=4, help="draws including the unperturbed one (>= 2)")
    ap.add_argument("--out", help="append the table to this Markdown file")
    a = ap.parse_args()
    if a.draws < 2:
        ap.error("--draws must be at least 2")
    onnx, data, _ = MODELS[a.model]
    folder = os.path.join(OUT, "noise")
    os.makedirs(folder, exist_ok=True)
    calib = calibration_for(a.model, data)
    calibs = [jittered(calib, d, folder) for d in range(a.draws)]
    rows = [f"Noise floor, `{a.model}` (`/usr/bin/python3 bench/dice_noise.py --model {a.model} "
            f"--widths {a.widths} --methods {a.methods} --draws {a.draws}`): mean-fg Dice and "
            "fidelity on the test split, calibration volume ×(1 ± 2e-7) per voxel (draw 0 = unperturbed).",
            "", "| method | bits | Dice per draw | Dice spread (points) | Dice std (points) | fidelity per draw | fidelity spread (points) | fidelity std (points) |",
            "|---|---|---|---|---|---|---|---|"]
    for width in a.widths.split(","):
        w, act = width[1:].split("A")
        for method in a.methods.split(","):
            dice, fid = [], []
            for d, c in enumerate(calibs):
                q = os.path.join(folder, f"{a.model}_{width}_{method}_draw{d}.onnx")
                run([CLI, "quantize", onnx, "--calib", *c, "-o", q, "--wbits", w, "--abits", act,
                     "--quiet", *METHODS[method]])
                ev = json.loads(run([CLI, "eval", q, data, "--reference", onnx, "--json", "-"]))
                dice.append(ev["dice"]["mean_foreground_dice"])
                fid.append(ev["mean_fidelity"])
                print(a.model, width, method, f"draw {d}", f"Dice {dice[-1]:.4f}", f"fidelity {fid[-1]:.4f}",
                      flush=True)
            rows.append(f"| {method} | {width} | " + ", ".join(f"{x:.4f}" for x in dice)
                        + f" | {100 * (max(dice) - min(dice)):.2f} | {100 * np.std(dice, ddof=1):.2f} | "
                        + ", ".join(f"{x:.4f}" for x in fid)
                        + f" | {100 * (max(fid) - min(fid)):.2f} | {100 * np.std(fid, ddof=1):.2f} |")
    text = "\n".join(rows) + "\n"
    if a.out:
        with open(a.out, "a") as f:
            f.write("\n" + text)
    print(text)


if __name__ == "__main__":
    main()
