package org.efficientq;

/** {@code efq_plane}: the plane of a slice drawn by {@link Overlay}. Values are pinned. */
public enum Plane {
  /** {@code EFQ_PLANE_AXIAL}: across the voxel axis nearest to world S (inferior-superior). */
  AXIAL(0),
  /** {@code EFQ_PLANE_CORONAL}: across the voxel axis nearest to world A (posterior-anterior). */
  CORONAL(1),
  /** {@code EFQ_PLANE_SAGITTAL}: across the voxel axis nearest to world R (left-right). */
  SAGITTAL(2);

  private final int code;

  Plane(int code) {
    this.code = code;
  }

  /**
   * The C value.
   *
   * @return the pinned {@code efq_plane} number
   */
  public int code() {
    return code;
  }
}
