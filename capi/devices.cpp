// Device discovery through the C ABI: efq_device_count, efq_device_get_info.
#include <cstring>
#include <string>

#include "backends/backend.hpp"
#include "capi/guard.hpp"
#include "capi/struct_size.hpp"

namespace {

const std::vector<efq::DeviceInfo>& devices() {
  static const std::vector<efq::DeviceInfo> list = efq::list_devices();  // discovery runs once
  return list;
}

// Copies `s` into a fixed char field, cut short if need be, always NUL-terminated.
template <size_t N>
void set_field(char (&dst)[N], const std::string& s) {
  const size_t n = std::min(s.size(), N - 1);
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

}  // namespace

extern "C" {

efq_status efq_device_count(int64_t* count_out) {
  return efq::capi::guarded([&] {
    efq::capi::require(count_out, "count_out");
    *count_out = static_cast<int64_t>(devices().size());
  });
}

efq_status efq_device_get_info(int64_t index, efq_device_info* info_out) {
  return efq::capi::guarded([&] {
    efq::capi::require(info_out, "info_out");
    efq::capi::check_struct_size(info_out->struct_size, efq::capi::kDeviceInfoV1Size, "info_out");
    const auto& list = devices();
    if (index < 0 || index >= static_cast<int64_t>(list.size()))
      efq::fail(efq::ErrorCode::kInvalidArgument,
                "device index " + std::to_string(index) + " is out of range (" +
                    std::to_string(list.size()) + " devices; see efq_device_count)");
    const efq::DeviceInfo& d = list[static_cast<size_t>(index)];
    efq_device_info full;
    std::memset(&full, 0, sizeof full);
    set_field(full.id, d.id);
    set_field(full.backend, d.backend);
    set_field(full.name, d.name);
    set_field(full.vendor, d.vendor);
    full.memory_bytes = d.memory_bytes;
    efq::capi::copy_out_fitting(full, info_out, efq::capi::kDeviceInfoV1Size, "info_out");
  });
}

}  // extern "C"
