#!/usr/bin/env bash
# examples/java (the JNA host) end to end, checked against the efficientq CLI: on the bundled brain
# model and the real Colin27 scan, W8A8 with 20 ADMM iterations, the host's QDQ file is byte for
# byte the CLI's, its two Dice lines are the CLI report's FP32 and quantized mean foreground Dice,
# progress lines are reported, bad arguments exit 2 and a missing model exits 1 with the library's
# message and no output. Then BindingsTest.java checks the bindings themselves (pinned enum values
# against the header, statuses mapped into exceptions, listener exceptions, handle lifetime).
# Java (JDK 17) and JNA are required: without them this test fails, saying what is missing.
set -euo pipefail
cli=${EFQ_CLI:?} lib=${EFQ_LIB:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
jar=${EFQ_EXAMPLE_JAR:?} tests_jar=${EFQ_JAVA_TESTS_JAR:?} java=${JAVA:-} jna=${JNA_JAR:-}
fail() { echo "example_java: $*" >&2; exit 1; }
[ -x "$java" ] || fail "no Java runtime (JAVA='$java'): install a JDK 17 (Debian: default-jdk-headless) and reconfigure"
[ -f "$jna" ] || fail "no JNA (JNA_JAR='$jna'): install it (Debian: libjna-java) and reconfigure"
[ -f "$jar" ] && [ -f "$tests_jar" ] || fail "the Java example is not built ($jar, $tests_jar)"
rm -rf "$tmp" && mkdir -p "$tmp"
# Before the JVM starts: it loads libgomp with the library, which reads this once.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
host() { "$java" -Djna.library.path="$(dirname "$lib")" -cp "$jar:$jna" org.efficientq.example.Quantize "$@"; }
calib=${EFQ_MRICRON_DIR:?}/templates/ch2better.nii.gz

# The CLI's run of the same quantization, alongside the host's.
"$cli" quantize "$src/models/brain.onnx" --calib "$calib" -o "$tmp/cli.onnx" --wbits 8 --abits 8 \
  --iters 20 --eval "$src/tests/data/brain" --json "$tmp/cli.json" >"$tmp/cli.txt" 2>&1 &
cli_pid=$!
host_rc=0
host "$src/models/brain.onnx" "$calib" "$src/tests/data/brain" "$tmp/java.onnx" 8 8 20 \
  >"$tmp/stdout.txt" 2>"$tmp/stderr.txt" || host_rc=$?
wait "$cli_pid" || { cat "$tmp/cli.txt"; fail "the CLI failed"; }
[ "$host_rc" = 0 ] || { cat "$tmp/stdout.txt" "$tmp/stderr.txt"; fail "the Java host exited $host_rc"; }
cat "$tmp/stdout.txt"

# (a) The same QDQ model as the CLI's, byte for byte.
[ -s "$tmp/java.onnx" ] || fail "no QDQ model written"
cmp "$tmp/java.onnx" "$tmp/cli.onnx" || fail "the host's QDQ model differs from the CLI's"
# (b) The same Dice as the CLI's report (evaluation.fp32 / .quantized .mean_foreground_dice).
python3 - "$tmp/cli.json" "$tmp/stdout.txt" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["evaluation"]
want = [f"FP32 mean foreground Dice: {ev['fp32']['mean_foreground_dice']:.4f}",
        f"quantized mean foreground Dice: {ev['quantized']['mean_foreground_dice']:.4f}"]
got = [l.rstrip("\n") for l in open(sys.argv[2]) if "mean foreground Dice" in l]
assert got == want, f"Dice lines {got} are not the CLI's {want}"
PY
# (c) Progress lines on stderr, for the quantization and both evaluations.
grep -q '^  \[quantize\] [0-9]*/16 ' "$tmp/stderr.txt" || fail "no quantize progress reported"
[ "$(grep -c '^  \[evaluate\] ' "$tmp/stderr.txt")" -ge 2 ] || fail "no evaluate progress reported"

# (d) Bad arguments exit 2 with a usage line; a missing model exits 1 with the library's message
# and writes nothing.
rc=0; host a b c d 9 8 >/dev/null 2>"$tmp/err1.txt" || rc=$?
[ "$rc" = 2 ] || fail "WBITS 9: exit $rc, expected 2"
grep -q "WBITS" "$tmp/err1.txt" || fail "no WBITS message"
rc=0; host a b c >/dev/null 2>"$tmp/err1b.txt" || rc=$?
[ "$rc" = 2 ] && grep -q "^usage: " "$tmp/err1b.txt" || fail "3 arguments: exit $rc, expected 2"
rc=0
host "$tmp/missing.onnx" "$calib" "$src/tests/data/brain" "$tmp/x.onnx" 8 8 >/dev/null \
  2>"$tmp/err2.txt" || rc=$?
[ "$rc" = 1 ] || { cat "$tmp/err2.txt"; fail "a missing model: exit $rc, expected 1"; }
grep -q "^error: loading the model: I/O error (.*missing.onnx" "$tmp/err2.txt" ||
  { cat "$tmp/err2.txt"; fail "unexpected error output"; }
[ ! -e "$tmp/x.onnx" ] || fail "output written after a failure"

# (e) The bindings: statuses carried by exceptions, pinned values, listeners, lifetimes.
"$java" -Djna.library.path="$(dirname "$lib")" -cp "$tests_jar:$jar:$jna" \
  org.efficientq.test.BindingsTest "$src" "$tmp/bindings"
echo "example_java passed"
