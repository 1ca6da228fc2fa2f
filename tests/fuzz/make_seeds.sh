#!/usr/bin/env bash
# (Re)writes the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET) from committed test
# files. The targets' first input byte is a selector where noted (see each fuzz_*.cpp).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bad="$root/tests/data/bad"
c="$here/corpus"
rm -rf "$c" && mkdir -p "$c"/{fuzz_onnx,fuzz_efq,fuzz_nifti,fuzz_json}
for f in tiny_valid unsupported_attr unsupported_op nan_constant_node resize_by_1000 cycle \
         produced_twice attr_wrong_type conv_zero_stride meta_huge_roi weight_int32 inf_bias_float_data; do
  cp "$bad/$f.onnx" "$c/fuzz_onnx/$f.onnx"
done
cp "$root/tests/data/fixtures/grouped.onnx" "$c/fuzz_onnx/grouped.onnx"
for f in efq_valid efq_zero_scales efq_negative_dim; do cp "$bad/$f.efq" "$c/fuzz_efq/$f.efq"; done
for f in vol_valid.nii vol_4d.nii vol_inf_voxel.nii vol_nan_affine.nii; do
  { printf '\x00'; cat "$bad/$f"; } >"$c/fuzz_nifti/$f"
done
for f in vol_nan_voxels.nii.gz vol_truncated.nii.gz; do
  { printf '\x01'; cat "$bad/$f"; } >"$c/fuzz_nifti/$f"
done
{ printf '\x00'; cat "$root/docs/model-metadata.example.json"; } >"$c/fuzz_json/metadata_example.json"
/usr/bin/python3 - "$bad/tiny_valid.onnx" >"$c/fuzz_json/metadata_tiny.json" <<'PY'
import sys, onnx
m = onnx.load(sys.argv[1])
sys.stdout.write("\0" + [p.value for p in m.metadata_props if p.key == "efficientq"][0])
PY
i=0
for d in "$root"/tests/data/{brain,brats,liver} "$bad"/datasets/{valid,json_two_channels,json_no_labels}; do
  { printf '\x01'; cat "$d/dataset.json"; } >"$c/fuzz_json/dataset_$i.json"
  i=$((i+1))
done
echo "seeds: $(find "$c" -type f | wc -l) files"
