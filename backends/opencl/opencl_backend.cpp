// The OpenCL backend's life cycle and device helpers: queue, kernels, scratch buffers, CLBlast.
#include "backends/opencl/opencl_backend.hpp"

#include <clblast.h>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/threads.hpp"
#include "core/error.hpp"

namespace efq {

OpenClBackend::OpenClBackend(int index, int threads)
    : sh_(opencl_shared(index)), threads_(threads > 0 ? threads : default_threads()),
      scratch_(kSlotCount), host_(std::make_unique<CpuBackend>(threads_)) {
  where_ = "opencl:" + std::to_string(index) + " (" + sh_->entry.name + ")";
  cl_int err = CL_SUCCESS;
  queue_ = clCreateCommandQueue(sh_->context, sh_->entry.device, 0, &err);
  cl_check(err, "clCreateCommandQueue", where_);
}

OpenClBackend::~OpenClBackend() {
  if (queue_) clFinish(queue_);
  for (auto& k : kernels_) clReleaseKernel(k.second);
  layers_.clear();
  scratch_.clear();
  if (queue_) clReleaseCommandQueue(queue_);
}

namespace {
// "OpenCL 3.0 PoCL ..." (CL_DEVICE_VERSION) without its fixed "OpenCL " prefix.
std::string version_of(const ClDeviceEntry& e) {
  return e.version.compare(0, 7, "OpenCL ") == 0 ? e.version.substr(7) : e.version;
}
}  // namespace

BackendInfo opencl_backend_info() {
  BackendInfo i;
  i.name = "opencl";
  std::string why;
  const auto& devices = opencl_devices(&why);
  for (size_t d = 0; d < devices.size(); ++d)
    i.devices.push_back("opencl:" + std::to_string(d) + " " + devices[d].name);
  i.threads = default_threads();
  std::string platform = devices.empty() ? "none: " + why : version_of(devices[0]);
  i.versions.emplace_back("OpenCL", platform);
  i.versions.emplace_back("CLBlast", EFQ_CLBLAST_VERSION);
  return i;
}

BackendInfo OpenClBackend::info() const {
  BackendInfo i = opencl_backend_info();
  i.devices = {"opencl:" + std::to_string(sh_->index) + " " + sh_->entry.name};
  i.threads = threads_;
  i.versions[0].second = version_of(sh_->entry);
  return i;
}

void OpenClBackend::parallel_for(int64_t n, int64_t grain, const RangeFn& fn) {
  host_->parallel_for(n, grain, fn);  // the core's host loops: host threads by definition
}

void OpenClBackend::forget(const void* key) { layers_.erase(key); }

cl_mem OpenClBackend::scratch(int slot, size_t bytes) {
  return scratch_.at(static_cast<size_t>(slot)).ensure(sh_->context, bytes,
                                                       "scratch slot " + std::to_string(slot));
}

void OpenClBackend::upload(cl_mem dst, const void* src, size_t bytes, size_t offset) {
  if (bytes == 0) return;
  cl_check(clEnqueueWriteBuffer(queue_, dst, CL_TRUE, offset, bytes, src, 0, nullptr, nullptr),
           "clEnqueueWriteBuffer(" + std::to_string(bytes) + " bytes)", where_);
}

void OpenClBackend::download(cl_mem src, void* dst, size_t bytes, size_t offset) {
  if (bytes == 0) return;
  cl_check(clEnqueueReadBuffer(queue_, src, CL_TRUE, offset, bytes, dst, 0, nullptr, nullptr),
           "clEnqueueReadBuffer(" + std::to_string(bytes) + " bytes)", where_);
}

void OpenClBackend::finish() { cl_check(clFinish(queue_), "clFinish", where_); }

cl_kernel OpenClBackend::kernel(const char* name) {
  auto it = kernels_.find(name);
  if (it != kernels_.end()) return it->second;
  cl_int err = CL_SUCCESS;
  cl_kernel k = clCreateKernel(sh_->program, name, &err);
  cl_check(err, std::string("clCreateKernel(") + name + ")", where_);
  kernels_[name] = k;
  return k;
}

void OpenClBackend::set_args(cl_kernel k, const char* name, std::initializer_list<KernelArg> args) {
  cl_uint i = 0;
  for (const KernelArg& a : args) {
    cl_check(clSetKernelArg(k, i, a.size, a.ptr),
             std::string("clSetKernelArg(") + name + ", argument " + std::to_string(i) + ")",
             where_);
    ++i;
  }
}

void OpenClBackend::launch(const char* name, size_t global, std::initializer_list<KernelArg> args) {
  if (global == 0) return;
  cl_kernel k = kernel(name);
  set_args(k, name, args);
  cl_check(clEnqueueNDRangeKernel(queue_, k, 1, nullptr, &global, nullptr, 0, nullptr, nullptr),
           std::string("clEnqueueNDRangeKernel(") + name + ")", where_);
}

void OpenClBackend::launch2(const char* name, size_t global0, size_t global1,
                            std::initializer_list<KernelArg> args) {
  if (global0 == 0 || global1 == 0) return;
  cl_kernel k = kernel(name);
  set_args(k, name, args);
  const size_t g[2] = {global0, global1};
  cl_check(clEnqueueNDRangeKernel(queue_, k, 2, nullptr, g, nullptr, 0, nullptr, nullptr),
           std::string("clEnqueueNDRangeKernel(") + name + ")", where_);
}

void OpenClBackend::launch_groups(const char* name, size_t groups,
                                  std::initializer_list<KernelArg> args) {
  if (groups == 0) return;
  cl_kernel k = kernel(name);
  set_args(k, name, args);
  const size_t local = kGroup, global = groups * kGroup;
  cl_check(clEnqueueNDRangeKernel(queue_, k, 1, nullptr, &global, &local, 0, nullptr, nullptr),
           std::string("clEnqueueNDRangeKernel(") + name + ")", where_);
}

namespace {

void clblast_check(clblast::StatusCode s, const std::string& what, const std::string& where) {
  if (s == clblast::StatusCode::kSuccess) return;
  const int code = static_cast<int>(s);
  fail(code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_HOST_MEMORY
           ? ErrorCode::kOutOfMemory
           : ErrorCode::kBackend,
       "CLBlast " + what + " failed with status " + std::to_string(code) +
           (code < 0 && code > -100 ? " (" + cl_error_name(code) + ")" : "") + " on " + where);
}

}  // namespace

void OpenClBackend::sgemm(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, cl_mem a,
                          size_t aoff, size_t lda, cl_mem b, size_t boff, size_t ldb, float beta,
                          cl_mem c, size_t coff, size_t ldc) {
  if (m == 0 || n == 0) return;
  using clblast::Transpose;
  clblast_check(clblast::Gemm<float>(clblast::Layout::kRowMajor, ta ? Transpose::kYes : Transpose::kNo,
                                     tb ? Transpose::kYes : Transpose::kNo, m, n, k, alpha, a, aoff,
                                     lda, b, boff, ldb, beta, c, coff, ldc, &queue_),
                "SGEMM " + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k),
                where_);
}

void OpenClBackend::dgemm(size_t m, size_t n, size_t k, cl_mem a, size_t lda, cl_mem b, size_t ldb,
                          cl_mem c, size_t ldc) {
  using clblast::Transpose;
  clblast_check(clblast::Gemm<double>(clblast::Layout::kRowMajor, Transpose::kNo, Transpose::kNo, m,
                                      n, k, 1.0, a, 0, lda, b, 0, ldb, 0.0, c, 0, ldc, &queue_),
                "DGEMM " + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k),
                where_);
}

}  // namespace efq
