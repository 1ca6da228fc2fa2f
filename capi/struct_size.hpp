// The struct_size rule of the public structs (efficientq.h, "Rules"): a struct only grows at the
// end; the library reads or fills only the bytes that fit in the caller's `struct_size` and
// rejects only sizes below the struct's FIRST version. The first-version sizes are named here,
// once, and never derived from sizeof(today's struct): when a struct grows, a host compiled
// against the older header must keep working.
#pragma once

#include <efficientq/efficientq.h>
#include <efficientq/efficientq_experimental.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <type_traits>

#include "core/error.hpp"

namespace efq::capi {

// Sizes of the structs as released in 0.1 (LP64; tests/abi/struct_layout.c pins today's layouts).
inline constexpr size_t kProgressV1Size = sizeof(size_t) + 2 * sizeof(void*) + 2 * sizeof(int64_t);
inline constexpr size_t kModelInfoV1Size = sizeof(size_t) + 5 * sizeof(int64_t);
inline constexpr size_t kEfqSizeV1Size = sizeof(size_t) + 3 * sizeof(int64_t);
inline constexpr size_t kConvGeometryV1Size = sizeof(size_t) + 18 * sizeof(int64_t);
inline constexpr size_t kLayerSolutionInfoV1Size =
    sizeof(size_t) + 8 * sizeof(int64_t) + 2 * sizeof(double);
// efq_device_info: struct_size, id[64], backend[16], name[128], vendor[128], memory_bytes.
inline constexpr size_t kDeviceInfoV1Size = sizeof(size_t) + 64 + 16 + 128 + 128 + sizeof(uint64_t);
// efq_param_info: struct_size, param, type, scope (3 enums of 4 bytes, then 4 of padding), name,
// help, min, max, default_value, default_string.
inline constexpr size_t kParamInfoV1Size =
    sizeof(size_t) + 4 * sizeof(int32_t) + 3 * sizeof(const char*) + 3 * sizeof(double);

static_assert(kProgressV1Size <= sizeof(efq_progress) && kModelInfoV1Size <= sizeof(efq_model_info) &&
                  kEfqSizeV1Size <= sizeof(efq_efq_size) &&
                  kConvGeometryV1Size <= sizeof(efq_conv_geometry) &&
                  kLayerSolutionInfoV1Size <= sizeof(efq_layer_solution_info) &&
                  kDeviceInfoV1Size <= sizeof(efq_device_info) &&
                  kParamInfoV1Size <= sizeof(efq_param_info),
              "a public struct only grows");

/// Throws kInvalidArgument when `struct_size` is below the first version's size.
inline void check_struct_size(size_t struct_size, size_t first_version_size, const char* what) {
  if (struct_size < first_version_size)
    fail(ErrorCode::kInvalidArgument,
         std::string(what) + ": struct_size " + std::to_string(struct_size) +
             " is smaller than the first version's " + std::to_string(first_version_size) +
             " bytes (set it to sizeof the struct)");
}

/// Output struct: copies `full` (filled completely by the library) into the caller's struct, only
/// the bytes after struct_size that fit in `out->struct_size`; bytes past it are never touched.
template <typename S>
void copy_out_fitting(const S& full, S* out, size_t first_version_size, const char* what) {
  static_assert(std::is_trivially_copyable_v<S>, "public structs are plain C");
  check_struct_size(out->struct_size, first_version_size, what);
  const size_t n = std::min(out->struct_size, sizeof(S));
  std::memcpy(reinterpret_cast<unsigned char*>(out) + sizeof(size_t),
              reinterpret_cast<const unsigned char*>(&full) + sizeof(size_t), n - sizeof(size_t));
}

/// Input struct: the caller's fields that fit in `in.struct_size`; fields the caller's (older)
/// struct lacks stay zero, which every field documents as its default.
template <typename S>
S copy_in_fitting(const S* in, size_t first_version_size, const char* what) {
  static_assert(std::is_trivially_copyable_v<S>, "public structs are plain C");
  check_struct_size(in->struct_size, first_version_size, what);
  S s;
  std::memset(&s, 0, sizeof s);
  std::memcpy(&s, in, std::min(in->struct_size, sizeof(S)));
  return s;
}

}  // namespace efq::capi
