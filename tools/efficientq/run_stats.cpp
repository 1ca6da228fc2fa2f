#include "run_stats.hpp"

#include <sys/resource.h>

#include <chrono>

namespace cli {

namespace {
// Initialised when the program loads: close enough to the process start.
const auto g_start = std::chrono::steady_clock::now();
}  // namespace

nlohmann::ordered_json command_stats(const std::string& name) {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return {{"name", "efficientq " + name},
          {"wall_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - g_start).count()},
          {"peak_rss_mib", static_cast<double>(u.ru_maxrss) / 1024.0}};
}

}  // namespace cli
