# Sourced by test scripts: `skip REASON` reports the test as SKIPPED (exit 77, ctest's
# SKIP_RETURN_CODE for the shell tests) with the reason; with CI set in the environment a skip
# is a failure (exit 1), so a CI machine missing a tool fails instead of passing quietly.
skip() {
  echo "SKIPPED: $*"
  if [ -n "${CI:-}" ]; then
    echo "CI is set: a skipped test counts as a failure"
    exit 1
  fi
  exit 77
}
