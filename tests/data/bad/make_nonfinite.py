#!/usr/bin/python3
"""Writes the non-finite-weight models of tests/data/bad/ from tests/data/fixtures/grouped.onnx by
patching float bytes of its initializers in place (a minimal protobuf wire-format walk: Debian's
python3 has no onnx module, and the patch keeps every length unchanged):

  nan_weight.onnx  one element of the first Conv weight is NaN         -> refused at load
  inf_bias.onnx    one element of the first 1-D initializer is +Inf    -> refused at load
  overflow.onnx    the first Conv weight is all +-3e38 (finite)        -> loads, its output is
                                                                          Inf/NaN at run time

Run: /usr/bin/python3 tests/data/bad/make_nonfinite.py  (from the repository root)
"""
import math
import struct
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[3]
src = root / "tests/data/fixtures/grouped.onnx"
out = Path(__file__).resolve().parent


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b, start, end):
    """(field number, wire type, value start, value end or varint value) of one message."""
    i = start
    while i < end:
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
            yield f, wt, v, None
        elif wt == 2:
            n, i = varint(b, i)
            yield f, wt, i, i + n
            i += n
        elif wt == 5:
            yield f, wt, i, i + 4
            i += 4
        elif wt == 1:
            yield f, wt, i, i + 8
            i += 8
        else:
            raise ValueError("unexpected wire type %d" % wt)


def initializers(b):
    """(name, dims, (data start, data end)) of every FLOAT initializer with raw_data/float_data."""
    for f, wt, s, e in fields(b, 0, len(b)):
        if f != 7 or wt != 2:  # ModelProto.graph
            continue
        for gf, gwt, gs, ge in fields(b, s, e):
            if gf != 5 or gwt != 2:  # GraphProto.initializer
                continue
            name, dims, dtype, data = "", [], 1, None
            for tf, twt, ts, te in fields(b, gs, ge):
                if tf == 8:
                    name = b[ts:te].decode()
                elif tf == 1 and twt == 0:
                    dims.append(ts)
                elif tf == 1 and twt == 2:
                    j = ts
                    while j < te:
                        d, j = varint(b, j)
                        dims.append(d)
                elif tf == 2:
                    dtype = ts
                elif tf in (9, 4) and twt == 2:
                    data = (ts, te)
            if dtype == 1 and data:
                yield name, dims, data


def patched(b, name, values):
    """A copy of b with the floats of initializer `name` set from values(index, count)."""
    b = bytearray(b)
    for n, dims, (s, e) in initializers(b):
        if n == name:
            count = (e - s) // 4
            for k, v in values(count):
                struct.pack_into("<f", b, s + 4 * k, v)
            return bytes(b)
    raise KeyError(name)


def main():
    b = src.read_bytes()
    inits = list(initializers(b))
    weight = next(n for n, d, _ in inits if len(d) == 5)  # the first Conv weight (O, I, D, H, W)
    bias = next(n for n, d, _ in inits if len(d) == 1)
    (out / "nan_weight.onnx").write_bytes(patched(b, weight, lambda n: [(n // 2, math.nan)]))
    (out / "inf_bias.onnx").write_bytes(patched(b, bias, lambda n: [(0, math.inf)]))
    (out / "overflow.onnx").write_bytes(
        patched(b, weight, lambda n: [(k, 3e38 if k % 2 else -3e38) for k in range(n)]))
    print("weight %s, bias %s" % (weight, bias))


if __name__ == "__main__":
    sys.exit(main())
