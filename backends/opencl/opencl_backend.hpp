// The OpenCL backend (DESIGN §5): own kernels (kernels/*.cl, embedded at build time) for the
// memory-bound operations, 3-D im2col, the solver's projection-to-codes and reductions; CLBlast
// for the GEMMs. Tensors at the Backend interface are host tensors: each call uploads its inputs
// and reads its result back; layer weights stay on the device per key, and one layer's ADMM
// matrices stay on the device for all its iterations (admm_system.cpp).
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "backends/opencl/cl_runtime.hpp"

namespace efq {

class CpuBackend;

/// A kernel argument: its size and address (the value is copied by clSetKernelArg).
struct KernelArg {
  size_t size;
  const void* ptr;
};
template <typename T>
KernelArg karg(const T& v) {
  return {sizeof(T), &v};
}

class OpenClBackend final : public Backend {
 public:
  /// Device `index` of opencl_devices(); `threads` is the host's (parallel_for, the host half of
  /// the solver), <= 0 = default.
  OpenClBackend(int index, int threads);
  ~OpenClBackend() override;

  std::string name() const override { return "opencl"; }
  BackendInfo info() const override;
  void parallel_for(int64_t n, int64_t grain, const RangeFn& fn) override;
  void conv(const void* key, const WindowParams& p, const Tensor& x, const Tensor& w,
            const Tensor* b, Tensor& y) override;
  void conv_transpose(const void* key, const WindowParams& p, const Tensor& x, const Tensor& w,
                      const Tensor* b, Tensor& y) override;
  void conv_int8(const void* key, const WindowParams& p, const Tensor& x, const Int8Conv& w,
                 Tensor& y) override;
  void pool(PoolKind kind, const WindowParams& p, const Tensor& x, Tensor& y) override;
  void unary(UnaryKind kind, float alpha, float beta, const Tensor& x, Tensor& y) override;
  void binary(BinaryKind kind, const Tensor& a, const Tensor& b, Tensor& y) override;
  void prelu(const Tensor& x, const Tensor& slope, Tensor& y) override;
  void channel_affine(const Tensor& x, const std::vector<float>& scale,
                      const std::vector<float>& shift, Tensor& y) override;
  void instance_norm(const Tensor& x, const Tensor& scale, const Tensor& bias, float eps,
                     Tensor& y) override;
  void softmax(const Tensor& x, int64_t axis, Tensor& y) override;
  void resize(const ResizeParams& p, const Tensor& x, const Shape& out_shape, Tensor& y) override;
  void concat(const std::vector<const Tensor*>& xs, int64_t axis, Tensor& y) override;
  void reduce_mean(const Tensor& x, const std::vector<int64_t>& axes, Tensor& y) override;
  void gram_accumulate(const WindowParams& p, const Tensor& x, const Tensor& y, const float* h,
                       GramStats& stats) override;
  std::unique_ptr<AdmmSystem> admm_system(const GramStats& solve, const GramStats& select,
                                          const float* w0, const float* b0, double eta) override;
  double gram_quadratic(const std::vector<double>& a, int64_t n, const double* theta,
                        int64_t rows) override;
  void gram_product(const std::vector<double>& a, int64_t n, const double* theta, int64_t rows,
                    double* out) override;
  void forget(const void* key) override;

  // ---- device helpers (this folder's files) ----
  cl_context context() const { return sh_->context; }
  bool fp64() const { return sh_->entry.fp64; }
  int threads() const { return threads_; }
  /// "opencl:N (device name)", for error messages.
  const std::string& where() const { return where_; }
  /// Scratch buffer `slot`, at least `bytes` long (reused across calls; slots are per role).
  cl_mem scratch(int slot, size_t bytes);
  void upload(cl_mem dst, const void* src, size_t bytes, size_t offset = 0);
  void download(cl_mem src, void* dst, size_t bytes, size_t offset = 0);
  /// Runs kernel `name` over `global` work-items (1-D, the runtime picks the group size).
  void launch(const char* name, size_t global, std::initializer_list<KernelArg> args);
  /// 2-D launch over global0 × global1 work-items.
  void launch2(const char* name, size_t global0, size_t global1,
               std::initializer_list<KernelArg> args);
  /// `groups` work-groups of the reduction kernels' size (EFQ_WG = 64, kernels/ops.cl).
  void launch_groups(const char* name, size_t groups, std::initializer_list<KernelArg> args);
  /// Row-major C = α·op(A)·op(B) + β·C by CLBlast (offsets and leading dimensions in elements).
  void sgemm(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, cl_mem a, size_t aoff,
             size_t lda, cl_mem b, size_t boff, size_t ldb, float beta, cl_mem c, size_t coff,
             size_t ldc);
  void dgemm(size_t m, size_t n, size_t k, cl_mem a, size_t lda, cl_mem b, size_t ldb, cl_mem c,
             size_t ldc);
  /// Waits for everything queued.
  void finish();

  static constexpr size_t kGroup = 64;  // EFQ_WG in kernels/ops.cl

 private:
  struct Layer {  // a convolution's weights on the device, by layer key
    std::string shape_key;
    ClBuffer weights, bias, scale;
  };
  cl_kernel kernel(const char* name);
  void set_args(cl_kernel k, const char* name, std::initializer_list<KernelArg> args);
  Layer& layer(const void* key, const std::string& shape_key, bool& fresh);
  // conv and conv_transpose as grouped im2col + GEMM: `wmat` holds per group the (O/g)×(C/g·taps)
  // weight matrix; `x` is already on the device (buffer slot kX).
  void conv_gemm(const WindowParams& p, const Shape& xs, cl_mem x, cl_mem wmat, int64_t cout,
                 cl_mem bias, bool transposed, Tensor& y);

  std::shared_ptr<ClShared> sh_;
  cl_command_queue queue_ = nullptr;
  std::string where_;
  int threads_;
  std::map<std::string, cl_kernel> kernels_;
  std::vector<ClBuffer> scratch_;
  std::map<const void*, Layer> layers_;
  std::unique_ptr<CpuBackend> host_;  // parallel_for's host threads; gram_quadratic without fp64
};

/// Scratch slots (OpenClBackend::scratch).
enum ClSlot : int { kX = 0, kY, kA, kB, kCol, kColH, kMeta, kAux, kAccA, kAccB, kSlotCount };

/// info() of the OpenCL backend without creating a context (efq_build_info, --version).
BackendInfo opencl_backend_info();

}  // namespace efq
