// OpenBLAS called single-threaded, with our own fixed-tile parallelism around it.
#pragma once

#include <cblas.h>

namespace efq {

// OpenBLAS's own threading changes its results with the thread count, so every call here is
// single-threaded (OpenBLAS's count set to 1 for the duration, then put back) and the
// parallelism is ours: OpenMP over a fixed grid of tiles, each tile one BLAS call, so every
// number is computed the same way whatever the thread count.
class SerialBlas {
 public:
  SerialBlas() : prev_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
  ~SerialBlas() { openblas_set_num_threads(prev_); }
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  int prev_;
};

}  // namespace efq
