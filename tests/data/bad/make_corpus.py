#!/usr/bin/python3
"""Writes the hostile corpus of tests/data/bad/ (issue 13 item 2): models, volumes, .efq files,
datasets and model metadata that lie, are cut short, flipped or malformed. Deterministic: running it
again gives the same bytes. tests/cli/hostile_corpus.sh runs every file through inspect, segment,
eval and quantize and says what each must fail with.

Run: /usr/bin/python3 tests/data/bad/make_corpus.py   (Debian's python3: onnx, nibabel, numpy)
The older files (truncated.onnx, unsupported_*.onnx, absurd_dims.nii, the non-finite models of
make_nonfinite.py) are not rewritten here.
"""
import gzip
import json
import shutil
import struct
import sys
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = Path(__file__).resolve().parent
rng = np.random.default_rng(13)
META = {"schema": 1, "modalities": ["CT"], "normalization": ["zscore"], "roi": [16, 16, 16],
        "activation": "softmax", "classes": ["background", "organ"]}


def tiny_model(meta=META, weight=None, bias=None, extra_nodes=(), extra_inits=(), opset=13,
               nodes=None, outputs=None):
    """Conv 1->2, 3x3x3, pad 1 on image[1,1,D,H,W] -> logits[1,2,D,H,W]."""
    w = weight if weight is not None else numpy_helper.from_array(
        rng.standard_normal((2, 1, 3, 3, 3)).astype(np.float32) * 0.3, "conv.weight")
    b = bias if bias is not None else numpy_helper.from_array(np.zeros(2, np.float32), "conv.bias")
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, "D", "H", "W"])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 2, "D", "H", "W"])
    if nodes is None:
        nodes = [helper.make_node("Conv", ["image", w.name, b.name], ["logits"], name="conv",
                                  kernel_shape=[3, 3, 3], pads=[1] * 6)]
    g = helper.make_graph(list(nodes) + list(extra_nodes), "tiny", [x], outputs or [y],
                          [w, b] + list(extra_inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="make_corpus")
    m.ir_version = 7
    if meta is not None:
        p = m.metadata_props.add()
        p.key, p.value = "efficientq", meta if isinstance(meta, str) else json.dumps(meta)
    return m


def save(name, model_or_bytes):
    data = model_or_bytes if isinstance(model_or_bytes, bytes) else model_or_bytes.SerializeToString()
    (out / name).write_bytes(data)


def raw_tensor(name, dims, dtype=TensorProto.FLOAT, raw=b""):
    t = TensorProto()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    if raw:
        t.raw_data = raw
    return t


def models():
    base = tiny_model()
    good = base.SerializeToString()
    save("tiny_valid.onnx", base)  # the intact original the others are cut from (a control)
    save("empty.onnx", b"")
    save("random_bytes.onnx", rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    save("truncated_mid.onnx", good[: len(good) * 3 // 5])
    # Single bit flips that protobuf cannot parse (a field key or a length goes wrong): the first
    # three positions, scanning from the start, the middle and 3/4 of the file, where flipping bit 7
    # breaks the parse. (Most flips inside weights give a valid model with another weight.)
    k = 0
    for start in (0, len(good) // 2, len(good) * 3 // 4):
        for pos in range(start, len(good)):
            b = bytearray(good)
            b[pos] ^= 0x80
            try:
                onnx.ModelProto().ParseFromString(bytes(b))
            except Exception:
                save("bitflip_%d.onnx" % k, bytes(b))
                k += 1
                break
    # Lying shapes.
    save("lying_dims.onnx", tiny_model(weight=raw_tensor(
        "conv.weight", [1 << 20, 1 << 20, 3, 3, 3], raw=b"\0" * 216)))
    save("huge_initializer.onnx", tiny_model(weight=raw_tensor("conv.weight", [1 << 16, 1 << 16, 3, 3, 3])))
    save("int64_no_data.onnx", tiny_model(extra_inits=[raw_tensor("big_ints", [1 << 27], TensorProto.INT64)]))
    save("raw_size_lie.onnx", tiny_model(weight=raw_tensor("conv.weight", [2, 1, 3, 3, 3], raw=b"\0" * 100)))
    save("negative_dim.onnx", tiny_model(weight=raw_tensor("conv.weight", [2, -1, 3, 3, 3], raw=b"\0" * 216)))
    # External data that points out of the model's folder: never opened.
    for name, loc in [("external_escape.onnx", "../../../../../etc/passwd"), ("external_absolute.onnx", "/etc/shadow")]:
        w = raw_tensor("conv.weight", [2, 1, 3, 3, 3])
        w.data_location = TensorProto.EXTERNAL
        e = w.external_data.add()
        e.key, e.value = "location", loc
        save(name, tiny_model(weight=w))
    # Wrong data types.
    save("weight_float16.onnx", tiny_model(weight=raw_tensor("conv.weight", [2, 1, 3, 3, 3], TensorProto.FLOAT16, b"\0" * 108)))
    save("weight_string.onnx", tiny_model(weight=helper.make_tensor("conv.weight", TensorProto.STRING, [1], [b"x"])))
    save("weight_int32.onnx", tiny_model(weight=numpy_helper.from_array(np.ones((2, 1, 3, 3, 3), np.int32), "conv.weight")))
    # Graph structure.
    cyc = [helper.make_node("Relu", ["b"], ["a"], name="first"), helper.make_node("Relu", ["a"], ["b"], name="second"),
           helper.make_node("Conv", ["b", "conv.weight", "conv.bias"], ["logits"], name="conv",
                            kernel_shape=[3, 3, 3], pads=[1] * 6)]
    save("cycle.onnx", tiny_model(nodes=cyc))
    save("self_loop.onnx", tiny_model(nodes=[helper.make_node("Add", ["image", "s"], ["s"], name="loop"),
                                             helper.make_node("Conv", ["s", "conv.weight", "conv.bias"], ["logits"], name="conv",
                                                              kernel_shape=[3, 3, 3], pads=[1] * 6)]))
    save("produced_twice.onnx", tiny_model(nodes=[
        helper.make_node("Relu", ["image"], ["r"], name="relu_a"),
        helper.make_node("Sigmoid", ["image"], ["r"], name="sigmoid_b"),
        helper.make_node("Conv", ["r", "conv.weight", "conv.bias"], ["logits"], name="conv", kernel_shape=[3, 3, 3], pads=[1] * 6)]))
    save("overwrites_input.onnx", tiny_model(nodes=[
        helper.make_node("Relu", ["image"], ["image"], name="relu_in_place"),
        helper.make_node("Conv", ["image", "conv.weight", "conv.bias"], ["logits"], name="conv", kernel_shape=[3, 3, 3], pads=[1] * 6)]))
    save("undefined_input.onnx", tiny_model(nodes=[
        helper.make_node("Conv", ["ghost", "conv.weight", "conv.bias"], ["logits"], name="conv", kernel_shape=[3, 3, 3], pads=[1] * 6)]))
    save("output_never_produced.onnx", tiny_model(outputs=[helper.make_tensor_value_info("nowhere", TensorProto.FLOAT, None)]))
    m = tiny_model()
    m.graph.ClearField("node")
    save("no_nodes.onnx", m)
    m = tiny_model()
    m.ClearField("graph")
    save("no_graph.onnx", m)
    save("opset_999.onnx", tiny_model(opset=999))
    m = tiny_model()
    m.graph.node[0].domain = "com.microsoft"
    save("foreign_domain.onnx", m)
    # Wrong operators and attributes.
    save("conv_channel_mismatch.onnx", tiny_model(weight=numpy_helper.from_array(np.ones((2, 3, 3, 3, 3), np.float32), "conv.weight")))
    save("conv_weight_rank2.onnx", tiny_model(weight=numpy_helper.from_array(np.ones((2, 1), np.float32), "conv.weight")))
    m = tiny_model()
    m.graph.node[0].attribute[0].CopyFrom(helper.make_attribute("kernel_shape", "three"))
    save("attr_wrong_type.onnx", m)
    save("conv_zero_stride.onnx", tiny_model(nodes=[helper.make_node(
        "Conv", ["image", "conv.weight", "conv.bias"], ["logits"], name="conv", kernel_shape=[3, 3, 3], pads=[1] * 6, strides=[0, 0, 0])]))
    save("conv_huge_pad.onnx", tiny_model(nodes=[helper.make_node(
        "Conv", ["image", "conv.weight", "conv.bias"], ["logits"], name="conv", kernel_shape=[3, 3, 3], pads=[1 << 40] * 6)]))
    # Activations that explode from a small file: 2^18 channels from a 1 MiB weight; a Resize by 1000.
    wide = numpy_helper.from_array(np.full((1 << 18, 1, 1, 1, 1), 0.01, np.float32), "wide.weight")
    save("huge_activation.onnx", tiny_model(nodes=[
        helper.make_node("Conv", ["image", "wide.weight"], ["wide"], name="wide_conv", kernel_shape=[1, 1, 1]),
        helper.make_node("ReduceMean", ["wide"], ["logits"], name="squeeze", axes=[1], keepdims=1)],
        extra_inits=[wide]))
    scales = numpy_helper.from_array(np.array([1, 1, 1000, 1000, 1000], np.float32), "scales")
    roi_t = numpy_helper.from_array(np.zeros(0, np.float32), "roi_empty")
    save("resize_by_1000.onnx", tiny_model(nodes=[
        helper.make_node("Resize", ["image", "roi_empty", "scales"], ["big"], name="upsample", mode="nearest"),
        helper.make_node("Conv", ["big", "conv.weight", "conv.bias"], ["logits"], name="conv", kernel_shape=[3, 3, 3], pads=[1] * 6)],
        extra_inits=[scales, roi_t]))
    # A valid model whose one layer's Gram statistics need ~24 GB: 1024 input channels, 3x3x3.
    w1 = numpy_helper.from_array(np.full((1024, 1, 1, 1, 1), 0.01, np.float32), "fan.weight")
    w2 = numpy_helper.from_array((rng.standard_normal((2, 1024, 3, 3, 3)) * 0.01).astype(np.float32), "conv.weight")
    save("gram_too_big.onnx", tiny_model(weight=w2, nodes=[
        helper.make_node("Conv", ["image", "fan.weight"], ["fan"], name="fan_out", kernel_shape=[1, 1, 1]),
        helper.make_node("Conv", ["fan", "conv.weight", "conv.bias"], ["logits"], name="conv", kernel_shape=[3, 3, 3], pads=[1] * 6)],
        extra_inits=[w1]))
    # Non-finite constants outside the weights: a Constant node, a second layer's bias.
    save("nan_constant_node.onnx", tiny_model(nodes=[
        helper.make_node("Constant", [], ["c"], name="nan_const", value=numpy_helper.from_array(np.array([np.nan], np.float32))),
        helper.make_node("Add", ["image", "c"], ["shifted"], name="add_nan"),
        helper.make_node("Conv", ["shifted", "conv.weight", "conv.bias"], ["logits"], name="conv", kernel_shape=[3, 3, 3], pads=[1] * 6)]))
    save("inf_bias_float_data.onnx", tiny_model(bias=helper.make_tensor("conv.bias", TensorProto.FLOAT, [2], [0.0, float("-inf")])))
    # Model metadata (metadata_props["efficientq"]).
    save("meta_not_json.onnx", tiny_model(meta="{\"roi\": [16, 16,"))
    save("meta_wrong_types.onnx", tiny_model(meta={"roi": "big", "activation": 3}))
    save("meta_huge_roi.onnx", tiny_model(meta=dict(META, roi=[100000, 100000, 100000])))
    save("meta_bad_normalization.onnx", tiny_model(meta=dict(META, normalization=["ct:5,1"])))
    save("meta_tiny_spacing.onnx", tiny_model(meta=dict(META, spacing=[0.001, 0.001, 0.001])))
    return base


def nifti_bytes(data, dtype=np.float32, affine=None, gz=False):
    img = nib.Nifti1Image(np.asarray(data, dtype=dtype), np.diag([2.0, 2.0, 2.0, 1.0]) if affine is None else affine)
    img.header.set_xyzt_units("mm")
    b = img.to_bytes()
    return gzip.compress(b, mtime=0) if gz else b


def volumes():
    vol = (rng.standard_normal((16, 16, 16)) * 10 + 50).astype(np.float32)
    good = nifti_bytes(vol)
    (out / "vol_valid.nii").write_bytes(good)
    (out / "vol_truncated.nii").write_bytes(good[: 352 + 1000])
    gzb = nifti_bytes(vol, gz=True)
    (out / "vol_truncated.nii.gz").write_bytes(gzb[: len(gzb) // 2])
    b = bytearray(gzb)
    b[len(b) // 2] ^= 0x10
    (out / "vol_bitflip.nii.gz").write_bytes(bytes(b))
    nan = vol.copy()
    nan[3, 4, 5] = np.nan
    nan[8, 8, 8] = np.nan
    (out / "vol_nan_voxels.nii.gz").write_bytes(nifti_bytes(nan, gz=True))
    inf = vol.copy()
    inf[0, 0, 0] = np.inf
    (out / "vol_inf_voxel.nii").write_bytes(nifti_bytes(inf))
    (out / "vol_4d.nii").write_bytes(nifti_bytes(np.zeros((8, 8, 8, 2), np.float32)))
    (out / "vol_complex.nii").write_bytes(nifti_bytes(np.zeros((8, 8, 8), np.complex64), dtype=np.complex64))
    rgb = nib.Nifti1Image(np.zeros((8, 8, 8), dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")]), np.eye(4))
    (out / "vol_rgb.nii").write_bytes(rgb.to_bytes())
    nan_aff = np.diag([2.0, 2.0, 2.0, 1.0])
    nan_aff[0, 3] = np.nan
    (out / "vol_nan_affine.nii").write_bytes(nifti_bytes(vol, affine=nan_aff))

    def patched(fmt, offset, value, src=good):
        b = bytearray(src)
        struct.pack_into(fmt, b, offset, *value) if isinstance(value, tuple) else struct.pack_into(fmt, b, offset, value)
        return bytes(b)
    # NIfTI-1 header offsets: sizeof_hdr 0, dim 40 (8 x i16), datatype 70, bitpix 72, pixdim 76, magic 344.
    (out / "vol_empty.nii").write_bytes(b"")
    (out / "vol_garbage.nii.gz").write_bytes(gzip.compress(rng.integers(0, 256, 600, dtype=np.uint8).tobytes(), mtime=0))
    (out / "vol_bad_sizeof_hdr.nii").write_bytes(patched("<i", 0, 123))
    (out / "vol_zero_dim.nii").write_bytes(patched("<8h", 40, (3, 16, 0, 16, 1, 1, 1, 1)))
    (out / "vol_negative_dim.nii").write_bytes(patched("<8h", 40, (3, 16, -16, 16, 1, 1, 1, 1)))
    # Lying dimensions: 1200^3 float32 (1.7e9 voxels, ~13 GiB to read) in a 5 KiB file; and
    # 600^3 (864 MiB of floats, under a 2 GiB limit) whose data is missing.
    (out / "vol_lying_dims.nii").write_bytes(patched("<8h", 40, (3, 1200, 1200, 1200, 1, 1, 1, 1))[:5000])
    (out / "vol_lying_dims_small.nii").write_bytes(patched("<8h", 40, (3, 600, 600, 600, 1, 1, 1, 1))[:5000])
    (out / "vol_wrong_datatype.nii").write_bytes(patched("<h", 70, 9999))
    # A label map on another grid than the image (for eval).
    return vol


def efq_file(base, shape_override=None, version=1, scales=None, flip=None, truncate=None, magic=b"EFQ1"):
    """An .efq (docs/efq-format.md) of the tiny model: conv.weight as 4-bit symmetric codes."""
    g = onnx.ModelProto()
    g.CopyFrom(base)
    keep = [t for t in g.graph.initializer if t.name != "conv.weight"]
    del g.graph.initializer[:]
    g.graph.initializer.extend(keep)
    graph = g.SerializeToString()
    shape = shape_override or [2, 1, 3, 3, 3]
    n = 54
    codes = rng.integers(0, 15, n)
    packed = bytearray((n * 4 + 7) // 8)
    for k, u in enumerate(codes):
        for bit in range(4):
            if (int(u) >> bit) & 1:
                at = k * 4 + bit
                packed[at // 8] |= 1 << (at % 8)
    ns = 2 if scales is None else scales
    layer = b"".join([
        struct.pack("<H", 4), b"conv", struct.pack("<H", 11), b"conv.weight",
        struct.pack("<BBBB", 4, 1, 0, 0), struct.pack("<iii", -7, 1, 7),
        struct.pack("<I", len(shape)), b"".join(struct.pack("<q", d) for d in shape),
        struct.pack("<I", ns), b"".join(struct.pack("<d", 0.01) for _ in range(ns)),
        b"".join(struct.pack("<i", 0) for _ in range(ns)),
        struct.pack("<Q", (int(np.prod(np.array(shape, dtype=object))) & (2**64 - 1)) if shape_override else n), bytes(packed)])
    payload = struct.pack("<IQ", 1, len(graph)) + graph + struct.pack("<IQ", 2, len(layer)) + layer
    b = bytearray(magic + struct.pack("<IQ", version, len(payload)) + payload +
                  struct.pack("<I", zlib.crc32(payload) & 0xFFFFFFFF))
    if flip is not None:
        b[flip] ^= 0x04
    return bytes(b[:truncate] if truncate else b)


def efqs(base):
    good = efq_file(base)
    (out / "efq_valid.efq").write_bytes(good)
    (out / "efq_truncated.efq").write_bytes(good[: len(good) - 40])
    (out / "efq_bad_crc.efq").write_bytes(efq_file(base, flip=len(good) // 2))
    (out / "efq_bad_magic.efq").write_bytes(efq_file(base, magic=b"EFQ9"))
    (out / "efq_version_7.efq").write_bytes(efq_file(base, version=7))
    (out / "efq_lying_shape.efq").write_bytes(efq_file(base, shape_override=[1 << 20, 1 << 20, 3, 3, 3]))
    (out / "efq_negative_dim.efq").write_bytes(efq_file(base, shape_override=[2, -1, 3, 3, 3]))
    (out / "efq_zero_scales.efq").write_bytes(efq_file(base, scales=0))


def datasets(vol):
    root = out / "datasets"
    shutil.rmtree(root, ignore_errors=True)
    lab = (vol > 50).astype(np.uint8)
    good_json = {"channel_names": {"0": "CT"}, "labels": {"background": 0, "organ": 1},
                 "numTraining": 0, "numTest": 1, "file_ending": ".nii.gz"}

    def make(name, js, image=None, label=None, label_affine=None, raw_json=None):
        d = root / name
        (d / "imagesTs").mkdir(parents=True)
        (d / "labelsTs").mkdir(parents=True)
        (d / "dataset.json").write_text(raw_json if raw_json is not None else json.dumps(js, indent=1))
        (d / "imagesTs" / "case_000_0000.nii.gz").write_bytes(nifti_bytes(vol if image is None else image, gz=True))
        (d / "labelsTs" / "case_000.nii.gz").write_bytes(
            nifti_bytes(lab if label is None else label, dtype=np.uint8, affine=label_affine, gz=True))
    make("valid", good_json)  # the control: eval on it succeeds
    make("json_not_json", None, raw_json="{\"labels\": {\"background\": 0,")
    make("json_top_level_list", None, raw_json="[1, 2, 3]")
    # A number beyond double's range (found by fuzz_json): nlohmann's out_of_range, not a parse_error.
    make("json_number_overflow", None, raw_json='{"labels": {"background": 0, "organ": 1e99999}}')
    make("json_no_labels", {k: v for k, v in good_json.items() if k != "labels"})
    make("json_labels_wrong_type", dict(good_json, labels=["background", "organ"]))
    make("json_file_ending_number", dict(good_json, file_ending=7))
    make("json_two_channels", dict(good_json, channel_names={"0": "CT", "1": "PET"}))
    make("label_other_grid", good_json, label=lab[:8, :8, :8])
    nan = vol.copy()
    nan[1, 2, 3] = np.nan
    make("image_nan_voxel", good_json, image=nan)


def main():
    base = models()
    vol = volumes()
    efqs(base)
    datasets(vol)
    print("corpus written to", out)


if __name__ == "__main__":
    sys.exit(main())
