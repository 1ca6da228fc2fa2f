# Two commands do everything on a fresh Debian 12 machine (run as root, or with sudo available):
#   make demo   installs what is missing, builds, segments the bundled brain MRI and prints Dice
#   make test   installs what is missing, builds, runs every test
BUILD ?= build
JOBS ?= $(shell nproc)
DEB_PACKAGES := cmake g++ make ninja-build pkg-config libdnnl-dev ocl-icd-opencl-dev opencl-headers \
  pocl-opencl-icd libclblast-dev \
  libeigen3-dev libopenblas-dev liblapacke-dev libnifti2-dev doctest-dev libonnx-dev libprotobuf-dev protobuf-compiler \
  nlohmann-json3-dev zlib1g-dev libpng-dev mricron-data python3 python3-venv binutils default-jdk-headless libjna-java mono-devel \
  python3-numpy python3-nibabel
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CLI := $(BUILD)/efficientq

.PHONY: all deps configure build test demo clean
all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends $$missing; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	bash tools/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD)
