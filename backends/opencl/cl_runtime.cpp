// OpenCL discovery, error names and the shared per-device context and program.
#include "backends/opencl/cl_runtime.hpp"

#include <map>

#include "core/error.hpp"

namespace efq {

extern const char* const kOpenClKernelSource;  // ops.cl + solver.cl, generated at build time

namespace {

std::string device_string(cl_device_id d, cl_device_info what) {
  size_t n = 0;
  if (clGetDeviceInfo(d, what, 0, nullptr, &n) != CL_SUCCESS || n == 0) return "";
  std::string s(n, '\0');
  if (clGetDeviceInfo(d, what, n, s.data(), nullptr) != CL_SUCCESS) return "";
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string platform_string(cl_platform_id p, cl_platform_info what) {
  size_t n = 0;
  if (clGetPlatformInfo(p, what, 0, nullptr, &n) != CL_SUCCESS || n == 0) return "";
  std::string s(n, '\0');
  if (clGetPlatformInfo(p, what, n, s.data(), nullptr) != CL_SUCCESS) return "";
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

struct Discovery {
  std::vector<ClDeviceEntry> devices;
  std::string error;
};

Discovery discover() {
  Discovery out;
  cl_uint np = 0;
  cl_int err = clGetPlatformIDs(0, nullptr, &np);
  if (err != CL_SUCCESS || np == 0) {
    out.error = err == CL_SUCCESS || err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */
                    ? "no OpenCL platform is installed (no ICD under /etc/OpenCL/vendors; on "
                      "Debian: apt-get install pocl-opencl-icd)"
                    : "clGetPlatformIDs failed: " + cl_error_name(err);
    return out;
  }
  std::vector<cl_platform_id> platforms(np);
  clGetPlatformIDs(np, platforms.data(), nullptr);
  for (cl_platform_id p : platforms) {
    cl_uint nd = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &nd) != CL_SUCCESS || nd == 0) continue;
    std::vector<cl_device_id> ds(nd);
    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, nd, ds.data(), nullptr);
    for (cl_device_id d : ds) {
      ClDeviceEntry e;
      e.platform = p;
      e.device = d;
      e.name = device_string(d, CL_DEVICE_NAME);
      e.vendor = device_string(d, CL_DEVICE_VENDOR);
      e.version = device_string(d, CL_DEVICE_VERSION);
      e.driver = device_string(d, CL_DRIVER_VERSION);
      e.platform_name = platform_string(p, CL_PLATFORM_NAME);
      cl_ulong mem = 0;
      clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, nullptr);
      e.memory = mem;
      e.fp64 = device_string(d, CL_DEVICE_EXTENSIONS).find("cl_khr_fp64") != std::string::npos;
      out.devices.push_back(std::move(e));
    }
  }
  if (out.devices.empty()) out.error = "the OpenCL platforms found have no devices";
  return out;
}

}  // namespace

const std::vector<ClDeviceEntry>& opencl_devices(std::string* error) {
  static const Discovery d = discover();
  if (error) *error = d.error;
  return d.devices;
}

std::string cl_error_name(cl_int err) {
  switch (err) {
#define EFQ_CL_ERR(x) \
  case x: return #x;
    EFQ_CL_ERR(CL_SUCCESS)
    EFQ_CL_ERR(CL_DEVICE_NOT_FOUND)
    EFQ_CL_ERR(CL_DEVICE_NOT_AVAILABLE)
    EFQ_CL_ERR(CL_COMPILER_NOT_AVAILABLE)
    EFQ_CL_ERR(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    EFQ_CL_ERR(CL_OUT_OF_RESOURCES)
    EFQ_CL_ERR(CL_OUT_OF_HOST_MEMORY)
    EFQ_CL_ERR(CL_BUILD_PROGRAM_FAILURE)
    EFQ_CL_ERR(CL_INVALID_VALUE)
    EFQ_CL_ERR(CL_INVALID_DEVICE)
    EFQ_CL_ERR(CL_INVALID_CONTEXT)
    EFQ_CL_ERR(CL_INVALID_COMMAND_QUEUE)
    EFQ_CL_ERR(CL_INVALID_MEM_OBJECT)
    EFQ_CL_ERR(CL_INVALID_BINARY)
    EFQ_CL_ERR(CL_INVALID_BUILD_OPTIONS)
    EFQ_CL_ERR(CL_INVALID_PROGRAM)
    EFQ_CL_ERR(CL_INVALID_PROGRAM_EXECUTABLE)
    EFQ_CL_ERR(CL_INVALID_KERNEL_NAME)
    EFQ_CL_ERR(CL_INVALID_KERNEL)
    EFQ_CL_ERR(CL_INVALID_ARG_INDEX)
    EFQ_CL_ERR(CL_INVALID_ARG_VALUE)
    EFQ_CL_ERR(CL_INVALID_ARG_SIZE)
    EFQ_CL_ERR(CL_INVALID_KERNEL_ARGS)
    EFQ_CL_ERR(CL_INVALID_WORK_DIMENSION)
    EFQ_CL_ERR(CL_INVALID_WORK_GROUP_SIZE)
    EFQ_CL_ERR(CL_INVALID_WORK_ITEM_SIZE)
    EFQ_CL_ERR(CL_INVALID_GLOBAL_OFFSET)
    EFQ_CL_ERR(CL_INVALID_BUFFER_SIZE)
    EFQ_CL_ERR(CL_INVALID_GLOBAL_WORK_SIZE)
    EFQ_CL_ERR(CL_INVALID_OPERATION)
#undef EFQ_CL_ERR
    default: return "OpenCL error " + std::to_string(err);
  }
}

void cl_check(cl_int err, const std::string& what, const std::string& device) {
  if (err == CL_SUCCESS) return;
  fail(err == CL_OUT_OF_HOST_MEMORY || err == CL_MEM_OBJECT_ALLOCATION_FAILURE
           ? ErrorCode::kOutOfMemory
           : ErrorCode::kBackend,
       "OpenCL " + what + " failed: " + cl_error_name(err) + " (" + std::to_string(err) + ")" +
           (device.empty() ? "" : " on " + device));
}

ClShared::~ClShared() {
  if (program) clReleaseProgram(program);
  if (context) clReleaseContext(context);
}

std::shared_ptr<ClShared> opencl_shared(int index) {
  std::string why;
  const auto& devices = opencl_devices(&why);
  if (index < 0 || index >= static_cast<int>(devices.size()))
    fail(ErrorCode::kUnsupported,
         "device 'opencl:" + std::to_string(index) + "' does not exist (" +
             (devices.empty() ? why : std::to_string(devices.size()) + " OpenCL device(s) found") +
             ")");
  static std::mutex mu;
  static std::map<int, std::weak_ptr<ClShared>> live;
  std::lock_guard<std::mutex> lock(mu);
  if (auto s = live[index].lock()) return s;
  auto s = std::make_shared<ClShared>();
  s->index = index;
  s->entry = devices[index];
  const std::string where = "opencl:" + std::to_string(index) + " (" + s->entry.name + ")";
  cl_int err = CL_SUCCESS;
  cl_context_properties props[] = {CL_CONTEXT_PLATFORM,
                                   reinterpret_cast<cl_context_properties>(s->entry.platform), 0};
  s->context = clCreateContext(props, 1, &s->entry.device, nullptr, nullptr, &err);
  cl_check(err, "clCreateContext", where);
  const char* src = kOpenClKernelSource;
  s->program = clCreateProgramWithSource(s->context, 1, &src, nullptr, &err);
  cl_check(err, "clCreateProgramWithSource", where);
  const std::string options = std::string("-cl-std=CL1.2") + (s->entry.fp64 ? " -DEFQ_FP64" : "");
  err = clBuildProgram(s->program, 1, &s->entry.device, options.c_str(), nullptr, nullptr);
  if (err != CL_SUCCESS) {
    size_t n = 0;
    clGetProgramBuildInfo(s->program, s->entry.device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &n);
    std::string log(n, '\0');
    clGetProgramBuildInfo(s->program, s->entry.device, CL_PROGRAM_BUILD_LOG, n, log.data(), nullptr);
    while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
    fail(ErrorCode::kBackend, "OpenCL program build (kernels ops.cl, solver.cl) failed on " +
                                  where + ": " + cl_error_name(err) + "; build log:\n" + log);
  }
  live[index] = s;
  return s;
}

cl_mem ClBuffer::ensure(cl_context ctx, size_t bytes, const std::string& what) {
  bytes = bytes < 4 ? 4 : bytes;
  if (mem_ && bytes_ >= bytes) return mem_;
  release();
  cl_int err = CL_SUCCESS;
  mem_ = clCreateBuffer(ctx, CL_MEM_READ_WRITE, bytes, nullptr, &err);
  cl_check(err, "clCreateBuffer(" + std::to_string(bytes) + " bytes for " + what + ")");
  bytes_ = bytes;
  return mem_;
}

}  // namespace efq
