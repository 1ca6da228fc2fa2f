# Cross build for 64-bit Arm Linux with Debian's cross toolchain (crossbuild-essential-arm64) and
# arm64 multiarch packages (dpkg --add-architecture arm64; libdnnl-dev:arm64 ...), as
# tools/aarch64/test.sh (`make test-aarch64`) sets them up:
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DEFQ_WITH_OPENCL=OFF
# Libraries and CMake packages come from /usr/lib/aarch64-linux-gnu (CMAKE_LIBRARY_ARCHITECTURE,
# which CMake derives from the cross compiler); headers from /usr/include; programs (protoc, the
# protobuf compiler, of the same version as libprotobuf-dev:arm64) from the build machine.
# ctest runs the test binaries through qemu-user (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# qemu-user; -L: the cross toolchain's folder holds the aarch64 dynamic loader and libc
# (libc6-arm64-cross), the multiarch libraries are found at their usual paths.
# -E OPENBLAS_NUM_THREADS=1: under Debian 12's qemu-user 7.2, arm64 OpenBLAS (pthread variant)
# never returns from its load-time initialisation when it starts more than one thread (a plain
# `int main(){}` linked with -lopenblas hangs; with OPENBLAS_NUM_THREADS=1 it runs in 0.07 s).
# The library's results do not depend on OpenBLAS's thread count.
# -E OMP_WAIT_POLICY=PASSIVE: idle OpenMP workers sleep instead of spinning (emulated spinning
# costs the working thread its CPU), as the CLI does for itself; results do not depend on it.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -E OPENBLAS_NUM_THREADS=1 -E OMP_WAIT_POLICY=PASSIVE
    -L /usr/aarch64-linux-gnu)
