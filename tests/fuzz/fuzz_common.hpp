// Shared by the libFuzzer targets: what counts as a finding. A parser may reject any input with
// an efq::Error (the C boundary turns it into a status and one message); anything else that
// escapes it (std::out_of_range, std::length_error, bad_alloc past the memory limit, a
// nlohmann exception) would reach a host as EFQ_ERR_INTERNAL, so it aborts here and is a finding,
// like a crash or a sanitizer report.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "core/error.hpp"
#include "core/memory_budget.hpp"

namespace efq::fuzz {

// Lying headers must fail the memory check long before libFuzzer's -rss_limit_mb (2048).
constexpr int64_t kMemoryLimit = int64_t{256} << 20;

template <typename F>
void run_parser(F&& parse) {
  const MemoryLimitScope limit(kMemoryLimit);
  try {
    parse();
  } catch (const efq::Error&) {
    // a clean rejection
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FINDING: a non-efq exception escaped the parser: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "FINDING: an unknown exception escaped the parser\n");
    std::abort();
  }
}

}  // namespace efq::fuzz
