#!/usr/bin/env bash
# ABI discipline: the shared library exports exactly the functions the public headers declare
# (all efq_*), and SONAME is the major version.
set -euo pipefail
lib=${EFQ_LIB:?} src=${EFQ_SRC:?}
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRW]$/ {print $3}' | sort -u)
declared=$(grep -hoE 'EFQ_API [^;]*\b(efq_[a-z0-9_]+)\(' "$src"/include/efficientq/*.h \
  | grep -oE 'efq_[a-z0-9_]+\($' | tr -d '(' | sort -u)
bad=$(echo "$exported" | grep -v '^efq_' || true)
[ -z "$bad" ] || { echo "non-efq symbols exported:"; echo "$bad"; exit 1; }
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
[ -z "$missing" ] || { echo "declared but not exported:"; echo "$missing"; exit 1; }
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
[ -z "$extra" ] || { echo "exported but not declared:"; echo "$extra"; exit 1; }
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[[ "$soname" =~ ^libefficientq\.so\.[0-9]+$ ]] || { echo "unexpected SONAME $soname"; exit 1; }
echo "ABI ok: $(echo "$declared" | wc -l) functions, SONAME $soname"
