// The one file that knows which backends are compiled in (DESIGN §2): device names, discovery
// and the EFQ_DEVICE default.
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "backends/cpu/cpu_backend.hpp"
#include "core/error.hpp"
#if EFQ_WITH_OPENCL
#include "backends/opencl/opencl_backend.hpp"
#endif

namespace efq {

namespace {

// "model name" / "vendor_id" of the first processor in /proc/cpuinfo ("" when unreadable).
std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      size_t b = line.find_first_not_of(" \t", colon + 1);
      return b == std::string::npos ? "" : line.substr(b);
    }
  return "";
}

std::string device_list() {
  std::string s;
  for (const DeviceInfo& d : list_devices()) s += (s.empty() ? "" : ", ") + d.id;
  return s;
}

}  // namespace

std::vector<std::string> backend_names() {
#if EFQ_WITH_OPENCL
  return {"cpu", "opencl"};
#else
  return {"cpu"};
#endif
}

std::vector<BackendInfo> backend_infos() {
  std::vector<BackendInfo> out;
  out.push_back(CpuBackend(0).info());
#if EFQ_WITH_OPENCL
  out.push_back(opencl_backend_info());  // discovery only: no context is created
#endif
  return out;
}

std::vector<DeviceInfo> list_devices() {
  std::vector<DeviceInfo> out;
  DeviceInfo cpu;
  cpu.id = cpu.backend = "cpu";
  cpu.name = cpuinfo_field("model name");
  cpu.vendor = cpuinfo_field("vendor_id");
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  cpu.memory_bytes = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * page : 0;
  out.push_back(cpu);
#if EFQ_WITH_OPENCL
  const auto& cl = opencl_devices();
  for (size_t i = 0; i < cl.size(); ++i) {
    DeviceInfo d;
    d.id = "opencl:" + std::to_string(i);
    d.backend = "opencl";
    d.name = cl[i].name;
    d.vendor = cl[i].vendor;
    d.memory_bytes = cl[i].memory;
    out.push_back(d);
  }
#endif
  return out;
}

std::unique_ptr<Backend> create_backend(const std::string& requested, int threads) {
  std::string name = requested, source = "device";
  if (name.empty()) {
    const char* env = std::getenv("EFQ_DEVICE");
    if (env && *env) {
      name = env;
      source = "EFQ_DEVICE";
    }
  }
  if (name.empty() || name == "cpu") return std::make_unique<CpuBackend>(threads);
  if (name == "opencl" || name.compare(0, 7, "opencl:") == 0) {
#if EFQ_WITH_OPENCL
    int index = 0;
    if (name.size() > 7) {
      const std::string digits = name.substr(7);
      if (digits.empty() || digits.size() > 6 ||
          digits.find_first_not_of("0123456789") != std::string::npos)
        fail(ErrorCode::kInvalidArgument, source + " '" + name +
                                              "': expected opencl:N with N a device number "
                                              "(devices found: " + device_list() + ")");
      index = std::stoi(digits);
    }
    return std::make_unique<OpenClBackend>(index, threads);
#else
    fail(ErrorCode::kUnsupported, source + " '" + name +
                                      "': this build has no OpenCL backend (configured with "
                                      "EFQ_WITH_OPENCL=OFF or without CLBlast)");
#endif
  }
  fail(ErrorCode::kUnsupported,
       source + " '" + name + "' is not available (devices found: " + device_list() + ")");
}

}  // namespace efq
