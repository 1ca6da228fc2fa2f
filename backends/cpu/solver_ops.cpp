// Dense operations of the layer solver on the CPU: streamed Gram accumulation from im2col tiles
// (tiled OpenBLAS sgemm per tile, double accumulation across tiles) and the exact loss's quadratic form in
// deterministic parallel chunks. The ADMM iterations themselves: admm_system.cpp.
#include <algorithm>
#include <cmath>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/serial_blas.hpp"
#include "backends/cpu/threads.hpp"
#include "backends/cpu/tiled_sgemm.hpp"
#include "core/error.hpp"

namespace efq {

namespace {

// Output positions per im2col tile: ~32 MiB of tile (the GEMMs run at full speed on long
// reductions; the float tile sums are added into double once per tile), 2048 to 16384.
int64_t tile_for(int64_t k1) { return std::min<int64_t>(16384, std::max<int64_t>(2048, (int64_t{1} << 23) / k1 / 1024 * 1024)); }
constexpr int64_t kGramBlock = 256;  // rows per block of the Gram matrix's upper triangle

struct Geometry {
  int64_t n, c1, in[3], out[3], k[3], s[3], d[3], pb[3];
};

Geometry geometry(const WindowParams& p, const Tensor& x, const Tensor& y) {
  Geometry g{};
  const size_t sr = p.kernel.size();
  g.n = x.shape[0];
  g.c1 = x.shape[1];
  for (int a = 0; a < 3; ++a) {  // pad missing leading spatial dims with size 1
    const int off = 3 - static_cast<int>(sr);
    const bool present = a >= off;
    g.in[a] = present ? x.shape[2 + a - off] : 1;
    g.out[a] = present ? y.shape[2 + a - off] : 1;
    g.k[a] = present ? p.kernel[a - off] : 1;
    g.s[a] = present ? p.stride[a - off] : 1;
    g.d[a] = present ? p.dilation[a - off] : 1;
    g.pb[a] = present ? p.pad_begin[a - off] : 0;
  }
  return g;
}

// The exact loss's quadratic form runs over fixed chunks of rows, the chunks in parallel: each
// chunk's arithmetic depends only on the problem's size, never on the thread count.
int64_t chunk_for(int64_t n) { return n < 1024 ? 16 : n < 4096 ? 32 : 64; }
constexpr int64_t kParallelFrom = 256;  // below this order one thread is faster

}  // namespace

namespace {

// One row of the transposed im2col tile: for tap `col` = (c, a, b, e) of the kernel, the input
// value feeding each of the tile's output positions t0 .. t0+pt−1 (0 where padding feeds it).
// Positions run along the output's W axis, so for a plain convolution each run of positions is a
// strided (stride 1: contiguous) read of one input row, with the padded ends zeroed.
void im2col_row(const Geometry& g, bool transposed, const float* x, int64_t col, int64_t t0,
                int64_t pt, float* dst) {
  const int64_t e = col % g.k[2], b = (col / g.k[2]) % g.k[1], a = (col / (g.k[2] * g.k[1])) % g.k[0];
  const int64_t c = col / (g.k[2] * g.k[1] * g.k[0]);
  const int64_t osp = g.out[0] * g.out[1] * g.out[2];
  // Source index along axis ax for output o (−1 when no input feeds it).
  auto src = [&](int ax, int64_t o, int64_t t) -> int64_t {
    if (!transposed) {
      const int64_t z = o * g.s[ax] - g.pb[ax] + t * g.d[ax];
      return z >= 0 && z < g.in[ax] ? z : -1;
    }
    const int64_t num = o + g.pb[ax] - t * g.d[ax];
    if (num < 0 || num % g.s[ax]) return -1;
    const int64_t z = num / g.s[ax];
    return z < g.in[ax] ? z : -1;
  };
  int64_t j = 0;
  while (j < pt) {
    const int64_t pos = t0 + j, n = pos / osp, r = pos % osp;
    const int64_t ow0 = r % g.out[2], oh = (r / g.out[2]) % g.out[1], od = r / (g.out[2] * g.out[1]);
    const int64_t run = std::min(pt - j, g.out[2] - ow0);  // positions left on this output row
    float* out = dst + j;
    const int64_t zd = src(0, od, a), zh = src(1, oh, b);
    if (zd < 0 || zh < 0) {
      std::fill(out, out + run, 0.f);
    } else {
      const float* row = x + (((n * g.c1 + c) * g.in[0] + zd) * g.in[1] + zh) * g.in[2];
      if (!transposed) {
        // zw = ow·s − pb + e·d lies in [0, in) for ow in [lo, hi).
        const int64_t s2 = g.s[2], off = e * g.d[2] - g.pb[2];
        const int64_t lo = std::clamp<int64_t>(off >= 0 ? 0 : (-off + s2 - 1) / s2, ow0, ow0 + run);
        const int64_t hi = std::clamp<int64_t>(g.in[2] - off > 0 ? (g.in[2] - off + s2 - 1) / s2 : 0, lo, ow0 + run);
        std::fill(out, out + (lo - ow0), 0.f);
        if (s2 == 1) {
          std::copy(row + lo + off, row + hi + off, out + (lo - ow0));
        } else {
          for (int64_t ow = lo; ow < hi; ++ow) out[ow - ow0] = row[ow * s2 + off];
        }
        std::fill(out + (hi - ow0), out + run, 0.f);
      } else {
        for (int64_t q = 0; q < run; ++q) {
          const int64_t zw = src(2, ow0 + q, e);
          out[q] = zw >= 0 ? row[zw] : 0.f;
        }
      }
    }
    j += run;
  }
}

}  // namespace

void CpuBackend::gram_accumulate(const WindowParams& p, const Tensor& x, const Tensor& y,
                                 const float* h, GramStats& st) {
  const ScopedThreads scope(threads_);
  if (p.group != 1) fail(ErrorCode::kUnsupported, "Gram statistics of a grouped convolution");
  const Geometry g = geometry(p, x, y);
  const int64_t c2 = y.shape[1];
  const int64_t ksp = g.k[0] * g.k[1] * g.k[2];
  const int64_t k1 = g.c1 * ksp + 1;
  if (st.k1 != k1 || st.c2 != c2) st.reset(k1, c2);
  const int64_t osp = g.out[0] * g.out[1] * g.out[2];
  const int64_t positions = g.n * osp;
  // Reused tile buffers, transposed im2col: X (k1 × tile, row = kernel tap, the last row ones),
  // Xh (X with each column scaled by the attention h), Y (c2 × tile).
  const int64_t kTile = tile_for(k1);
  // Keep the rows √h·x̃ while they are few and all kept so far (GramStats::rows).
  bool keep_rows = 4 * (st.count + positions) <= k1 && (st.count == 0 || st.has_rows());
  for (int64_t j = 0; keep_rows && h && j < positions; ++j) keep_rows = h[j] >= 0;
  if (keep_rows) st.rows.reserve(static_cast<size_t>((st.count + positions) * k1));
  else st.rows.clear();
  std::vector<float> xt(static_cast<size_t>(kTile * k1)), xh(xt.size()),
      yt(static_cast<size_t>(kTile * c2)), at(static_cast<size_t>(k1 * k1)),
      bt(static_cast<size_t>(c2 * k1));
  for (int64_t t0 = 0; t0 < positions; t0 += kTile) {
    const int64_t pt = std::min(kTile, positions - t0);
#pragma omp parallel for schedule(dynamic, 8)
    for (int64_t col = 0; col < k1; ++col) {
      float* row = xt.data() + col * pt;
      if (col == k1 - 1)
        std::fill(row, row + pt, 1.f);
      else
        im2col_row(g, p.transposed, x.data(), col, t0, pt, row);
      float* rh = xh.data() + col * pt;
      if (h) {
        for (int64_t j = 0; j < pt; ++j) rh[j] = row[j] * h[t0 + j];
      } else {
        std::copy(row, row + pt, rh);
      }
    }
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < c2; ++o) {
      for (int64_t j = 0; j < pt;) {  // one contiguous run per batch item
        const int64_t pos = t0 + j, n = pos / osp, r = pos % osp, run = std::min(pt - j, osp - r);
        const float* src = y.data() + (n * c2 + o) * osp + r;
        std::copy(src, src + run, yt.data() + o * pt + j);
        j += run;
      }
    }
    // A_tile = Xh Xᵀ (k1×k1, symmetric: the upper triangle by row blocks, each block one GEMM
    // from its diagonal on), B_tile = Y Xhᵀ (c2×k1).
    for (int64_t r0 = 0; r0 < k1; r0 += kGramBlock) {
      const int64_t rb = std::min(kGramBlock, k1 - r0);
      tiled_sgemm(false, true, rb, k1 - r0, pt, 1.f, xh.data() + r0 * pt, pt, xt.data() + r0 * pt, pt,
                  0.f, at.data() + r0 * k1 + r0, k1);
      for (int64_t i = r0; i < r0 + rb; ++i)
        for (int64_t j = i; j < k1; ++j) st.A[i * k1 + j] += at[i * k1 + j];
    }
    tiled_sgemm(false, true, c2, k1, pt, 1.f, yt.data(), pt, xh.data(), pt, 0.f, bt.data(), k1);
    for (size_t q = 0; q < bt.size(); ++q) st.B[q] += bt[q];
    if (keep_rows) {  // the tile's positions as rows, each scaled by √h
      const size_t base = st.rows.size();
      st.rows.resize(base + static_cast<size_t>(pt * k1));
      float* dst = st.rows.data() + base;
#pragma omp parallel for schedule(static)
      for (int64_t j = 0; j < pt; ++j) {
        const float sh = h ? std::sqrt(h[t0 + j]) : 1.f;
        for (int64_t col = 0; col < k1; ++col) dst[j * k1 + col] = sh * xt[col * pt + j];
      }
    }
    double yy = 0, hs = 0;
    for (int64_t j = 0; j < pt; ++j) {
      const double w = h ? h[t0 + j] : 1.0;
      hs += w;
      double sq = 0;
      for (int64_t o = 0; o < c2; ++o) sq += double(yt[o * pt + j]) * yt[o * pt + j];
      yy += w * sq;
    }
    st.yy += yy;
    st.hsum += hs;
  }
  for (int64_t i = 0; i < k1; ++i)  // mirror the upper triangle
    for (int64_t j = 0; j < i; ++j) st.A[i * k1 + j] = st.A[j * k1 + i];
  st.count += positions;
}

double CpuBackend::gram_quadratic(const std::vector<double>& a, int64_t n, const double* theta,
                                  int64_t rows) {
  const ScopedThreads scope(threads_);
  if (static_cast<int64_t>(a.size()) != n * n)
    fail(ErrorCode::kInternal, "gram_quadratic: matrix size mismatch");
  const int64_t chunk = chunk_for(n), chunks = (rows + chunk - 1) / chunk;
  std::vector<double> part(static_cast<size_t>(chunks));
  SerialBlas serial;
#pragma omp parallel if (chunks > 1 && n >= kParallelFrom)
  {
    std::vector<double> tg(static_cast<size_t>(chunk * n));
#pragma omp for schedule(dynamic, 1)
    for (int64_t c = 0; c < chunks; ++c) {  // Σ over the chunk's rows of (θ G) ∘ θ
      const int64_t m = std::min(chunk, rows - c * chunk);
      const double* tc = theta + c * chunk * n;
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m),
                  static_cast<int>(n), static_cast<int>(n), 1.0, tc, static_cast<int>(n), a.data(),
                  static_cast<int>(n), 0.0, tg.data(), static_cast<int>(n));
      double s = 0;
      for (int64_t i = 0; i < m * n; ++i) s += tg[static_cast<size_t>(i)] * tc[i];
      part[static_cast<size_t>(c)] = s;
    }
  }
  double quad = 0;
  for (double p : part) quad += p;  // in chunk order
  return quad;
}

void CpuBackend::gram_product(const std::vector<double>& a, int64_t n, const double* theta,
                              int64_t rows, double* out) {
  const ScopedThreads scope(threads_);
  if (static_cast<int64_t>(a.size()) != n * n)
    fail(ErrorCode::kInternal, "gram_product: matrix size mismatch");
  // The same chunks whatever the thread count, each one single-threaded DGEMM.
  const int64_t chunk = chunk_for(n), chunks = (rows + chunk - 1) / chunk;
  SerialBlas serial;
#pragma omp parallel for schedule(dynamic, 1) if (chunks > 1 && n >= kParallelFrom)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t m = std::min(chunk, rows - c * chunk);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(n), 1.0, theta + c * chunk * n, static_cast<int>(n), a.data(),
                static_cast<int>(n), 0.0, out + c * chunk * n, static_cast<int>(n));
  }
}

}  // namespace efq
