package org.efficientq;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/** {@code efq_volume}: one case, one NIfTI image per modality on one grid. */
public final class Volume extends NativeHandle {
  private Volume(Pointer handle) {
    super(handle);
  }

  /**
   * Reads the modalities of one case, in channel order ({@code efq_volume_load_nifti}).
   *
   * @param ctx the context (log)
   * @param paths one .nii or .nii.gz file per modality
   * @return the volume
   * @throws EfficientQException when a file cannot be read or the grids differ
   */
  public static Volume loadNifti(Context ctx, String... paths) {
    PointerByReference out = new PointerByReference();
    Errors.check(
        EfqLibrary.INSTANCE.efq_volume_load_nifti(
            ctx.pointer(), paths, new SizeT(paths.length), out),
        "efq_volume_load_nifti",
        ctx);
    return new Volume(out.getValue());
  }

  /**
   * Voxel dimensions ({@code efq_volume_get_dims}).
   *
   * @return {i, j, k}
   */
  public long[] dims() {
    long[] dims = new long[3];
    Errors.check(
        EfqLibrary.INSTANCE.efq_volume_get_dims(pointer(), dims, new LongByReference()),
        "efq_volume_get_dims");
    return dims;
  }

  /**
   * Modality count ({@code efq_volume_get_dims}).
   *
   * @return the number of channels
   */
  public long channels() {
    LongByReference channels = new LongByReference();
    Errors.check(
        EfqLibrary.INSTANCE.efq_volume_get_dims(pointer(), new long[3], channels),
        "efq_volume_get_dims");
    return channels.getValue();
  }

  @Override
  void destroy(Pointer handle) {
    EfqLibrary.INSTANCE.efq_volume_destroy(handle);
  }
}
