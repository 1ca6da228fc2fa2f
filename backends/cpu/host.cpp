// The CPU backend's self-description and its parallel loop for the core (Backend::info,
// Backend::parallel_for).
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <exception>
#include <mutex>

#include "backends/cpu/cpu_backend.hpp"

namespace efq {

BackendInfo CpuBackend::info() const {
  BackendInfo i;
  i.name = name();
  i.devices = {"cpu"};
  i.threads = threads_;
  const dnnl_version_t* v = dnnl_version();
  i.versions.emplace_back("oneDNN", std::to_string(v->major) + "." + std::to_string(v->minor) +
                                        "." + std::to_string(v->patch));
  i.versions.emplace_back("OpenMP", std::to_string(_OPENMP));
  i.versions.emplace_back("OpenBLAS", openblas_version());
  return i;
}

void CpuBackend::parallel_for(int64_t n, int64_t grain, const RangeFn& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  if (threads_ == 1 || n <= grain) {
    fn(0, n);
    return;
  }
  // A few ranges per thread, taken dynamically (ranges of uneven cost balance out); how the
  // indices are split never changes what each index computes.
  const int64_t most = std::min<int64_t>((n + grain - 1) / grain, int64_t{threads_} * 4);
  const int64_t size = (n + most - 1) / most;
  const int64_t ranges = (n + size - 1) / size;
  std::exception_ptr error;
  std::mutex mu;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
  for (int64_t r = 0; r < ranges; ++r) {
    try {
      fn(r * size, std::min(n, (r + 1) * size));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace efq
