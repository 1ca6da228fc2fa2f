#!/usr/bin/env bash
# The sealed boundary (DESIGN §2, §5): no file under src/, capi/, include/ or tools/ includes a
# vendor header (oneDNN, Eigen, OpenMP, OpenCL, CLBlast, CBLAS/OpenBLAS, LAPACKE), uses an OpenMP
# pragma or calls the OpenMP runtime (omp_*); only backends/ (and tests/, as oracles) may.
# Usage: vendor_headers.sh ROOT   — exits 1 and lists each offending line, 0 when clean.
set -euo pipefail
root=${1:?usage: vendor_headers.sh SOURCE_ROOT}
patterns=(
  '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](dnnl|oneapi/dnnl|Eigen/|eigen3/|unsupported/Eigen|omp\.h|CL/|OpenCL/|clblast|cblas|openblas|lapacke)'
  '^[[:space:]]*#[[:space:]]*pragma[[:space:]]+omp'
  '_Pragma[[:space:]]*\([[:space:]]*"omp'
  '\bomp_[A-Za-z_]+[[:space:]]*\('
  '\b(dnnl|Eigen|clblast)::'
)
dirs=()
for d in src capi include tools; do [[ -d "$root/$d" ]] && dirs+=("$root/$d"); done
[[ ${#dirs[@]} -gt 0 ]] || { echo "no src/, capi/, include/ or tools/ under $root" >&2; exit 2; }
found=0
for p in "${patterns[@]}"; do
  if grep -rnE --include='*.c' --include='*.cc' --include='*.cpp' --include='*.h' \
       --include='*.hpp' --include='*.inc' "$p" "${dirs[@]}"; then
    found=1
  fi
done
if [[ $found -ne 0 ]]; then
  echo "FAIL: vendor headers, OpenMP pragmas and omp_* calls belong under backends/ only" >&2
  exit 1
fi
echo "ok: no vendor header, OpenMP pragma or omp_* call outside backends/ and tests/"
