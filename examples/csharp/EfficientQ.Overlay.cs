// EfficientQ.Overlay.cs — C# bindings for libefficientq (see EfficientQ.Types.cs for the overview).
// Overlay pictures: a slice with label contours as PNG (efq_render_overlay_png[_scaled]).
using System;

namespace EfficientQ
{
    /// <summary>The plane of a drawn slice (efq_plane). Values are pinned.</summary>
    public enum Plane
    {
        /// <summary>Across the voxel axis nearest to world S (inferior-superior).</summary>
        Axial = 0,
        /// <summary>Across the voxel axis nearest to world A (posterior-anterior).</summary>
        Coronal = 1,
        /// <summary>Across the voxel axis nearest to world R (left-right).</summary>
        Sagittal = 2,
    }

    /// <summary>Draws one slice of a NIfTI image in grey with the contours of one or two label
    /// maps, in radiological orientation, as an 8-bit RGB PNG written atomically. Thread-safe for
    /// distinct outputs.</summary>
    public static class Overlay
    {
        /// <summary>efq_render_overlay_png: one voxel is one pixel. compareSegPath may be null
        /// (no second contour); slice -1 picks the slice with the most labelled voxels; context
        /// may be null (nothing is logged). Returns the slice drawn.</summary>
        public static long RenderPng(Context context, string imagePath, string segPath, string compareSegPath,
                                     Plane plane, long slice, string pngPath)
        {
            long drawn;
            Status s = NativeMethods.efq_render_overlay_png(
                HandleOrNull(context), Utf8.ToNative(imagePath), Utf8.ToNative(segPath),
                Utf8.ToNative(compareSegPath), plane, slice, Utf8.ToNative(pngPath), out drawn);
            Check(context, s, "efq_render_overlay_png");
            return drawn;
        }

        /// <summary>efq_render_overlay_png_scaled: as <see cref="RenderPng"/> with each voxel drawn
        /// as scale x scale pixels (scale in 1..16, else Status.InvalidArgument and no file); scale
        /// 1 writes exactly what RenderPng writes. Returns the slice drawn.</summary>
        public static long RenderPngScaled(Context context, string imagePath, string segPath,
                                           string compareSegPath, Plane plane, long slice, long scale,
                                           string pngPath)
        {
            long drawn;
            Status s = NativeMethods.efq_render_overlay_png_scaled(
                HandleOrNull(context), Utf8.ToNative(imagePath), Utf8.ToNative(segPath),
                Utf8.ToNative(compareSegPath), plane, slice, scale, Utf8.ToNative(pngPath), out drawn);
            Check(context, s, "efq_render_overlay_png_scaled");
            return drawn;
        }

        private static ContextHandle HandleOrNull(Context context)
        {
            return context != null ? context.Handle : ContextHandle.Null();
        }

        private static void Check(Context context, Status status, string function)
        {
            if (context != null) context.Check(status, function);
            else Library.Check(status, function);
        }
    }
}
