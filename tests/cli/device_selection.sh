#!/usr/bin/env bash
# Device selection (issue 12): --version lists the devices; --device and the EFQ_DEVICE default
# accept cpu / opencl / opencl:N and refuse anything else with a message naming the value and
# where it came from; an explicit --device wins over EFQ_DEVICE.
set -euo pipefail
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
rm -rf "$tmp" && mkdir -p "$tmp"
img="$src/tests/data/brain/imagesTs/colin_ch2_0000.nii.gz" model="$src/models/brain.onnx"
"$cli" --version | tee "$tmp/version"
grep -q '^devices:$' "$tmp/version"
grep -Eq '^  cpu +.+ GiB$' "$tmp/version"
expect_fail() {  # expect_fail PATTERN COMMAND...: fails, and stderr says PATTERN
  local pattern=$1; shift
  if "$@" >"$tmp/out" 2>"$tmp/err"; then echo "expected a failure: $*"; exit 1; fi
  grep -q -- "$pattern" "$tmp/err" || { echo "message lacks '$pattern':"; cat "$tmp/err"; exit 1; }
  echo "refused as expected: $(head -c 200 "$tmp/err")"
}
seg=("$cli" segment "$model" "$img" -o "$tmp/seg.nii.gz" --quiet)
expect_fail "EFQ_DEVICE 'gpu7' is not available" env EFQ_DEVICE=gpu7 "${seg[@]}"
expect_fail "device 'tpu' is not available" "${seg[@]}" --device tpu
expect_fail "expected opencl:N" "${seg[@]}" --device opencl:x
if grep -q '^  opencl:0 ' "$tmp/version"; then
  expect_fail "device 'opencl:99' does not exist" "${seg[@]}" --device opencl:99
else
  expect_fail "opencl" "${seg[@]}" --device opencl
fi
# An explicit --device overrides a (bad) EFQ_DEVICE.
EFQ_DEVICE=gpu7 "${seg[@]}" --device cpu
echo "device_selection passed"
