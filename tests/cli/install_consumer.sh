#!/usr/bin/env bash
# The installed package is usable by a third party: `cmake --install` into a fresh prefix, then a
# tiny C program is built against it twice — with CMake find_package(efficientq) and with
# pkg-config — and run: it prints the version and loads a fixture network through the C ABI.
# Neither build may need oneDNN, ONNX, protobuf, ... (the library links them privately).
set -euo pipefail
cli=${EFQ_CLI:?} src=${EFQ_SRC:?} tmp=${EFQ_TMP:?}
build=$(dirname "$cli")
rm -rf "$tmp" && mkdir -p "$tmp"
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"

for f in lib/libefficientq.so lib/libefficientq.so.0 include/efficientq/efficientq.h \
         include/efficientq/efficientq_experimental.h bin/efficientq \
         lib/cmake/efficientq/efficientqConfig.cmake \
         lib/cmake/efficientq/efficientqConfigVersion.cmake \
         lib/cmake/efficientq/efficientqTargets.cmake lib/pkgconfig/efficientq.pc; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
# The exported target must not drag in the build's internals or third-party targets.
if grep -E 'efq_core|DNNL|dnnl|onnx|protobuf|Eigen|nlohmann|OpenMP|INTERFACE_LINK_LIBRARIES' \
     "$prefix"/lib/cmake/efficientq/*.cmake; then
  echo "the exported target depends on internal or third-party targets"; exit 1
fi
# The installed CLI finds the installed library by itself (RPATH $ORIGIN/../lib).
"$prefix/bin/efficientq" --help >/dev/null

proj="$tmp/consumer"
mkdir -p "$proj"
cat >"$proj/consumer.c" <<'C'
#include <efficientq/efficientq.h>
#include <stdio.h>

int main(int argc, char** argv) {
  efq_context* ctx = NULL;
  efq_model* model = NULL;
  efq_model_info info;
  efq_status s;
  if (argc != 2) return 2;
  printf("libefficientq %s\n", efq_version_string());
  if (efq_version_number() != EFQ_VERSION_NUMBER) {
    fprintf(stderr, "header %d vs library %u\n", EFQ_VERSION_NUMBER, efq_version_number());
    return 1;
  }
  if ((s = efq_context_create(&ctx)) != EFQ_OK ||
      (s = efq_model_load_onnx(ctx, argv[1], &model)) != EFQ_OK) {
    fprintf(stderr, "%s: %s\n", efq_status_string(s), efq_last_error_message());
    efq_context_destroy(ctx);
    return 1;
  }
  info.struct_size = sizeof info;
  s = efq_model_get_info(model, &info);
  if (s != EFQ_OK || info.num_nodes <= 0 || info.num_quantizable <= 0 || info.num_parameters <= 0) {
    fprintf(stderr, "efq_model_get_info: %s %s\n", efq_status_string(s), efq_last_error_message());
    efq_model_destroy(model);
    efq_context_destroy(ctx);
    return 1;
  }
  printf("nodes %lld quantizable %lld parameters %lld\n", (long long)info.num_nodes,
         (long long)info.num_quantizable, (long long)info.num_parameters);
  efq_model_destroy(model);
  efq_context_destroy(ctx);
  return 0;
}
C
cat >"$proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(efq_consumer C)
find_package(efficientq 0.1 REQUIRED)
add_executable(consumer consumer.c)
set_target_properties(consumer PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_compile_options(consumer PRIVATE -Wall -Wextra -pedantic -Werror)
target_link_libraries(consumer PRIVATE efficientq::efficientq)
CM
fixture="$src/tests/data/fixtures/uresq.onnx"
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# 1. CMake package. A clean environment: only the prefix is searched (no build tree, no registry).
cmake -S "$proj" -B "$proj/build-cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF >"$tmp/cmake-configure.log"
cmake --build "$proj/build-cmake" >"$tmp/cmake-build.log"
grep -q "^efficientq_DIR:PATH=$prefix/lib/cmake/efficientq$" "$proj/build-cmake/CMakeCache.txt" ||
  { echo "find_package did not pick the installed package:"; grep efficientq_DIR "$proj/build-cmake/CMakeCache.txt"; exit 1; }
out=$("$proj/build-cmake/consumer" "$fixture")
echo "cmake consumer: $out"
grep -q "^libefficientq [0-9]*\.[0-9]*\.[0-9]*$" <<<"$out" || { echo "bad version line"; exit 1; }

# 2. pkg-config.
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs efficientq)
[ "$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --modversion efficientq)" = \
  "$(sed -n 's/^libefficientq //p' <<<"$out")" ] || { echo "pkg-config version mismatch"; exit 1; }
# shellcheck disable=SC2086
cc -std=c99 -Wall -Wextra -pedantic -Werror "$proj/consumer.c" -o "$proj/consumer-pc" $flags
out2=$("$proj/consumer-pc" "$fixture")
echo "pkg-config consumer: $out2"
[ "$out" = "$out2" ] || { echo "the two consumers disagree"; exit 1; }
# Both link the installed copy, not the build tree's.
# (ldd captured first: `ldd | grep -q` can fail on SIGPIPE under pipefail.)
for exe in "$proj/build-cmake/consumer" "$proj/consumer-pc"; do
  deps=$(ldd "$exe")
  grep -q "$prefix/lib/libefficientq.so.0" <<<"$deps" ||
    { echo "$exe does not use the installed library:"; echo "$deps"; exit 1; }
done
# 3. examples/c builds on its own against the installed package too.
cmake -S "$src/examples/c" -B "$tmp/example-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/example-configure.log"
cmake --build "$tmp/example-build" >"$tmp/example-build.log"
"$tmp/example-build/efq_example_quantize" >/dev/null 2>&1 && { echo "example without arguments succeeded"; exit 1; }
echo "install_consumer passed"
