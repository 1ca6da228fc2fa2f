// Float buffers handed from dead intermediates to later outputs of no larger size, so that the
// same pages are written again instead of freshly mapped ones (a fresh mapping of tens of MiB
// costs first-touch page faults that outweigh an elementwise operator: STACK §0). Buffers below
// 64 KiB are left to malloc's free lists. The pool never holds more than `limit` floats together
// with the caller's live ones: the smallest buffers are dropped first.
#pragma once

#include <cstddef>
#include <map>
#include <vector>

namespace efq {

class BufferPool {
 public:
  static constexpr size_t kMinFloats = 16384;

  /// Empties the pool and sets the bound on pooled + live floats (0 disables pooling).
  void reset(size_t limit_floats);
  /// A pooled buffer of capacity ≥ n (size 0), or an empty vector when none fits or n is small;
  /// when none fits, first trims the pool so that `live + n` fits under the bound.
  std::vector<float> take(size_t n, size_t live);
  /// Keeps `buf` (its contents are discarded) if it is large enough to be worth it.
  void give(std::vector<float>&& buf, size_t live);

 private:
  void trim(size_t live);
  std::multimap<size_t, std::vector<float>> free_;  // capacity (floats) -> buffer
  size_t floats_ = 0;
  size_t limit_ = 0;
};

}  // namespace efq
