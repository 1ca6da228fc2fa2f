// The one file that knows which backends are compiled in.
#include "backends/cpu/cpu_backend.hpp"
#include "core/error.hpp"

namespace efq {

std::vector<std::string> backend_names() { return {"cpu"}; }

std::vector<BackendInfo> backend_infos() {
  std::vector<BackendInfo> out;
  for (const std::string& name : backend_names()) out.push_back(create_backend(name, 0)->info());
  return out;
}

std::unique_ptr<Backend> create_backend(const std::string& name, int threads) {
  if (name.empty() || name == "cpu") return std::make_unique<CpuBackend>(threads);
  std::string list;
  for (const std::string& n : backend_names()) list += (list.empty() ? "" : ", ") + n;
  fail(ErrorCode::kUnsupported,
       "device '" + name + "' is not available (compiled-in backends: " + list + ")");
}

}  // namespace efq
