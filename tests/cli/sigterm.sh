#!/usr/bin/env bash
# A real SIGTERM in the middle of a quantization is handled like Ctrl-C: the running call is
# cancelled at its next progress report, the exit code is 143 (128 + SIGTERM), one error line
# says so, and no output file (nor a temporary one) is left.
set -euo pipefail
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
rm -rf "$tmp" && mkdir -p "$tmp"
model="$src/models/brain.onnx"
calib=${EFQ_MRICRON_DIR:?}/templates/ch2better.nii.gz
"$cli" quantize "$model" --calib "$calib" -o "$tmp/out.onnx" --json "$tmp/out.json" \
  >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
# Wait until the quantization itself runs (its first layer reported), at most 120 s.
for _ in $(seq 1200); do
  grep -q '^\[quantize\]' "$tmp/stderr" 2>/dev/null && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
grep -q '^\[quantize\]' "$tmp/stderr" || { echo "FAIL: quantization never started"; cat "$tmp/stderr"; exit 1; }
sleep 2
kill -TERM $pid
start=$(date +%s)
rc=0; wait $pid || rc=$?
echo "exit code $rc after SIGTERM, $(( $(date +%s) - start )) s to stop; stderr:"; cat "$tmp/stderr"
[ $rc -eq 143 ] || { echo "FAIL: exit code $rc, expected 143"; exit 1; }
grep -q "interrupted; no output written" "$tmp/stderr" || { echo "FAIL: no 'interrupted' line"; exit 1; }
left=$(ls -A "$tmp" | grep -v -x -e stdout -e stderr || true)
[ -z "$left" ] || { echo "FAIL: files left behind: $left"; exit 1; }
echo "sigterm passed"
