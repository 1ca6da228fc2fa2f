// What a command cost: wall time since the process started and peak resident memory, for the
// JSON reports of segment, eval and quantize (vendors size their machines from these).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cli {

/// {"name": "efficientq NAME", "wall_seconds": ..., "peak_rss_mib": ...}
nlohmann::ordered_json command_stats(const std::string& name);

}  // namespace cli
