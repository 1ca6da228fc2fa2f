#!/usr/bin/env python3
"""Compares two accuracy tables written by bench/accuracy.py: mean foreground Dice per model,
method and width, the difference in points, and the worst difference per method.

    python3 bench/compare_accuracy.py BEFORE.md AFTER.md|AFTER.log [--methods efficientq,...]

AFTER may also be the progress output of bench/accuracy.py (its "MODEL WIDTH METHOD DICE Ns"
lines), so that a run still going can be compared.

Prints Markdown. Rows present in only one table are skipped.
"""
import argparse, re


def mean_fg(path):
    rows, model = {}, None
    for line in open(path):
        # a run's progress log ("MODEL WIDTH METHOD MEAN_FG TIME"), e.g. of a run still going
        m = re.match(r"(\S+) (W\dA\d) (\S+) (\d\.\d+) \d+s$", line.strip())
        if m:
            rows[(m.group(1), m.group(3), m.group(2))] = float(m.group(4))
            continue
        m = re.match(r"## (\S+)", line)
        if m:
            model = m.group(1)
        if not (line.startswith("| ") and model):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.match(r"W\dA\d$", cells[1]):
            continue
        # the mean foreground Dice is the column before the signed difference to FP32
        delta = [i for i, c in enumerate(cells) if re.match(r"^[+-]\d\.\d{4}$", c)]
        if delta:
            rows[(model, cells[0], cells[1])] = float(cells[delta[0] - 1])
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--methods", default="")
    a = ap.parse_args()
    before, after = mean_fg(a.before), mean_fg(a.after)
    wanted = set(a.methods.split(",")) if a.methods else None
    print("| model | method | width | before | after | Δ points |")
    print("|---|---|---|---|---|---|")
    worst = {}
    for key in sorted(after):
        if key not in before or (wanted and key[1] not in wanted):
            continue
        d = 100 * (after[key] - before[key])
        worst[key[1]] = min(worst.get(key[1], 0.0), d)
        print(f"| {key[0]} | {key[1]} | {key[2]} | {before[key]:.4f} | {after[key]:.4f} | {d:+.2f} |")
    print()
    for m, w in sorted(worst.items()):
        print(f"- {m}: largest loss {w:+.2f} points")


if __name__ == "__main__":
    main()
