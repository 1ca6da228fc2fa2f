#!/usr/bin/env bash
# Runs every libFuzzer target of BUILD_DIR for SECONDS each on its seed corpus (tests/fuzz/corpus/
# TARGET, read-only: new inputs go to a scratch folder) and the regression files (tests/fuzz/
# regressions/TARGET, every past finding). Prints one summary line per target:
#   TARGET: N runs in S s, coverage C edges, F features, corpus K inputs
# and exits non-zero on a finding (the crashing input is kept as BUILD_DIR/findings/TARGET-*).
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
set -u
build=${1:?build dir} seconds=${2:?seconds}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=${*:-fuzz_onnx fuzz_efq fuzz_nifti fuzz_json}
mkdir -p "$build/findings" "$build/logs"
status=0
for t in $targets; do
  seeds="$here/corpus/$t" regress="$here/regressions/$t" scratch="$build/scratch/$t"
  mkdir -p "$scratch" "$regress"
  # Every past finding first, on its own: each must now run clean.
  if ls "$regress"/* >/dev/null 2>&1; then
    "$build/$t" -rss_limit_mb=2048 "$regress"/* >"$build/logs/$t.regress.log" 2>&1 ||
      { echo "$t: a regression input fails again (see $build/logs/$t.regress.log)"; status=1; continue; }
  fi
  "$build/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -artifact_prefix="$build/findings/$t-" -print_final_stats=1 "$scratch" "$seeds" \
    >"$build/logs/$t.log" 2>&1
  rc=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$build/logs/$t.log" | grep -oE '[0-9]+$')
  cov=$(grep -oE 'cov: [0-9]+' "$build/logs/$t.log" | tail -1 | grep -oE '[0-9]+')
  ft=$(grep -oE 'ft: [0-9]+' "$build/logs/$t.log" | tail -1 | grep -oE '[0-9]+')
  corp=$(grep -oE 'corp: [0-9]+' "$build/logs/$t.log" | tail -1 | grep -oE '[0-9]+')
  echo "$t: ${runs:-?} runs in $seconds s, coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?} inputs, exit $rc"
  if [ $rc -ne 0 ]; then
    echo "$t: FINDING (see $build/logs/$t.log):"; grep -E 'ERROR|FINDING|SUMMARY' "$build/logs/$t.log" | head -5
    status=1
  fi
done
exit $status
