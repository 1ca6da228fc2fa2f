// Per-call thread counts (DESIGN §5): OpenMP's thread count is per calling thread and oneDNN (with
// the OpenMP runtime) reads it when a primitive executes, so the CPU backend sets its own count
// around each call and gives the caller's back afterwards; nothing it does leaks to the caller.
#pragma once

#include <omp.h>

namespace efq {

/// The calling thread's OpenMP thread count: what a backend created with "threads = default" uses.
inline int default_threads() { return omp_get_max_threads(); }

/// Runs the enclosing scope with `threads` OpenMP threads (oneDNN's and our parallel loops), then
/// restores the calling thread's previous count.
class ScopedThreads {
 public:
  explicit ScopedThreads(int threads)
      : prev_(omp_get_max_threads()), set_(threads > 0 && threads != prev_) {
    if (set_) omp_set_num_threads(threads);
  }
  ~ScopedThreads() {
    if (set_) omp_set_num_threads(prev_);
  }
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int prev_;
  bool set_;
};

}  // namespace efq
