#include "infer/buffer_pool.hpp"

namespace efq {

void BufferPool::reset(size_t limit_floats) {
  free_.clear();
  floats_ = 0;
  limit_ = limit_floats;
}

void BufferPool::trim(size_t live) {
  while (!free_.empty() && floats_ + live > limit_) {
    floats_ -= free_.begin()->first;  // the smallest first
    free_.erase(free_.begin());
  }
}

std::vector<float> BufferPool::take(size_t n, size_t live) {
  if (n < kMinFloats || limit_ == 0) return {};
  auto it = free_.lower_bound(n);
  if (it == free_.end()) {
    trim(live + n);
    return {};
  }
  std::vector<float> buf = std::move(it->second);
  floats_ -= it->first;
  free_.erase(it);
  return buf;
}

void BufferPool::give(std::vector<float>&& buf, size_t live) {
  const size_t cap = buf.capacity();
  if (cap < kMinFloats || limit_ == 0) {
    std::vector<float>().swap(buf);
    return;
  }
  std::vector<float> kept = std::move(buf);
  kept.clear();
  free_.emplace(cap, std::move(kept));
  floats_ += cap;
  trim(live);
}

}  // namespace efq
