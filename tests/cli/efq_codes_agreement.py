#!/usr/bin/env python3
"""Fraction of weight codes two .efq files (docs/efq-format.md) agree on, over all quantized
layers: python3 efq_codes_agreement.py A.efq B.efq  ->  prints 'agree F of N codes, L layers'.
Fails when the files hold different layers or shapes."""
import struct
import sys
import zlib


def layers(path):
    data = open(path, "rb").read()
    assert data[:4] == b"EFQ1", f"{path}: not an .efq file"
    (size,) = struct.unpack_from("<Q", data, 8)
    payload = data[16 : 16 + size]
    (crc,) = struct.unpack_from("<I", data, 16 + size)
    assert zlib.crc32(payload) == crc, f"{path}: checksum mismatch"
    out, off = {}, 0
    while off < len(payload):
        typ, length = struct.unpack_from("<IQ", payload, off)
        off += 12
        sec = payload[off : off + length]
        off += length
        if typ != 2:
            continue
        p = 0
        names = []
        for _ in range(2):
            (n,) = struct.unpack_from("<H", sec, p)
            names.append(sec[p + 2 : p + 2 + n].decode())
            p += 2 + n
        bits = sec[p]
        p += 4
        qmin, qstep, _qmax, rank = struct.unpack_from("<iiiI", sec, p)
        p += 16
        shape = struct.unpack_from(f"<{rank}q", sec, p)
        p += 8 * rank
        (s,) = struct.unpack_from("<I", sec, p)
        p += 4 + 12 * s
        (count,) = struct.unpack_from("<Q", sec, p)
        p += 8
        stream = int.from_bytes(sec[p : p + (count * bits + 7) // 8], "little")
        mask = (1 << bits) - 1
        codes = [qmin + qstep * ((stream >> (k * bits)) & mask) for k in range(count)]
        out[names[0]] = (shape, codes)
    return out


a, b = layers(sys.argv[1]), layers(sys.argv[2])
assert a.keys() == b.keys(), f"different layers: {sorted(a.keys() ^ b.keys())}"
same = total = 0
for name in a:
    assert a[name][0] == b[name][0], f"{name}: shapes {a[name][0]} and {b[name][0]}"
    same += sum(x == y for x, y in zip(a[name][1], b[name][1]))
    total += len(a[name][1])
print(f"agree {same / total:.6f} of {total} codes, {len(a)} layers")
