#!/usr/bin/env bash
# The boundary check can fail: each forbidden construct, put in a scratch tree under each checked
# folder, must make vendor_headers.sh fail; the same lines under backends/ and tests/ must not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad_lines=(
  '#include <oneapi/dnnl/dnnl.hpp>' '#include <dnnl.h>' '#include <Eigen/Dense>' '#include <omp.h>'
  '#include <CL/cl.h>' '#include <clblast_c.h>' '#include <cblas.h>' '#include "lapacke.h"'
  '  #  pragma omp parallel for' 'int n = omp_get_max_threads();' '_Pragma("omp parallel")'
)
fails=0
for dir in src capi include tools; do
  for line in "${bad_lines[@]}"; do
    rm -rf "$tmp/tree" && mkdir -p "$tmp/tree/$dir/x"
    printf '// a file\n%s\n' "$line" > "$tmp/tree/$dir/x/bad.cpp"
    if bash "$here/vendor_headers.sh" "$tmp/tree" > /dev/null 2>&1; then
      echo "FAIL: not caught in $dir/: $line"
      fails=1
    fi
  done
done
rm -rf "$tmp/tree" && mkdir -p "$tmp/tree/src" "$tmp/tree/backends/cpu" "$tmp/tree/tests/unit"
echo '#include "core/tensor.hpp"' > "$tmp/tree/src/fine.cpp"
for line in "${bad_lines[@]}"; do
  echo "$line" >> "$tmp/tree/backends/cpu/ok.cpp"
  echo "$line" >> "$tmp/tree/tests/unit/ok.cpp"
done
if ! bash "$here/vendor_headers.sh" "$tmp/tree"; then
  echo "FAIL: flagged a clean src/ or vendor code under backends/ or tests/"
  fails=1
fi
[[ $fails -eq 0 ]] && echo "ok: every forbidden construct is caught, only outside backends/ and tests/"
exit $fails
