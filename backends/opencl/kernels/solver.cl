// Layer-solver kernels of the OpenCL backend (backends/opencl/admm_system.cpp); the GEMMs are
// CLBlast's. Appended to ops.cl into one program (one build per process and device).

// r = base + ρ·v: the W-step's right-hand side (c2×k).
__kernel void efq_rhs(__global const float* base, __global const float* v, __global float* r,
                      float rho, long n) {
  const long i = get_global_id(0);
  if (i < n) r[i] = base[i] + rho * v[i];
}

// Z's integers: c[o, i] = rint(z[o, i] · inv[o]) (inv = 1 / row scale, 0 for a zero row).
__kernel void efq_codes(__global const float* z, __global const float* inv, __global float* c,
                        long k, long n) {
  const long i = get_global_id(0);
  if (i < n) c[i] = rint(z[i] * inv[i / k]);
}

// One work-group per row o of the monitoring loss (admm_system.cpp): with D = [Z − W0 | b − b0],
//   quad_o = Σ_j (α_o P_o − (Θ0 G)_o + (b_o − b0_o) G_b)_j D_oj,   lin_o = Σ_j E_oj D_oj.
// out[2o] = quad_o, out[2o + 1] = lin_o (summed on the host in row order).
__kernel void efq_loss_rows(__global const float* z, __global const float* p,
                            __global const float* t0, __global const float* gb,
                            __global const float* b, __global const real* theta0,
                            __global const real* e, __global const real* row_scale,
                            __global real* out, long k) {
  __local real pq[EFQ_WG], pl[EFQ_WG];
  const long o = get_group_id(0), k1 = k + 1;
  const int lid = get_local_id(0);
  const real a = row_scale[o], db = (real)b[o] - theta0[o * k1 + k];
  real q = 0, l = 0;
  for (long j = lid; j < k1; j += EFQ_WG) {
    const real d = j < k ? (real)z[o * k + j] - theta0[o * k1 + j] : db;
    const real t = a * p[o * k1 + j] - t0[o * k1 + j] + db * gb[j];
    q += t * d;
    l += e[o * k1 + j] * d;
  }
  pq[lid] = q;
  pl[lid] = l;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int w = EFQ_WG / 2; w > 0; w /= 2) {
    if (lid < w) {
      pq[lid] += pq[lid + w];
      pl[lid] += pl[lid + w];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) {
    out[2 * o] = pq[0];
    out[2 * o + 1] = pl[0];
  }
}

#ifdef EFQ_FP64
// acc += tile (the Gram statistics' float tile sums added in double on the device).
__kernel void efq_add_double(__global double* acc, __global const float* tile, long n) {
  const long i = get_global_id(0);
  if (i < n) acc[i] += tile[i];
}

// out[o] = Σ_j t[o, j] · θ[o, j] (gram_quadratic: t = θ·A by CLBlast's DGEMM), one group per row.
__kernel void efq_row_dots(__global const double* t, __global const double* theta,
                           __global double* out, long n) {
  __local double part[EFQ_WG];
  const long o = get_group_id(0);
  const int lid = get_local_id(0);
  double s = 0;
  for (long j = lid; j < n; j += EFQ_WG) s += t[o * n + j] * theta[o * n + j];
  part[lid] = s;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int w = EFQ_WG / 2; w > 0; w /= 2) {
    if (lid < w) part[lid] += part[lid + w];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) out[o] = part[0];
}
#endif
