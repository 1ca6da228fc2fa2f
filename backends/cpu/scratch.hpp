// A growing, 64-byte-aligned buffer that outlives the calls using it: the layout reorders around
// a oneDNN primitive need a temporary of the same size on every call, and a fresh allocation of
// tens of MiB is a fresh mapping whose first-touch page faults cost more than the reorder itself
// (STACK §0). Not thread-safe: the owner serializes its users (the backend's cache mutex).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace efq {

class Scratch {
 public:
  /// At least `bytes` bytes (contents unspecified), valid until the next call.
  void* get(size_t bytes) {
    if (bytes > size_) {
      const size_t rounded = (bytes + 63) / 64 * 64;
      void* p = std::aligned_alloc(64, rounded);
      if (!p) throw std::bad_alloc();
      buf_.reset(p);
      size_ = rounded;
    }
    return buf_.get();
  }

 private:
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, Free> buf_;
  size_t size_ = 0;
};

}  // namespace efq
