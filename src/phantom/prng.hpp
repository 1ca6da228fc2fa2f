// Our own fixed pseudo-random number generator for the phantoms: SplitMix64 for seeding and
// hashing, xoshiro256** for the stream, uniform doubles from the top 53 bits and normals by
// Box-Muller. We do not use <random> distributions: their output is implementation-defined and
// differs between standard libraries, and a phantom must be the same array on every platform.
#pragma once

#include <cmath>
#include <cstdint>

namespace efq::phantom {

/// One SplitMix64 step: advances `state` and returns a well-mixed 64-bit value.
/// @since 0.1
inline uint64_t splitmix64_next(uint64_t& state) noexcept {
  state += 0x9E3779B97F4A7C15ull;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Hashes two 64-bit values into one (order matters). Used to derive per-case and per-stream
/// seeds, e.g. `hash_seed(dataset_seed, case_index)`.
/// @since 0.1
inline uint64_t hash_seed(uint64_t a, uint64_t b) noexcept {
  uint64_t s = a;
  const uint64_t h = splitmix64_next(s);
  uint64_t t = h ^ (b * 0xD1B54A32D192ED03ull);
  splitmix64_next(t);
  return splitmix64_next(t);
}

/// xoshiro256** generator with our own uniform and normal variates. Deterministic: the same seed
/// gives the same sequence on every platform (only IEEE-754 arithmetic and std::log/sqrt/sin/cos
/// are involved). Not thread-safe; use one instance per thread or per stream.
/// @since 0.1
class Rng {
 public:
  /// Seeds the four state words from SplitMix64(seed), as the xoshiro authors recommend.
  explicit Rng(uint64_t seed) noexcept {
    uint64_t sm = seed;
    for (uint64_t& w : s_) w = splitmix64_next(sm);
  }

  /// Next raw 64-bit output of xoshiro256**.
  uint64_t next_u64() noexcept {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  /// Uniform double in [lo, hi).
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }

  /// Uniform integer in [lo, hi] (inclusive); requires lo <= hi and a range below 2^53.
  int64_t uniform_int(int64_t lo, int64_t hi) noexcept {
    const double span = static_cast<double>(hi - lo + 1);
    int64_t v = lo + static_cast<int64_t>(uniform() * span);
    return v > hi ? hi : v;
  }

  /// -1 or +1 with equal probability.
  double sign() noexcept { return (next_u64() >> 63) ? 1.0 : -1.0; }

  /// Standard normal variate (Box-Muller; the second value of each pair is cached).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 6.283185307179586476925 * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

  /// Normal variate with the given mean and standard deviation.
  double normal(double mean, double sigma) noexcept { return mean + sigma * normal(); }

 private:
  static uint64_t rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

  uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace efq::phantom
