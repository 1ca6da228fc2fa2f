// Overlay pictures: one slice with segmentation contours, as a PNG.
#include <cstdio>
#include <string>

#include "capi/guard.hpp"
#include "capi/params.hpp"
#include "core/memory_budget.hpp"
#include "capi/handles.hpp"
#include "io/overlay.hpp"

using efq::capi::guarded;
using efq::capi::require;

namespace {

efq_status render(efq_context* ctx, const char* image_path, const char* seg_path,
                  const char* compare_seg_path, efq_plane plane, int64_t slice, int64_t scale,
                  const char* png_path, int64_t* slice_out) {
  return guarded([&] {
    const efq::MemoryLimitScope memory(efq::capi::memory_limit_bytes(ctx, nullptr));
    require(image_path, "image_path");
    require(seg_path, "seg_path");
    require(png_path, "png_path");
    if (plane != EFQ_PLANE_AXIAL && plane != EFQ_PLANE_CORONAL && plane != EFQ_PLANE_SAGITTAL)
      efq::fail(efq::ErrorCode::kInvalidArgument,
                "unknown plane " + std::to_string(static_cast<int>(plane)) +
                    " (EFQ_PLANE_AXIAL, EFQ_PLANE_CORONAL or EFQ_PLANE_SAGITTAL)");
    const efq::io::Overlay ov = efq::io::write_overlay_png(
        image_path, seg_path, compare_seg_path ? compare_seg_path : "",
        static_cast<efq::io::Plane>(plane), slice, png_path, scale);
    if (slice_out) *slice_out = ov.slice;
    if (ctx) {
      char window[64];
      std::snprintf(window, sizeof window, "; grey window [%g, %g]", ov.window[0], ov.window[1]);
      ctx->log(EFQ_LOG_INFO, std::string("wrote ") + png_path + ": " +
                                 efq::io::plane_name(static_cast<efq::io::Plane>(plane)) +
                                 " slice " + std::to_string(ov.slice) + ", " +
                                 std::to_string(ov.picture.width) + "x" +
                                 std::to_string(ov.picture.height) + " pixels" +
                                 (ov.scale != 1 ? " (" + std::to_string(ov.scale) +
                                                      " per voxel)"
                                                : std::string()) +
                                 window);
    }
  });
}

}  // namespace

extern "C" efq_status efq_render_overlay_png(efq_context* ctx, const char* image_path,
                                             const char* seg_path, const char* compare_seg_path,
                                             efq_plane plane, int64_t slice, const char* png_path,
                                             int64_t* slice_out) {
  return render(ctx, image_path, seg_path, compare_seg_path, plane, slice, 1, png_path, slice_out);
}

extern "C" efq_status efq_render_overlay_png_scaled(efq_context* ctx, const char* image_path,
                                                    const char* seg_path,
                                                    const char* compare_seg_path, efq_plane plane,
                                                    int64_t slice, int64_t scale,
                                                    const char* png_path, int64_t* slice_out) {
  return render(ctx, image_path, seg_path, compare_seg_path, plane, slice, scale, png_path,
                slice_out);
}
