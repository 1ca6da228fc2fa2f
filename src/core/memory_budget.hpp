// The memory budget of a library call: sizes read from file headers (ONNX initializers and
// shapes, NIfTI dimensions, .efq layer counts) and the buffers a request implies (sliding-window
// accumulators, Gram statistics) are checked against it BEFORE anything is allocated, so a
// lying header or an absurd request fails with a clear kOutOfMemory error instead of an OOM kill.
// The limit is per thread: the C boundary sets it for the duration of each call
// (MemoryLimitScope, from EFQ_PARAM_MEMORY_LIMIT_MB of the call's config or context); checks
// run on the calling thread.
#pragma once

#include <cstdint>
#include <string>

namespace efq {

/// The machine's physical memory minus a margin (1/8 of it, at least 512 MiB), in bytes: the
/// limit when none is set.
int64_t default_memory_limit_bytes();

/// The limit of the calling thread's current call, in bytes.
int64_t memory_limit_bytes();

/// Sets the calling thread's limit (bytes; <= 0 = the default) until destroyed.
class MemoryLimitScope {
 public:
  explicit MemoryLimitScope(int64_t bytes);
  ~MemoryLimitScope();
  MemoryLimitScope(const MemoryLimitScope&) = delete;
  MemoryLimitScope& operator=(const MemoryLimitScope&) = delete;

 private:
  int64_t saved_;
};

/// Throws kOutOfMemory when `bytes` (negative = overflowed) exceeds the limit:
/// "WHAT needs N MiB, more than the memory limit of L MiB (EFQ_PARAM_MEMORY_LIMIT_MB)".
void check_memory(int64_t bytes, const std::string& what);

/// "N MiB" (rounded up), or "more than 8 EiB" for a saturated size.
std::string mib_string(int64_t bytes);

/// a * b, saturating at INT64_MAX (a, b >= 0): sizes from headers never overflow silently.
int64_t mul_sat(int64_t a, int64_t b);
/// a + b, saturating at INT64_MAX (a, b >= 0).
int64_t add_sat(int64_t a, int64_t b);

}  // namespace efq
