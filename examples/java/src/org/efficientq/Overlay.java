package org.efficientq;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;

/**
 * Overlay pictures ({@code efq_render_overlay_png}, {@code efq_render_overlay_png_scaled}): one
 * slice of a NIfTI image in grey with the contours of a label map in orange and, optionally,
 * those of a second one in sky blue, in radiological orientation, written atomically as an 8-bit
 * RGB PNG. Thread-safe for distinct outputs.
 *
 * <pre>{@code
 * long slice = Overlay.renderPngScaled(null, "ct.nii.gz", "seg.nii.gz", null, Plane.AXIAL, -1, 3,
 *     "overlay.png");
 * }</pre>
 */
public final class Overlay {
  private Overlay() {}

  /**
   * Draws one voxel as one pixel ({@code efq_render_overlay_png}).
   *
   * @param ctx the context (log), or null
   * @param imagePath the NIfTI image
   * @param segPath the label map, on the image's grid
   * @param comparePath a second label map, or null
   * @param plane the plane
   * @param slice the slice index across the plane, -1 = the one with the most labelled voxels
   * @param pngPath the PNG to write (ends in .png)
   * @return the slice drawn
   * @throws EfficientQException e.g. {@link Status#INVALID_ARGUMENT} for grids that differ or a
   *     slice out of range, {@link Status#IO} for an unreadable input; nothing is written then
   */
  public static long renderPng(
      Context ctx,
      String imagePath,
      String segPath,
      String comparePath,
      Plane plane,
      long slice,
      String pngPath) {
    return render(
        ctx,
        "efq_render_overlay_png",
        (p, drawn) ->
            EfqLibrary.INSTANCE.efq_render_overlay_png(
                p, imagePath, segPath, comparePath, plane.code(), slice, pngPath, drawn));
  }

  /**
   * As {@link #renderPng}, each voxel drawn as {@code scale} x {@code scale} pixels ({@code
   * efq_render_overlay_png_scaled}); scale 1 writes exactly what {@link #renderPng} writes.
   *
   * @param ctx the context (log), or null
   * @param imagePath the NIfTI image
   * @param segPath the label map, on the image's grid
   * @param comparePath a second label map, or null
   * @param plane the plane
   * @param slice the slice index across the plane, -1 = the one with the most labelled voxels
   * @param scale pixels per voxel along each axis, 1..16
   * @param pngPath the PNG to write (ends in .png)
   * @return the slice drawn
   * @throws EfficientQException as {@link #renderPng}, and {@link Status#INVALID_ARGUMENT} for a
   *     scale outside 1..16 (nothing is read or written)
   */
  public static long renderPngScaled(
      Context ctx,
      String imagePath,
      String segPath,
      String comparePath,
      Plane plane,
      long slice,
      long scale,
      String pngPath) {
    return render(
        ctx,
        "efq_render_overlay_png_scaled",
        (p, drawn) ->
            EfqLibrary.INSTANCE.efq_render_overlay_png_scaled(
                p, imagePath, segPath, comparePath, plane.code(), slice, scale, pngPath, drawn));
  }

  /** One of the two native renders: its context pointer and drawn-slice output in, its status out. */
  private interface NativeRender {
    int call(Pointer ctx, LongByReference drawn);
  }

  private static long render(Context ctx, String function, NativeRender render) {
    LongByReference drawn = new LongByReference(-1);
    Errors.check(render.call(ctx == null ? null : ctx.pointer(), drawn), function, ctx);
    return drawn.getValue();
  }
}
