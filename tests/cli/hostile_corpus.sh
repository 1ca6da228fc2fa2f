#!/usr/bin/env bash
# The hostile corpus (issue 13 item 2; files from tests/data/bad/make_corpus.py): every file through
# inspect, segment, eval and quantize with an explicit 2048 MB memory limit. Each failure must be
# exactly one error line on stderr matching the expected text, an exit code in 1..127 (no crash, no
# signal, no OOM kill), no file left in the output folder, and a peak RSS under 2 GiB; the corpus is
# byte-identical afterwards. The intact controls (tiny_valid.onnx, vol_valid.nii, efq_valid.efq,
# datasets/valid) must pass every command, so each failure comes from the damage, not the harness.
set -u
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
bad="$src/tests/data/bad"
rm -rf "$tmp" && mkdir -p "$tmp/out"
TIME=/usr/bin/time
. "$src/tests/lib/skip.sh"
[ -x "$TIME" ] || skip "$TIME (Debian package time; make deps installs it) is missing: peak RSS cannot be measured"
limit_kib=$((2 * 1024 * 1024))
fails=0 runs=0 max_rss=0 max_rss_case=""
corpus_sum() { (cd "$bad" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum); }
before=$(corpus_sum)
M="--memory-limit 2048"
model_opts="--quiet"
# run NAME EXPECT PATTERN -- command...   EXPECT: fail (one error line matching PATTERN) | ok
run() {
  local name=$1 expect=$2 pattern=$3; shift 4
  runs=$((runs+1))
  timeout 300 "$TIME" -f '%M' -o "$tmp/rss" "$@" >"$tmp/stdout" 2>"$tmp/err"; local rc=$?
  local rss; rss=$(tail -1 "$tmp/rss" 2>/dev/null | grep -E '^[0-9]+$' || echo 0)
  # /usr/bin/time prints "Command exited with non-zero status N" first; that line is its own.
  grep -v '^Command exited with non-zero status\|^Command terminated by signal' "$tmp/err" >"$tmp/err1"
  local lines; lines=$(wc -l <"$tmp/err1")
  local left; left=$(ls -A "$tmp/out")
  local why=""
  if [ "$expect" = ok ]; then
    [ $rc -eq 0 ] || why="exit $rc"
  else
    if [ $rc -eq 0 ]; then why="succeeded";
    elif [ $rc -ge 124 ]; then why="exit $rc (crash, signal, OOM or timeout)";
    elif [ "$lines" -ne 1 ]; then why="$lines stderr lines";
    elif ! grep -q -- "$pattern" "$tmp/err1"; then why="message does not match '$pattern'"; fi
    [ -z "$left" ] || why="$why; left behind: $left"
  fi
  [ "$rss" -lt $limit_kib ] || why="$why; peak RSS $rss KiB"
  if [ "$rss" -gt "$max_rss" ]; then max_rss=$rss max_rss_case=$name; fi
  rm -rf "$tmp/out" && mkdir -p "$tmp/out"
  if [ -n "$why" ]; then
    echo "FAIL $name: $why (rc=$rc, RSS ${rss} KiB)"; sed 's/^/     /' "$tmp/err1" | head -5; fails=$((fails+1))
  else
    echo "ok   $name [rc=$rc, ${rss} KiB] $(head -c 300 "$tmp/err1")"
  fi
}
img="$bad/vol_valid.nii"
ds="$bad/datasets/valid"
valid="$bad/tiny_valid.onnx"
q_opts="--method rtn --quiet"
# all4 NAME MODEL PATTERN: a model every command must refuse (at load, or when it runs).
all4() {
  run "$1 (inspect)" fail "$3" -- "$cli" inspect "$2" $M
  run "$1 (segment)" fail "$3" -- "$cli" segment "$2" "$img" -o "$tmp/out/s.nii.gz" $M $model_opts
  run "$1 (eval)" fail "$3" -- "$cli" eval "$2" "$ds" --json "$tmp/out/e.json" $M $model_opts
  run "$1 (quantize)" fail "$3" -- "$cli" quantize "$2" --calib "$img" -o "$tmp/out/q.onnx" $M $q_opts
}
# run3 NAME MODEL PATTERN: loads (inspect prints it) but segment, eval and quantize must refuse it.
run3() {
  run "$1 (inspect)" ok "" -- "$cli" inspect "$2" $M
  run "$1 (segment)" fail "$3" -- "$cli" segment "$2" "$img" -o "$tmp/out/s.nii.gz" $M $model_opts
  run "$1 (eval)" fail "$3" -- "$cli" eval "$2" "$ds" --json "$tmp/out/e.json" $M $model_opts
  run "$1 (quantize)" fail "$3" -- "$cli" quantize "$2" --calib "$img" -o "$tmp/out/q.onnx" $M $q_opts
}

# --- controls: the intact files pass every command --------------------------------------------
for m in "$valid" "$bad/efq_valid.efq"; do
  run "control $(basename "$m") (inspect)" ok "" -- "$cli" inspect "$m" $M
  run "control $(basename "$m") (segment)" ok "" -- "$cli" segment "$m" "$img" -o "$tmp/out/s.nii.gz" $M $model_opts
  run "control $(basename "$m") (eval)" ok "" -- "$cli" eval "$m" "$ds" $M $model_opts
done
run "control tiny_valid.onnx (quantize)" ok "" -- "$cli" quantize "$valid" --calib "$img" -o "$tmp/out/q.onnx" $M $q_opts

# --- ONNX models ------------------------------------------------------------------------------
all4 "empty file" "$bad/empty.onnx" "the model file is empty"
all4 "random bytes" "$bad/random_bytes.onnx" "not a valid ONNX model"
all4 "truncated (60%)" "$bad/truncated_mid.onnx" "not a valid ONNX model"
all4 "truncated (old)" "$bad/truncated.onnx" "not a valid ONNX model"
all4 "bit flip 0" "$bad/bitflip_0.onnx" "not a valid ONNX model"
all4 "bit flip 1" "$bad/bitflip_1.onnx" "not a valid ONNX model"
all4 "bit flip 2" "$bad/bitflip_2.onnx" "not a valid ONNX model"
all4 "lying initializer shape" "$bad/lying_dims.onnx" "more than the memory limit of 2048 MiB"
all4 "huge initializer" "$bad/huge_initializer.onnx" "initializer 'conv.weight' of shape \[65536,65536,3,3,3\] needs 884736 MiB, more than the memory limit of 2048 MiB"
all4 "int64 initializer without data" "$bad/int64_no_data.onnx" "tensor 'big_ints' (int64, shape \[134217728\]) holds 0 values"
all4 "raw data shorter than the shape" "$bad/raw_size_lie.onnx" "holds 100 bytes of raw data, expected 216"
all4 "negative dimension" "$bad/negative_dim.onnx" "tensor 'conv.weight' has a negative dimension"
all4 "external data escaping the folder" "$bad/external_escape.onnx" "uses external data ('../../../../../etc/passwd', not read)"
all4 "external data, absolute path" "$bad/external_absolute.onnx" "uses external data ('/etc/shadow', not read)"
all4 "float16 weights" "$bad/weight_float16.onnx" "has data type 10"
all4 "string weights" "$bad/weight_string.onnx" "has data type 8"
all4 "int32 conv weights" "$bad/weight_int32.onnx" "node 'conv' (Conv) reads the integer tensor 'conv.weight' as input 1"
all4 "cycle" "$bad/cycle.onnx" "reads 'b', which no earlier node"
all4 "self loop" "$bad/self_loop.onnx" "reads 's', which no earlier node"
all4 "value produced twice" "$bad/produced_twice.onnx" "node 'sigmoid_b' (Sigmoid) writes 'r', which is already defined"
all4 "node overwrites the input" "$bad/overwrites_input.onnx" "node 'relu_in_place' (Relu) writes 'image', which is already defined"
all4 "undefined input" "$bad/undefined_input.onnx" "reads 'ghost'"
all4 "output never produced" "$bad/output_never_produced.onnx" "graph output 'nowhere' is never produced"
all4 "no nodes" "$bad/no_nodes.onnx" "has no graph nodes"
all4 "no graph" "$bad/no_graph.onnx" "has no graph nodes"
all4 "opset 999" "$bad/opset_999.onnx" "opset 999 unsupported"
all4 "foreign domain" "$bad/foreign_domain.onnx" "domain 'com.microsoft' unsupported"
all4 "unsupported op" "$bad/unsupported_op.onnx" "operator 'Einsum' is not supported"
all4 "unsupported attribute" "$bad/unsupported_attr.onnx" "attribute 'mode' value 'cubic'"
all4 "attribute of the wrong type" "$bad/attr_wrong_type.onnx" "attribute 'kernel_shape' is of type string, expected ints"
all4 "NaN weight" "$bad/nan_weight.onnx" "initializer 'c1.weight' holds NaN"
all4 "Inf bias" "$bad/inf_bias.onnx" "initializer 'c1.bias' holds Inf"
all4 "-Inf bias as float_data" "$bad/inf_bias_float_data.onnx" "'conv.bias' holds Inf"
all4 "NaN in a Constant node" "$bad/nan_constant_node.onnx" "holds NaN"
all4 "metadata not JSON" "$bad/meta_not_json.onnx" "metadata"
all4 "metadata of wrong types" "$bad/meta_wrong_types.onnx" "metadata"
all4 "conv channel mismatch" "$bad/conv_channel_mismatch.onnx" "input channels 1 do not match weights \[2,3,3,3,3\]"
all4 "conv weight of rank 2" "$bad/conv_weight_rank2.onnx" "weights \[2,1\] must be rank 3-5"
all4 "conv stride 0" "$bad/conv_zero_stride.onnx" "non-positive kernel, stride or dilation"
run3 "conv pad 2^40" "$bad/conv_huge_pad.onnx" "more than the memory limit of 2048 MiB"
run3 "2^18-channel activation" "$bad/huge_activation.onnx" "more than the memory limit of 2048 MiB"
run3 "Resize by 1000" "$bad/resize_by_1000.onnx" "more than the memory limit of 2048 MiB"
all4 "metadata ROI 100000^3" "$bad/meta_huge_roi.onnx" "metadata field 'roi': needs integers in .1, 4096., got 100000"
all4 "metadata normalization ct:5,1" "$bad/meta_bad_normalization.onnx" "ct:5,1"
run "metadata spacing 0.001 mm (segment)" fail "more than the memory limit of 2048 MiB" -- "$cli" segment "$bad/meta_tiny_spacing.onnx" "$img" -o "$tmp/out/s.nii.gz" $M $model_opts
# Valid for inference; its Gram statistics alone would need ~24 GB.
run "Gram statistics of 27649^2 (quantize)" fail "Gram statistics of the widest layer 'conv'.*more than the memory limit" -- "$cli" quantize "$bad/gram_too_big.onnx" --calib "$img" -o "$tmp/out/q.onnx" $M $q_opts

# --- .efq files -------------------------------------------------------------------------------
for f in efq_truncated:"payload size does not match" efq_bad_crc:"checksum mismatch" \
         efq_bad_magic:"not an .efq file" efq_version_7:".efq version 7" \
         efq_lying_shape:"layer 'conv' of shape .* more than the memory limit" \
         efq_negative_dim:"layer 'conv' has a negative dimension" efq_zero_scales:"has 0 scales"; do
  all4 "${f%%:*}" "$bad/${f%%:*}.efq" "${f#*:}"
done

# --- volumes (segment and quantize the intact model on them) ----------------------------------
for f in vol_truncated.nii:"file truncated or corrupt" vol_truncated.nii.gz:"expected 16384 bytes at offset 352, got 8126" \
         vol_bitflip.nii.gz:"the compressed data is corrupt" vol_nan_voxels.nii.gz:"contains 2 of 4096 voxels that are NaN or Inf" \
         vol_inf_voxel.nii:"contains 1 of 4096 voxels that are NaN or Inf" vol_4d.nii:"holds 2 volumes" \
         vol_complex.nii:"unsupported NIfTI datatype" vol_rgb.nii:"unsupported NIfTI datatype" \
         vol_nan_affine.nii:"non-finite entries" vol_empty.nii:"not a NIfTI file" \
         vol_garbage.nii.gz:"invalid NIfTI header" vol_bad_sizeof_hdr.nii:"libnifti rejected it" vol_zero_dim.nii:"dimension 2 has size 0" \
         vol_negative_dim.nii:"dimension 2 has size -16" \
         vol_lying_dims.nii:"more than the memory limit of 2048 MiB" \
         vol_lying_dims_small.nii:"the header needs 864000000 bytes at offset 352, the file has 5000" \
         vol_wrong_datatype.nii:"unknown datatype code 9999" absurd_dims.nii:"exceed 2^31 voxels"; do
  v="$bad/${f%%:*}" p="${f#*:}"
  run "${f%%:*} (segment)" fail "$p" -- "$cli" segment "$valid" "$v" -o "$tmp/out/s.nii.gz" $M $model_opts
  run "${f%%:*} (quantize)" fail "$p" -- "$cli" quantize "$valid" --calib "$v" -o "$tmp/out/q.onnx" $M $q_opts
done

# --- datasets (eval) --------------------------------------------------------------------------
for f in json_not_json:"cannot parse" json_number_overflow:"number overflow parsing '1e99999'" \
         json_top_level_list:"not a JSON object" json_no_labels:"labels" \
         json_labels_wrong_type:"labels" json_file_ending_number:"file_ending" \
         json_two_channels:"2 modalities\|channel" label_other_grid:"grid" image_nan_voxel:"NaN or Inf"; do
  run "dataset ${f%%:*} (eval)" fail "${f#*:}" -- "$cli" eval "$valid" "$bad/datasets/${f%%:*}" --json "$tmp/out/e.json" $M $model_opts
  run "dataset ${f%%:*} (quantize --eval)" fail "${f#*:}" -- "$cli" quantize "$valid" --calib "$img" --eval "$bad/datasets/${f%%:*}" -o "$tmp/out/q.onnx" $M $q_opts
done

after=$(corpus_sum)
if [ "$before" != "$after" ]; then echo "FAIL: the corpus changed"; fails=$((fails+1)); fi
echo "$runs runs, $fails failed; largest peak RSS ${max_rss} KiB ($max_rss_case)"
[ $fails -eq 0 ] && echo "all hostile-corpus checks passed"
[ $fails -eq 0 ]
