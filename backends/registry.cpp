// The one file that knows which backends are compiled in.
#include "backends/cpu/cpu_backend.hpp"
#include "core/error.hpp"

namespace efq {

std::vector<std::string> backend_names() { return {"cpu"}; }

std::unique_ptr<Backend> create_backend(const std::string& name, int threads) {
  if (name.empty() || name == "cpu") return std::make_unique<CpuBackend>(threads);
  fail(ErrorCode::kUnsupported,
       "device '" + name + "' is not available (compiled-in backends: cpu)");
}

}  // namespace efq
