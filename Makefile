# Two commands do everything on a fresh Debian 12 machine (run as root, or with sudo available):
#   make demo   installs what the demo needs (DEMO_PACKAGES), builds the CLI, segments the bundled
#               brain MRI and prints Dice
#   make test   installs the rest (TEST_PACKAGES), builds everything, runs every test
#   make test-sanitize   the same tests (but the C#/Java hosts) in an ASan+UBSan build (build-sanitize/)
#   make test-tsan       the parallel-contexts test in a ThreadSanitizer build (build-tsan/)
#   make fuzz-smoke      each libFuzzer target for a few seconds (clang; build-fuzz/)
#   make test-aarch64    cross-build for 64-bit Arm and run the unit, C and CLI tests under qemu-user
#                        (build-aarch64/; adds the dpkg architecture arm64; docs/platforms.md)
BUILD ?= build
JOBS ?= $(shell nproc)
# What `make demo` needs: the compilers, the library's build dependencies (as `make build` builds
# it, OpenCL backend included) and the demo's calibration scan (mricron-data).
DEMO_PACKAGES := cmake g++ make ninja-build pkg-config libdnnl-dev ocl-icd-opencl-dev opencl-headers \
  libclblast-dev libeigen3-dev libopenblas-dev liblapacke-dev libnifti2-dev libonnx-dev \
  libprotobuf-dev protobuf-compiler nlohmann-json3-dev zlib1g-dev libpng-dev mricron-data
# What only the tests need: doctest, an OpenCL device on the CPU (PoCL), the C# and Java hosts,
# Python with numpy/nibabel/onnx (independent checks; the onnxruntime venv), nm/objdump, GNU time,
# clang for the fuzz targets.
TEST_PACKAGES := doctest-dev pocl-opencl-icd python3 python3-venv binutils default-jdk-headless \
  libjna-java mono-devel python3-numpy python3-nibabel python3-onnx time clang libclang-rt-14-dev
DEB_PACKAGES := $(DEMO_PACKAGES) $(TEST_PACKAGES)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CLI := $(BUILD)/efficientq

SAN_BUILD ?= build-sanitize
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 3
PY := /usr/bin/python3
# The set-up step for the independent runtime (DESIGN section 7): onnxruntime from PyPI into a
# virtual environment, made here, before ctest runs; tests never reach the network and report
# SKIPPED (exit 77; a failure when CI is set) when the venv is missing.
VENV_OK := $(BUILD)/venv/.efq-venv-ok

.PHONY: all deps deps-demo configure build test demo clean venv test-sanitize test-tsan fuzz-smoke test-aarch64
all: build

# Installs the Debian packages of $(1) that are missing.
define install_missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_missing,$(DEB_PACKAGES))

deps-demo:
	$(call install_missing,$(DEMO_PACKAGES))

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

configure: deps $(BUILD)/CMakeCache.txt

# A build folder that `make demo` configured without tests gets them back here.
build: configure
	@if grep -q '^EFQ_BUILD_TESTS:BOOL=OFF' $(BUILD)/CMakeCache.txt; then \
	  cmake -S . -B $(BUILD) -DEFQ_BUILD_TESTS=ON; fi
	cmake --build $(BUILD) -j $(JOBS)

$(VENV_OK):
	rm -rf $(BUILD)/venv
	$(PY) -m venv $(BUILD)/venv
	$(BUILD)/venv/bin/pip install -q onnxruntime onnx numpy
	touch $@

venv: $(VENV_OK)

test: build venv
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@if command -v clang++ >/dev/null; then $(MAKE) --no-print-directory fuzz-smoke; \
	  else echo "fuzz-smoke SKIPPED: clang++ is not installed"; [ -z "$$CI" ]; fi

# ASan + UBSan (any report fails the test; LeakSanitizer is on, tests/sanitize/lsan.supp lists the
# suppressions). Excluded: the C# and Java hosts (mono and the JVM would need the ASan runtime
# preloaded) and install_consumer (it builds an uninstrumented consumer against the installed
# library: "ASan runtime does not come first in initial library list"; it checks packaging, not
# memory). For .ci/run's 30-minute budget also determinism, ort_agreement and quantize_brain: under
# ASan they took 648, 1080 and 499 s (loaded machine) repeating whole quantizations whose code
# example_c, other_architectures and the C tests already run instrumented (`make
# test-sanitize SAN_EXCLUDE='example_csharp|example_java|install_consumer'` runs them too).
# The venv is shared with $(BUILD).
# Also for time: test_signal_storm, opencl_quantize, weight_grid, fidelity and sensitivity (whole
# quantizations of the bundled models again, several each; their code paths run instrumented in
# the C tests, example_c, other_architectures and hostile_corpus).
SAN_EXCLUDE ?= example_csharp|example_java|install_consumer|determinism|ort_agreement|quantize_brain|test_signal_storm|opencl_quantize|weight_grid|fidelity|sensitivity|budget
SAN_ENV := ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1:abort_on_error=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitize/lsan.supp:print_suppressions=0
test-sanitize: deps venv
	cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEFQ_SANITIZE=address,undefined
	cmake --build $(SAN_BUILD) -j $(JOBS)
	ln -sfn $(CURDIR)/$(BUILD)/venv $(SAN_BUILD)/venv
	cd $(SAN_BUILD) && $(SAN_ENV) ctest --output-on-failure -j $(JOBS) -E '$(SAN_EXCLUDE)'

# ThreadSanitizer: separate contexts quantizing and segmenting from several threads at once
# (tests/c/test_parallel_contexts.c), one library thread per call (OpenMP and oneDNN are not
# instrumented; with one thread per call their teams stay on the calling thread, and the run is
# clean without suppressions). Not in .ci/run: its Debug build takes 8.5 min of wall time here.
# Parallel rounds of test_parallel_contexts under TSan (the Release test runs 8; TSan is ~10x slower).
TSAN_ROUNDS ?= 2
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEFQ_SANITIZE=thread
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target test_parallel_contexts
	mkdir -p $(TSAN_BUILD)/tests/tmp
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  $(TSAN_BUILD)/tests/test_parallel_contexts $(CURDIR) $(CURDIR)/$(TSAN_BUILD)/tests $(TSAN_ROUNDS)

# libFuzzer targets (tests/fuzz/, clang): each runs FUZZ_SECONDS on its seed corpus.
fuzz-smoke:
	CC=clang CXX=clang++ cmake -S tests/fuzz -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# 64-bit Arm Linux: Debian's cross toolchain + arm64 multiarch packages, tests under qemu-user
# (tools/aarch64/test.sh). Only this target adds the dpkg architecture arm64 to the machine.
# Not in .ci/run: the tests under qemu take hours (docs/platforms.md).
AARCH64_BUILD ?= build-aarch64
test-aarch64:
	EFQ_AARCH64_JOBS=$(JOBS) bash tools/aarch64/test.sh $(AARCH64_BUILD)


# Only the demo's packages and the CLI (and the library it links); the tests are not configured
# unless the build folder already has them.
demo: deps-demo
	@[ -f $(BUILD)/CMakeCache.txt ] || \
	  cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DEFQ_BUILD_TESTS=OFF
	cmake --build $(BUILD) -j $(JOBS) --target efficientq_cli
	bash tools/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD) $(AARCH64_BUILD)
