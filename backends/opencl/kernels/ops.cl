// Inference kernels of the OpenCL backend (backends/opencl/ops.cpp, conv.cpp). Embedded into the
// library at build time (cmake/EmbedText.cmake) and built once per process and device.
// Arithmetic follows the CPU backend's operation order; FP_CONTRACT off so a*b+c is not fused
// where the CPU rounds twice.
#pragma OPENCL FP_CONTRACT OFF
#ifdef EFQ_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;  // reduction accumulators: double where the device has it, as the CPU
#else
typedef float real;
#endif
#define EFQ_WG 64  // work-group size of the reduction kernels (the host uses the same)

float efq_unary(int kind, float v, float alpha, float beta) {
  switch (kind) {  // UnaryKind's order (backend.hpp)
    case 0: return v > 0.f ? v : 0.f;
    case 1: return v >= 0.f ? v : v * alpha;
    case 2: return v > 0.f ? v : alpha * (exp(v) - 1.f);
    case 3: return 1.f / (1.f + exp(-v));
    case 4: return tanh(v);
    case 5: return fmin(fmax(v, alpha), beta);
    case 6: return floor(v);
    case 7: return exp(v);
    case 8: return sqrt(v);
    case 9: return -v;
    case 10: return fabs(v);
    case 11: return 1.f / v;
    case 12: return erf(v);
    case 13: return rint(v);  // half to even, as ONNX Round
  }
  return v;
}

__kernel void efq_unary_f(__global const float* x, __global float* y, long n, int kind,
                          float alpha, float beta) {
  const long i = get_global_id(0);
  if (i < n) y[i] = efq_unary(kind, x[i], alpha, beta);
}

float efq_binary(int kind, float a, float b) {
  switch (kind) {  // BinaryKind's order (backend.hpp), then 7 = PRelu (b = slope)
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return pow(a, b);
    case 5: return a < b ? b : a;
    case 6: return b < a ? b : a;
    case 7: return a < 0.f ? a * b : a;
  }
  return a;
}

// Numpy broadcasting over rank 6 (leading axes of size 1): meta = out dims[6], a strides[6],
// b strides[6] (0 on broadcast axes).
__kernel void efq_binary_f(__global const float* a, __global const float* b, __global float* y,
                           __global const long* meta, long n, int kind) {
  const long i = get_global_id(0);
  if (i >= n) return;
  long rem = i, ia = 0, ib = 0;
  for (int k = 5; k >= 0; --k) {
    const long idx = rem % meta[k];
    rem /= meta[k];
    ia += idx * meta[6 + k];
    ib += idx * meta[12 + k];
  }
  y[i] = efq_binary(kind, a[ia], b[ib]);
}

// y = x·scale[c] + shift[c], c = (i / inner) mod channels.
__kernel void efq_channel_affine(__global const float* x, __global float* y,
                                 __global const float* scale, __global const float* shift,
                                 long n, long inner, long channels) {
  const long i = get_global_id(0);
  if (i >= n) return;
  const long c = (i / inner) % channels;
  y[i] = x[i] * scale[c] + shift[c];
}

// One output per work-item; g = in[3], out[3], k[3], stride[3], dilation[3], pad_begin[3].
__kernel void efq_pool(__global const float* x, __global float* y, __global const long* g,
                       long n, int kind) {
  const long i = get_global_id(0);
  if (i >= n) return;
  const long ow = i % g[5], oh = (i / g[5]) % g[4], od = (i / (g[5] * g[4])) % g[3];
  const long nc = i / (g[5] * g[4] * g[3]);
  const __global float* src = x + nc * g[0] * g[1] * g[2];
  float acc = kind == 0 ? -INFINITY : 0.f;
  long cnt = 0;
  for (long a = 0; a < g[6]; ++a) {
    const long zd = od * g[9] - g[15] + a * g[12];
    for (long b = 0; b < g[7]; ++b) {
      const long zh = oh * g[10] - g[16] + b * g[13];
      for (long e = 0; e < g[8]; ++e) {
        const long zw = ow * g[11] - g[17] + e * g[14];
        if (zd < 0 || zd >= g[0] || zh < 0 || zh >= g[1] || zw < 0 || zw >= g[2]) continue;
        const float v = src[(zd * g[1] + zh) * g[2] + zw];
        if (kind == 0) acc = acc < v ? v : acc;
        else acc += v;
        ++cnt;
      }
    }
  }
  if (kind == 1) acc /= (float)(g[6] * g[7] * g[8]);
  else if (kind == 2) acc = cnt > 0 ? acc / (float)cnt : 0.f;
  y[i] = acc;
}

// Columns of one image (at x + xoff) for conv(x, ·) over output positions [p0, p0 + cols): row
// r = c·taps + tap, column j = position p0 + j; zero where no input feeds it. g as efq_pool's.
// transposed: the ConvTranspose source x[c, (o + pad − t·dil) / stride] (zero unless that is an
// integer inside the input). One work-item per (position, channel), looping over the taps in
// 32-bit index arithmetic (the host checks the sizes fit); with `ones`, channel `channels` is the
// all-ones row of the Gram statistics' bias coordinate.
__kernel void efq_im2col(__global const float* x, long xoff, __global float* col,
                         __global const long* g, long p0, long cols, long channels, int transposed,
                         int ones) {
  const int j = get_global_id(0), c = get_global_id(1);
  if (j >= cols || c > channels || (c == channels && !ones)) return;
  const int kd = g[6], kh = g[7], kw = g[8], ksp = kd * kh * kw;
  __global float* out = col + (long)c * ksp * cols + j;
  if (c == channels) {
    out[0] = 1.f;
    return;
  }
  const int id = g[0], ih = g[1], iw = g[2], oh = g[4], ow = g[5];
  const int sd = g[9], sh = g[10], sw = g[11], dd = g[12], dh = g[13], dw = g[14];
  const int pd = g[15], ph = g[16], pw = g[17];
  const int p = (int)p0 + j;
  const int xw = p % ow, xh = (p / ow) % oh, xd = p / (ow * oh);
  const __global float* src = x + xoff + (long)c * id * ih * iw;
  int r = 0;
  for (int a = 0; a < kd; ++a) {
    int zd;
    if (!transposed) {
      zd = xd * sd - pd + a * dd;
    } else {
      const int num = xd + pd - a * dd;
      zd = (num < 0 || num % sd) ? -1 : num / sd;
    }
    for (int b = 0; b < kh; ++b) {
      int zh;
      if (!transposed) {
        zh = xh * sh - ph + b * dh;
      } else {
        const int num = xh + ph - b * dh;
        zh = (num < 0 || num % sh) ? -1 : num / sh;
      }
      for (int e = 0; e < kw; ++e, ++r) {
        int zw;
        if (!transposed) {
          zw = xw * sw - pw + e * dw;
        } else {
          const int num = xw + pw - e * dw;
          zw = (num < 0 || num % sw) ? -1 : num / sw;
        }
        const bool in = zd >= 0 && zd < id && zh >= 0 && zh < ih && zw >= 0 && zw < iw;
        out[(long)r * cols] = in ? src[(zd * ih + zh) * iw + zw] : 0.f;
      }
    }
  }
}

// xh[r, j] = x[r, j] · h[hoff + j] (the Gram statistics' voxel weights).
__kernel void efq_scale_cols(__global const float* x, __global float* xh, __global const float* h,
                             long hoff, long cols, long n) {
  const long i = get_global_id(0);
  if (i < n) xh[i] = x[i] * h[hoff + i % cols];
}

// y[(img·channels + c)·inner + p] = value[c] (or 0 without values): the bias a GEMM adds onto.
__kernel void efq_fill_channels(__global float* y, __global const float* value, long n, long inner,
                                long channels, int has_value) {
  const long i = get_global_id(0);
  if (i < n) y[i] = has_value ? value[(i / inner) % channels] : 0.f;
}

// The int8 convolution's input codes (activation_quant.hpp): clamp(rint(x / s), lo, hi).
__kernel void efq_quantize(__global const float* x, __global float* q, long n, float s, float lo,
                           float hi) {
  const long i = get_global_id(0);
  if (i < n) q[i] = fmin(fmax(rint(x[i] / s), lo), hi);
}

// One work-group per (n, c): mean, variance (two passes), then the affine map, as the CPU.
__kernel void efq_instance_norm(__global const float* x, __global float* y,
                                __global const float* scale, __global const float* bias,
                                long inner, long channels, float eps) {
  __local real part[EFQ_WG];
  const long nc = get_group_id(0);
  const int lid = get_local_id(0);
  const __global float* in = x + nc * inner;
  __global float* out = y + nc * inner;
  real s = 0;
  for (long i = lid; i < inner; i += EFQ_WG) s += in[i];
  part[lid] = s;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int w = EFQ_WG / 2; w > 0; w /= 2) {
    if (lid < w) part[lid] += part[lid + w];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const real mean = part[0] / (real)inner;
  barrier(CLK_LOCAL_MEM_FENCE);
  real v = 0;
  for (long i = lid; i < inner; i += EFQ_WG) v += (in[i] - mean) * (in[i] - mean);
  part[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int w = EFQ_WG / 2; w > 0; w /= 2) {
    if (lid < w) part[lid] += part[lid + w];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const long c = nc % channels;
  const real inv = 1 / sqrt(part[0] / (real)inner + eps);
  const float a = (float)(scale[c] * inv);
  const float sh = (float)(bias[c] - mean * scale[c] * inv);
  for (long i = lid; i < inner; i += EFQ_WG) out[i] = in[i] * a + sh;
}

// Softmax along an axis of extent `len`: one work-item per (outer, inner) pair.
__kernel void efq_softmax(__global const float* x, __global float* y, long outer, long len,
                          long inner) {
  const long id = get_global_id(0);
  if (id >= outer * inner) return;
  const long o = id / inner, i = id % inner;
  const __global float* in = x + o * len * inner + i;
  __global float* out = y + o * len * inner + i;
  float m = in[0];
  for (long c = 1; c < len; ++c) m = fmax(m, in[c * inner]);
  real s = 0;
  for (long c = 0; c < len; ++c) {
    out[c * inner] = exp(in[c * inner] - m);
    s += out[c * inner];
  }
  const float inv = (float)(1 / s);
  for (long c = 0; c < len; ++c) out[c * inner] *= inv;
}

// Resize over [NC, D, H, W]: maps = i0, i1 per axis (long, out[d], out[h], out[w] each, i0 then
// i1) and w1 per axis (float); the CPU backend's axis maps and interpolation order.
__kernel void efq_resize(__global const float* x, __global float* y, __global const long* idx,
                         __global const float* wt, long id0, long ih, long iw, long od, long oh,
                         long ow, long n, int linear) {
  const long i = get_global_id(0);
  if (i >= n) return;
  const long w = i % ow, h = (i / ow) % oh, d = (i / (ow * oh)) % od, c = i / (ow * oh * od);
  __global const long* d0 = idx;
  __global const long* d1 = idx + od;
  __global const long* h0 = idx + 2 * od;
  __global const long* h1 = idx + 2 * od + oh;
  __global const long* w0 = idx + 2 * od + 2 * oh;
  __global const long* w1 = idx + 2 * od + 2 * oh + ow;
  const __global float* src = x + c * id0 * ih * iw;
  const __global float* s0 = src + d0[d] * ih * iw;
  const __global float* s1 = src + d1[d] * ih * iw;
  const long hh0 = h0[h] * iw, hh1 = h1[h] * iw;
  if (!linear) {
    y[i] = s0[hh0 + w0[w]];
    return;
  }
  const float wd = wt[d], wh = wt[od + h], ww = wt[od + oh + w];
  const float a0 = s0[hh0 + w0[w]] * (1.f - ww) + s0[hh0 + w1[w]] * ww;
  const float a1 = s0[hh1 + w0[w]] * (1.f - ww) + s0[hh1 + w1[w]] * ww;
  const float b0 = s1[hh0 + w0[w]] * (1.f - ww) + s1[hh0 + w1[w]] * ww;
  const float b1 = s1[hh1 + w0[w]] * (1.f - ww) + s1[hh1 + w1[w]] * ww;
  const float a = a0 * (1.f - wh) + a1 * wh;
  const float b = b0 * (1.f - wh) + b1 * wh;
  y[i] = a * (1.f - wd) + b * wd;
}

// Concat: the input's rows of `chunk` elements into rows of `row` elements at offset `off`.
__kernel void efq_copy_rows(__global const float* x, __global float* y, long chunk, long row,
                            long off, long n) {
  const long i = get_global_id(0);
  if (i < n) y[(i / chunk) * row + off + i % chunk] = x[i];
}

// Mean over some axes (rank 6, leading 1s): meta = out dims[6], x strides of kept axes[6] (0 on
// reduced), reduced extents[6] (1 on kept), x strides of reduced axes[6]; `count` = Π reduced.
__kernel void efq_reduce_mean(__global const float* x, __global float* y, __global const long* meta,
                              long n, long count) {
  const long i = get_global_id(0);
  if (i >= n) return;
  long rem = i, base = 0;
  for (int k = 5; k >= 0; --k) {
    base += (rem % meta[k]) * meta[6 + k];
    rem /= meta[k];
  }
  real acc = 0;
  for (long r = 0; r < count; ++r) {
    long q = r, off = base;
    for (int k = 5; k >= 0; --k) {
      off += (q % meta[12 + k]) * meta[18 + k];
      q /= meta[12 + k];
    }
    acc += x[off];
  }
  y[i] = (float)(acc / (real)count);
}
