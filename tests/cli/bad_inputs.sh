#!/usr/bin/env bash
# Bad inputs give a non-zero exit and exactly one clear error line on stderr, no crash, no output.
set -u
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
rm -rf "$tmp" && mkdir -p "$tmp"
fails=0
# expect_error NAME PATTERN -- command...
expect_error() {
  local name=$1 pattern=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  local lines; lines=$(wc -l <"$tmp/err")
  if [ $rc -eq 0 ] || [ $rc -ge 128 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pattern" "$tmp/err"; then
    echo "FAIL $name: rc=$rc, $lines stderr line(s):"; cat "$tmp/err"; fails=$((fails+1))
  else
    echo "ok   $name: $(cat "$tmp/err")"
  fi
}
"$cli" phantom liver --train 0 --test 1 --seed 5 --size 48,40,32 -o "$tmp/ds" >/dev/null || exit 1
img="$tmp/ds/imagesTs/liver_000_0000.nii.gz"
fix="$src/tests/data/fixtures"
bad="$src/tests/data/bad"
expect_error "truncated onnx" "not a valid ONNX model" -- "$cli" segment "$bad/truncated.onnx" "$img" -o "$tmp/s.nii.gz"
expect_error "unsupported op" "node 'the_einsum' (Einsum): operator 'Einsum' is not supported" -- "$cli" inspect "$bad/unsupported_op.onnx"
expect_error "unsupported attribute" "node 'cubic_resize' (Resize): attribute 'mode' value 'cubic'" -- "$cli" inspect "$bad/unsupported_attr.onnx"
expect_error "missing model" "cannot open" -- "$cli" inspect "$tmp/nope.onnx"
expect_error "wrong modality count" "takes 1 modalities, got 2" -- "$cli" segment "$fix/uresq.onnx" "$img" "$img" -o "$tmp/s.nii.gz"
expect_error "absurd dimensions" "absurd_dims.nii" -- "$cli" segment "$fix/uresq.onnx" "$bad/absurd_dims.nii" -o "$tmp/s.nii.gz"
expect_error "not a nifti" "uresq.onnx" -- "$cli" segment "$fix/uresq.onnx" "$fix/uresq.onnx" -o "$tmp/s.nii.gz"
expect_error "bad roi" "--roi" -- "$cli" segment "$fix/uresq.onnx" "$img" -o "$tmp/s.nii.gz" --roi 8,x,8
expect_error "bad normalization" "ct:5,1" -- "$cli" segment "$fix/uresq.onnx" "$img" -o "$tmp/s.nii.gz" --normalize ct:5,1
expect_error "unknown option" "unknown option --frobnicate" -- "$cli" segment "$fix/uresq.onnx" "$img" -o "$tmp/s.nii.gz" --frobnicate
expect_error "unknown command" "unknown command" -- "$cli" frobnicate
expect_error "missing dataset" "not a directory" -- "$cli" eval "$fix/uresq.onnx" "$tmp/nodataset"
expect_error "bad activation scale rule" "--act-scale 'best' (expected als|layer|network)" -- "$cli" quantize "$fix/uresq.onnx" --calib "$img" -o "$tmp/q.onnx" --act-scale best
# Non-finite weights (tests/data/bad/make_nonfinite.py): refused at load, naming tensor and node;
# a model whose output overflows to Inf/NaN fails in segment and eval instead of writing an
# all-background segmentation.
"$cli" phantom brats --train 0 --test 1 --seed 3 --size 32,32,24 -o "$tmp/bds" >/dev/null || exit 1
bimgs=$(ls "$tmp"/bds/imagesTs/*.nii.gz)
bopts="--normalize zscore --roi 16,16,16 --activation softmax"
expect_error "NaN weight (inspect)" "initializer 'c1.weight' holds NaN at element 216 of 432 (used by node '/c1/Conv' (Conv))" -- "$cli" inspect "$bad/nan_weight.onnx"
expect_error "NaN weight (segment)" "nan_weight.onnx: initializer 'c1.weight' holds NaN" -- "$cli" segment "$bad/nan_weight.onnx" $bimgs $bopts -o "$tmp/s.nii.gz"
expect_error "NaN weight (quantize)" "initializer 'c1.weight' holds NaN" -- "$cli" quantize "$bad/nan_weight.onnx" --calib $bimgs $bopts -o "$tmp/q.onnx"
expect_error "Inf bias (inspect)" "initializer 'c1.bias' holds Inf at element 0 of 8 (used by node '/c1/Conv' (Conv))" -- "$cli" inspect "$bad/inf_bias.onnx"
expect_error "NaN output (segment)" "network's output holds .* at the output of node '/c1/Conv' (Conv)" -- "$cli" segment "$bad/overflow.onnx" $bimgs $bopts -o "$tmp/s.nii.gz"
expect_error "NaN output (eval)" "network's output holds" -- "$cli" eval "$bad/overflow.onnx" "$tmp/bds" $bopts --json "$tmp/e.json" --quiet
if ls "$tmp"/e.json* >/dev/null 2>&1; then echo "FAIL: an evaluation report was left behind"; fails=$((fails+1)); fi
# Outputs checked before the work: a missing folder fails at once (no progress line: the sliding
# window never ran); an output that is one of the inputs (also through a symlink or another
# relative spelling) is refused unless --force, and the input stays byte-identical.
expect_error "segment into a missing folder" "s.nii.gz: the folder $tmp/nodir does not exist" -- "$cli" segment "$fix/uresq.onnx" "$img" -o "$tmp/nodir/s.nii.gz"
expect_error "quantize --json into a missing folder" "the folder $tmp/nodir does not exist" -- "$cli" quantize "$fix/uresq.onnx" --calib "$img" -o "$tmp/q.onnx" --json "$tmp/nodir/r.json"
cp "$fix/uresq.onnx" "$tmp/m.onnx" && ln -s m.onnx "$tmp/link.onnx" && mkdir -p "$tmp/sub"
cp "$img" "$tmp/img.nii.gz"
model_sum=$(sha256sum <"$tmp/m.onnx") img_sum=$(sha256sum <"$tmp/img.nii.gz")
expect_error "quantize -o MODEL" "-o $tmp/m.onnx is the input $tmp/m.onnx (the same file); refusing to overwrite an input (--force allows it)" -- "$cli" quantize "$tmp/m.onnx" --calib "$img" -o "$tmp/m.onnx"
expect_error "quantize -o symlink to MODEL" "is the input $tmp/m.onnx" -- "$cli" quantize "$tmp/m.onnx" --calib "$img" -o "$tmp/link.onnx"
expect_error "quantize -o MODEL, relative" "-o sub/../m.onnx is the input m.onnx" -- bash -c "cd '$tmp' && '$cli' quantize m.onnx --calib '$img' -o sub/../m.onnx"
expect_error "quantize -o calibration image" "is the input $tmp/img.nii.gz" -- "$cli" quantize "$tmp/m.onnx" --calib "$tmp/img.nii.gz" -o "$tmp/img.nii.gz"
expect_error "segment -o IMAGE" "-o $tmp/img.nii.gz is the input $tmp/img.nii.gz" -- "$cli" segment "$tmp/m.onnx" "$tmp/img.nii.gz" -o "$tmp/img.nii.gz"
expect_error "segment --probabilities MODEL" "--probabilities $tmp/link.onnx is the input" -- "$cli" segment "$tmp/m.onnx" "$tmp/img.nii.gz" -o "$tmp/s.nii.gz" --probabilities "$tmp/link.onnx"
expect_error "inspect --json MODEL" "--json $tmp/m.onnx is the input" -- "$cli" inspect "$tmp/m.onnx" --json "$tmp/m.onnx"
expect_error "overlay -o IMAGE" "-o $tmp/img.nii.gz is the input" -- "$cli" overlay "$tmp/img.nii.gz" "$tmp/img.nii.gz" -o "$tmp/img.nii.gz"
if [ "$(sha256sum <"$tmp/m.onnx")" != "$model_sum" ] || [ "$(sha256sum <"$tmp/img.nii.gz")" != "$img_sum" ]; then
  echo "FAIL: an input was modified"; fails=$((fails+1))
fi
# --force allows it (the inputs are read before the output is written, atomically).
if "$cli" quantize "$tmp/m.onnx" --calib "$img" -o "$tmp/m.onnx" --method rtn --force --quiet >/dev/null 2>"$tmp/err" &&
   [ "$(sha256sum <"$tmp/m.onnx")" != "$model_sum" ] && "$cli" inspect "$tmp/m.onnx" >/dev/null; then
  echo "ok   quantize -o MODEL --force replaced the model with a loadable quantized one"
else
  echo "FAIL quantize -o MODEL --force:"; cat "$tmp/err"; fails=$((fails+1))
fi
if ls "$tmp"/q.onnx* >/dev/null 2>&1; then echo "FAIL: a quantized model was left behind"; fails=$((fails+1)); fi
if ls "$tmp"/s.nii.gz* >/dev/null 2>&1; then echo "FAIL: an output file was left behind"; ls "$tmp"; fails=$((fails+1)); fi
[ $fails -eq 0 ] && echo "all bad-input checks passed"
exit $fails
