#!/usr/bin/env bash
# The conformance suite's method check can fail: with a copy of backend.hpp that declares one more
# Backend method (and one more AdmmSystem method), the suite must fail naming both.
set -euo pipefail
bin=${1:?conformance binary} header=${2:?backends/backend.hpp} tmp=${3:?scratch dir}
mkdir -p "$tmp"
"$bin" "$header" --methods-only  # the real header: every method has a case
sed -e 's|^  virtual void forget(const void\* key) = 0;|&\n  virtual void frobnicate(int) = 0;|' \
    -e 's|^  virtual double loss(|  virtual void rewind() = 0;\n&|' "$header" >"$tmp/backend.hpp"
grep -q frobnicate "$tmp/backend.hpp" && grep -q rewind "$tmp/backend.hpp" || { echo "could not inject"; exit 1; }
if out=$("$bin" "$tmp/backend.hpp" --methods-only); then
  echo "the suite passed with methods that have no case:"; echo "$out"; exit 1
fi
echo "$out"
grep -q "Backend::frobnicate has no conformance case" <<<"$out"
grep -q "AdmmSystem::rewind has no conformance case" <<<"$out"
echo "method coverage check passed"
