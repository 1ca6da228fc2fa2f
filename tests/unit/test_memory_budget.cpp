// The memory budget (core/memory_budget.hpp): saturating size arithmetic, the per-thread limit
// and its scope, the error a check raises.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "core/memory_budget.hpp"

using namespace efq;

TEST_CASE("header sizes saturate instead of overflowing") {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  CHECK(mul_sat(int64_t{1} << 40, int64_t{1} << 40) == kMax);
  CHECK(mul_sat(3, 4) == 12);
  CHECK(mul_sat(-1, 4) == kMax);  // a negative size from a header is never small
  CHECK(add_sat(kMax - 1, 5) == kMax);
  CHECK(add_sat(2, 3) == 5);
  CHECK(mib_string(kMax) == "more than 8 EiB");
  CHECK(mib_string((int64_t{1} << 20) + 1) == "2 MiB");
}

TEST_CASE("a memory limit applies to its scope on its thread only") {
  const int64_t dflt = memory_limit_bytes();
  CHECK(dflt == default_memory_limit_bytes());
  CHECK(dflt >= (int64_t{256} << 20));
  {
    const MemoryLimitScope outer(int64_t{64} << 20);
    CHECK(memory_limit_bytes() == (int64_t{64} << 20));
    int64_t other_thread = 0;
    std::thread([&] { other_thread = memory_limit_bytes(); }).join();
    CHECK(other_thread == dflt);
    {
      const MemoryLimitScope inner(0);  // 0 = the default
      CHECK(memory_limit_bytes() == dflt);
    }
    CHECK(memory_limit_bytes() == (int64_t{64} << 20));
    CHECK_NOTHROW(check_memory(int64_t{64} << 20, "exactly the limit"));
    try {
      check_memory((int64_t{64} << 20) + 1, "layer 'x'");
      FAIL("no error over the limit");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kOutOfMemory);
      CHECK(std::string(e.what()) == "layer 'x' needs 65 MiB, more than the memory limit of 64 MiB (EFQ_PARAM_MEMORY_LIMIT_MB)");
    }
    CHECK_THROWS_AS(check_memory(-1, "an overflowed size"), Error);
  }
  CHECK(memory_limit_bytes() == dflt);
}
