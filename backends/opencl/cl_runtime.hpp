// OpenCL plumbing of the OpenCL backend: device discovery, error names, the per-process shared
// context and program of each device, and owning handles for buffers.
#pragma once

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace efq {

/// One OpenCL device as discovery found it (platforms in order, then their devices in order;
/// `opencl:N` names the Nth).
struct ClDeviceEntry {
  cl_platform_id platform = nullptr;
  cl_device_id device = nullptr;
  std::string name, vendor, platform_name, version, driver;
  uint64_t memory = 0;  // CL_DEVICE_GLOBAL_MEM_SIZE
  bool fp64 = false;    // cl_khr_fp64 (double accumulators and the double GEMM)
};

/// Every OpenCL device of every platform, discovered once per process (empty without an ICD or
/// platform). `error` receives why the list is empty, when it is.
const std::vector<ClDeviceEntry>& opencl_devices(std::string* error = nullptr);

/// "CL_OUT_OF_RESOURCES" etc. for an OpenCL error code.
std::string cl_error_name(cl_int err);

/// Throws Error(kBackend) "OpenCL <what> failed: <name> (<code>) on <device>" unless err == 0.
void cl_check(cl_int err, const std::string& what, const std::string& device = "");

/// The context, program and device facts shared by every backend instance on one device in this
/// process (building the program costs seconds on PoCL; each instance has its own queue and
/// kernel objects, so instances may run on different threads).
struct ClShared {
  int index = 0;
  ClDeviceEntry entry;
  cl_context context = nullptr;
  cl_program program = nullptr;
  ~ClShared();
};

/// The shared state of device `index` (created and the program built on first use). Throws
/// kUnsupported for an index out of range and kBackend, with the build log, when the program
/// does not build.
std::shared_ptr<ClShared> opencl_shared(int index);

/// An owned device buffer that grows on demand (contents not preserved when it grows).
class ClBuffer {
 public:
  ClBuffer() = default;
  ~ClBuffer() { release(); }
  ClBuffer(const ClBuffer&) = delete;
  ClBuffer& operator=(const ClBuffer&) = delete;
  ClBuffer(ClBuffer&& o) noexcept : mem_(o.mem_), bytes_(o.bytes_) { o.mem_ = nullptr; o.bytes_ = 0; }
  ClBuffer& operator=(ClBuffer&& o) noexcept {
    if (this != &o) {
      release();
      mem_ = o.mem_;
      bytes_ = o.bytes_;
      o.mem_ = nullptr;
      o.bytes_ = 0;
    }
    return *this;
  }
  /// Makes the buffer at least `bytes` long (at least 4 bytes); returns it.
  cl_mem ensure(cl_context ctx, size_t bytes, const std::string& what);
  cl_mem get() const { return mem_; }
  size_t bytes() const { return bytes_; }
  void release() {
    if (mem_) clReleaseMemObject(mem_);
    mem_ = nullptr;
    bytes_ = 0;
  }

 private:
  cl_mem mem_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace efq
