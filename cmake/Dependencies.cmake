# Every third-party dependency, found once. All come from Debian 12 packages (see README).
# oneDNN: Debian's libdnnl-dev (2.x) by default; EFQ_DNNL_ROOT points at another install prefix
# (one with lib/cmake/dnnl/dnnl-config.cmake, e.g. oneDNN 3.x; docs/platforms.md). The CPU backend
# compiles against 2.x and 3.x (backends/cpu/dnnl_compat.hpp).
set(EFQ_DNNL_ROOT "" CACHE PATH "Install prefix of the oneDNN to use (empty: the system's)")
if(EFQ_DNNL_ROOT)
  find_package(dnnl CONFIG REQUIRED PATHS "${EFQ_DNNL_ROOT}" NO_DEFAULT_PATH)
else()
  find_package(dnnl CONFIG REQUIRED)        # libdnnl-dev; its config needs OpenCL (ocl-icd-opencl-dev)
endif()
message(STATUS "oneDNN ${dnnl_VERSION} (${dnnl_DIR})")
find_package(Eigen3 3.4 CONFIG REQUIRED NO_MODULE)
find_package(Protobuf REQUIRED)             # must precede ONNX
find_package(ONNX CONFIG REQUIRED)          # targets onnx, onnx_proto
find_package(nlohmann_json 3 CONFIG REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PNG REQUIRED)                  # libpng-dev: `efficientq overlay` slices
find_package(OpenMP REQUIRED)
# The OpenCL backend (backends/opencl): OpenCL itself is always present (oneDNN's config needs it);
# CLBlast (libclblast-dev) decides the default. PoCL (pocl-opencl-icd) gives a CPU device to test on.
find_package(OpenCL)                         # required below when the backend is on
find_package(CLBlast CONFIG QUIET)           # imported target `clblast`
option(EFQ_WITH_OPENCL "Build the OpenCL backend (OpenCL + CLBlast)" ${CLBlast_FOUND})
if(EFQ_WITH_OPENCL AND NOT OpenCL_FOUND)
  message(FATAL_ERROR "EFQ_WITH_OPENCL is ON but OpenCL was not found (Debian: ocl-icd-opencl-dev)")
endif()
if(EFQ_WITH_OPENCL AND NOT CLBlast_FOUND)
  message(FATAL_ERROR "EFQ_WITH_OPENCL is ON but CLBlast was not found (Debian: libclblast-dev); "
                      "install it or configure with -DEFQ_WITH_OPENCL=OFF")
endif()
set(EFQ_CLBLAST_VERSION "unknown")  # CLBlast's CMake config has no version file; pkg-config does
find_package(PkgConfig QUIET)
if(EFQ_WITH_OPENCL AND PkgConfig_FOUND)
  pkg_check_modules(EFQ_CLBLAST_PC QUIET clblast)
  if(EFQ_CLBLAST_PC_VERSION)
    set(EFQ_CLBLAST_VERSION "${EFQ_CLBLAST_PC_VERSION}")
  endif()
endif()
message(STATUS "OpenCL backend (EFQ_WITH_OPENCL): ${EFQ_WITH_OPENCL}, CLBlast ${EFQ_CLBLAST_VERSION}")
# libnifti2-dev ships a broken CMake config (wrong library paths): find the pieces by hand.
find_path(NIFTI_INCLUDE_DIR nifti2_io.h PATH_SUFFIXES nifti REQUIRED)
find_library(NIFTI2_LIBRARY nifti2 REQUIRED)
find_library(ZNZ_LIBRARY znz REQUIRED)
# The layer solver's once-per-ρ factorization (LAPACK dpotrf/dpotri, double) and a few double
# products: libopenblas-dev + liblapacke-dev (OpenBLAS's threaded LAPACK behind LAPACKE).
find_library(OPENBLAS_LIBRARY openblas REQUIRED)
find_library(LAPACKE_LIBRARY lapacke REQUIRED)
find_path(LAPACKE_INCLUDE_DIR lapacke.h REQUIRED)
find_path(OPENBLAS_INCLUDE_DIR cblas.h REQUIRED
  PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread NO_DEFAULT_PATH)

# Debian's mricron-data (the brain MRI and atlases the tests and the demo read). The tests take it
# from here (compiled in, and EFQ_MRICRON_DIR in their environment); at run time the environment
# variable EFQ_MRICRON_DIR overrides it.
set(EFQ_MRICRON_DIR_INIT "/usr/share/mricron")
if(DEFINED ENV{EFQ_MRICRON_DIR} AND NOT "$ENV{EFQ_MRICRON_DIR}" STREQUAL "")
  set(EFQ_MRICRON_DIR_INIT "$ENV{EFQ_MRICRON_DIR}")
endif()
set(EFQ_MRICRON_DIR "${EFQ_MRICRON_DIR_INIT}" CACHE PATH "mricron-data's folder (has templates/)")
