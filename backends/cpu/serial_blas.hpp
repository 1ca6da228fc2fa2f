// OpenBLAS called single-threaded, with our own fixed-tile parallelism around it.
#pragma once

#include <cblas.h>

#include <mutex>

namespace efq {

// OpenBLAS's own threading changes its results with the thread count, so every call here is
// single-threaded (OpenBLAS's count set to 1 for the duration, then put back) and the
// parallelism is ours: OpenMP over a fixed grid of tiles, each tile one BLAS call, so every
// number is computed the same way whatever the thread count.
//
// OpenBLAS's thread count is one process-wide setting, and separate contexts may run on several
// host threads at once (efficientq.h). So the scopes are counted process-wide: the first to enter
// saves the count and sets 1, the last to leave puts it back. A per-scope save/restore let one
// thread's restore give another thread's running call the multi-threaded count again, which
// changed results in the last bits (found by `c: test_parallel_contexts`).
class SerialBlas {
 public:
  SerialBlas() {
    std::lock_guard<std::mutex> lock(state().mu);
    if (state().depth++ == 0) {
      state().saved = openblas_get_num_threads();
      openblas_set_num_threads(1);
    }
  }
  ~SerialBlas() {
    std::lock_guard<std::mutex> lock(state().mu);
    if (--state().depth == 0) openblas_set_num_threads(state().saved);
  }
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  struct State {
    std::mutex mu;
    int depth = 0, saved = 1;
  };
  static State& state() {
    static State s;
    return s;
  }
};

}  // namespace efq
