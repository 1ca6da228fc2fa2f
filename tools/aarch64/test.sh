#!/usr/bin/env bash
# `make test-aarch64`: cross-builds libefficientq for 64-bit Arm Linux with Debian 12's cross
# toolchain and arm64 multiarch packages, then runs the unit, C99, ABI, C++-wrapper and CLI tests
# under qemu-user. Results and timings: docs/platforms.md.
#
# It changes this machine's apt set-up: it adds the dpkg architecture arm64 (dpkg
# --add-architecture arm64) and installs arm64 libraries next to the native ones. Only this target
# does that; `make build` / `make test` never do.
#
# Not run here: the C# and Java hosts (mono / the JVM would be amd64 processes loading an aarch64
# library), the onnxruntime comparisons (ort_agreement: onnxruntime is a PyPI wheel for the build
# machine), install_consumer (builds a consumer with the build machine's compiler), the OpenCL
# backend (off: -DEFQ_WITH_OPENCL=OFF) and the backend conformance suite (OpenCL only).
#
# Usage: tools/aarch64/test.sh [BUILD_DIR]   (default build-aarch64)
#   EFQ_AARCH64_JOBS   parallel compile jobs (default: nproc)
#   EFQ_AARCH64_TESTS  ctest -R regex of the tests to run (default below)
#   EFQ_AARCH64_EXCLUDE ctest -E regex of the tests left out (default below)
#   EFQ_AARCH64_TIMEOUT per-test timeout in seconds (default 3600)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-aarch64}
jobs=${EFQ_AARCH64_JOBS:-$(nproc)}
tests=${EFQ_AARCH64_TESTS:-'^(unit:|c: |abi: |cpp: |cli: )'}
exclude=${EFQ_AARCH64_EXCLUDE:-'example_csharp|example_java|ort_agreement|install_consumer|opencl_quantize'}
timeout=${EFQ_AARCH64_TIMEOUT:-3600}
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
apt_get() { DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 "$@"; }
start=$(date +%s)
stamp() { echo "== $(( $(date +%s) - start )) s: $*"; }

# 1. Packages. Build machine: the cross compiler, qemu-user, and the host tools (protoc must be
#    the same protobuf version as libprotobuf-dev:arm64; both are Debian 12's 3.21.12).
host_pkgs="crossbuild-essential-arm64 qemu-user cmake ninja-build pkg-config protobuf-compiler
  doctest-dev nlohmann-json3-dev libeigen3-dev libnifti2-dev mricron-data python3 python3-numpy
  python3-nibabel python3-onnx"
# arm64 libraries, installed next to the native ones. Three -dev packages cannot be (Debian 12):
#  - libnifti2-dev:arm64 is not Multi-Arch: same (apt would remove the native libnifti2-dev): its
#    runtime libnifti2-2:arm64 is installed, the headers are the native package's (same version);
#  - libdnnl-dev:arm64 ships a different /usr/include/oneapi/dnnl/dnnl_config.h (CPU/GPU runtime)
#    and libonnxifi:arm64 (a dependency of libonnx-dev:arm64) a different /usr/lib/libonnxifi.so:
#    dpkg refuses to overwrite the native files. Those packages are unpacked (dpkg-deb -x) into
#    $build/arm64-dev instead, never installed, and CMake is pointed there.
arm_pkgs="libdnnl2:arm64 libonnx1:arm64 libnifti2-2:arm64 libznz-dev:arm64
  libprotobuf-dev:arm64 libpng-dev:arm64 zlib1g-dev:arm64 libopenblas-dev:arm64
  liblapacke-dev:arm64"
unpacked_pkgs="libdnnl-dev:arm64 libdnnl2:arm64 libonnx-dev:arm64 libonnx1:arm64 libonnxifi:arm64"
stamp "packages"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "adding the dpkg architecture arm64"
  $sudo dpkg --add-architecture arm64
  apt_get update -qq
fi
missing=""
for p in $host_pkgs $arm_pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  apt_get update -qq
  # Never let the arm64 set-up remove a native package.
  if apt_get -s install --no-install-recommends $missing | grep '^Remv'; then
    echo "installing these would remove the packages above; stopping"; exit 1
  fi
  apt_get install -y -qq --no-install-recommends $missing
fi
protoc_v=$(protoc --version | awk '{print $2}')
libpb_v=$(dpkg-query -W -f='${Version}' libprotobuf-dev:arm64)
case "$libpb_v" in
  *"$protoc_v"*) ;;
  *) echo "protoc $protoc_v does not match libprotobuf-dev:arm64 $libpb_v"; exit 1 ;;
esac

dev="$PWD/$build/arm64-dev"
if [ ! -f "$dev/.unpacked" ]; then
  rm -rf "$dev" && mkdir -p "$dev/debs"
  (cd "$dev/debs" && apt-get download $unpacked_pkgs 2>&1 | { grep -v '^W: Download is performed unsandboxed' || true; })
  for deb in "$dev"/debs/*.deb; do dpkg-deb -x "$deb" "$dev"; done
  touch "$dev/.unpacked"
fi

# 2. Configure and build.
nifti2=$(ls /usr/lib/aarch64-linux-gnu/libnifti2.so.* | sort | head -1)
stamp "configure ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" -DEFQ_WITH_OPENCL=OFF \
  -DEFQ_DNNL_ROOT="$dev/usr" -DCMAKE_PREFIX_PATH="$dev/usr" \
  -DNIFTI2_LIBRARY="$nifti2" -DNIFTI_INCLUDE_DIR=/usr/include/nifti
stamp "build (-j $jobs)"
cmake --build "$build" -j "$jobs"
file -L "$build/libefficientq.so" | grep -q 'ARM aarch64' || { echo "not an aarch64 library"; exit 1; }
stamp "built"

# 3. Tests under qemu-user (ctest prefixes CMAKE_CROSSCOMPILING_EMULATOR; the shell tests run the
#    CLI and the C example through wrappers in $build/tests/emulated).
qemu-aarch64 --version | head -1
rc=0
(cd "$build" && ctest --output-on-failure -j "$jobs" -R "$tests" -E "$exclude" --timeout "$timeout") || rc=$?
stamp "tests done (ctest exit $rc)"
exit $rc
