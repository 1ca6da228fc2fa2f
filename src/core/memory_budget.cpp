#include "core/memory_budget.hpp"

#include <unistd.h>

#include <algorithm>
#include <limits>

#include "core/error.hpp"

namespace efq {

namespace {
thread_local int64_t t_limit = 0;  // 0 = the default
constexpr int64_t kMiB = int64_t{1} << 20;

}  // namespace

std::string mib_string(int64_t bytes) {
  if (bytes < 0 || bytes == std::numeric_limits<int64_t>::max()) return "more than 8 EiB";
  return std::to_string(bytes / kMiB + (bytes % kMiB != 0)) + " MiB";
}

int64_t default_memory_limit_bytes() {
  static const int64_t limit = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return int64_t{8} << 30;  // unknown: assume 8 GiB
    const int64_t phys = static_cast<int64_t>(pages) * page;
    const int64_t margin = std::max<int64_t>(phys / 8, 512 * kMiB);
    return std::max<int64_t>(phys - margin, 256 * kMiB);
  }();
  return limit;
}

int64_t memory_limit_bytes() { return t_limit > 0 ? t_limit : default_memory_limit_bytes(); }

MemoryLimitScope::MemoryLimitScope(int64_t bytes) : saved_(t_limit) { t_limit = std::max<int64_t>(bytes, 0); }
MemoryLimitScope::~MemoryLimitScope() { t_limit = saved_; }

int64_t mul_sat(int64_t a, int64_t b) {
  if (a < 0 || b < 0) return std::numeric_limits<int64_t>::max();
  if (a != 0 && b > std::numeric_limits<int64_t>::max() / a) return std::numeric_limits<int64_t>::max();
  return a * b;
}

int64_t add_sat(int64_t a, int64_t b) {
  if (a < 0 || b < 0 || a > std::numeric_limits<int64_t>::max() - b)
    return std::numeric_limits<int64_t>::max();
  return a + b;
}

void check_memory(int64_t bytes, const std::string& what) {
  if (bytes < 0) bytes = std::numeric_limits<int64_t>::max();
  const int64_t limit = memory_limit_bytes();
  if (bytes > limit)
    fail(ErrorCode::kOutOfMemory, what + " needs " + mib_string(bytes) + ", more than the memory limit of " +
                                      mib_string(limit) + " (EFQ_PARAM_MEMORY_LIMIT_MB)");
}

}  // namespace efq
