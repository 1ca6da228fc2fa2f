// The CPU backend: oneDNN primitives for convolutions and pooling, plain C++ (OpenMP) for the
// memory-bound rest. Always built; the oracle for every other backend. Every method runs under
// ScopedThreads(threads_) (threads.hpp): the backend's thread count, never the caller's.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backends/backend.hpp"

namespace efq {

/// Big solver buffers, kept for the backend's lifetime and reused by every layer (first-touch
/// page faults cost ~11 µs per 4 KiB page on this machine kind, STACK §0).
struct CpuSolverArena {
  std::vector<double> factor;          // k×k: the ρ-shifted system, then its Cholesky factor
  std::vector<double> triangle;        // k×k: the factor's inverse
  std::vector<float> inverse, gram;    // k×k inverse; k1×k1 select Gram matrix
  std::vector<float> rows, product;    // c2×k1 work rows; Z's integers times G
  std::vector<float> codes;            // c2×k: Z's integers (codes minus zero point)
};

class CpuBackend final : public Backend {
 public:
  /// `threads` <= 0: the calling thread's OpenMP default at creation.
  explicit CpuBackend(int threads);
  ~CpuBackend() override;

  std::string name() const override { return "cpu"; }
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

  int threads() const { return threads_; }

  struct Impl;  // oneDNN state (engine, stream, cached primitives); defined in dnnl_ops.cpp

 private:
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<void> int8_cache_;  // int8 primitives by layer key (int8_conv.cpp)
  void int8_forget(const void* key);
  const int threads_;  // resolved at creation (> 0)
  CpuSolverArena arena_;
};

/// "OpenBLAS 0.3.21" (admm_system.cpp, which owns the BLAS calls).
std::string openblas_version();

}  // namespace efq
