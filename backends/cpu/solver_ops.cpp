// Dense operations of the layer solver on the CPU: streamed Gram accumulation from im2col tiles
// (tiled OpenBLAS sgemm per tile, double accumulation across tiles) and the exact loss's quadratic form in
// deterministic parallel chunks. The ADMM iterations themselves: admm_system.cpp.
#include <algorithm>

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
  // Reused tile buffers: X (positions × k1, row-major), Xh (X scaled by h), Y (positions × c2).
  const int64_t kTile = tile_for(k1);
  std::vector<float> xt(static_cast<size_t>(kTile * k1)), xh(xt.size()),
      yt(static_cast<size_t>(kTile * c2)), at(static_cast<size_t>(k1 * k1)),
      bt(static_cast<size_t>(c2 * k1));
  for (int64_t t0 = 0; t0 < positions; t0 += kTile) {
    const int64_t pt = std::min(kTile, positions - t0);
#pragma omp parallel for schedule(static)
    for (int64_t j = 0; j < pt; ++j) {
      const int64_t pos = t0 + j;
      const int64_t n = pos / osp;
      int64_t r = pos % osp;
      const int64_t ow = r % g.out[2];
      r /= g.out[2];
      const int64_t oh = r % g.out[1];
      const int64_t od = r / g.out[1];
      float* row = xt.data() + j * k1;
      const float* xn = x.data() + n * g.c1 * g.in[0] * g.in[1] * g.in[2];
      // Source index along one axis for output o and tap t (−1 when no input feeds it).
      auto src = [&](int a, int64_t o, int64_t t) -> int64_t {
        if (!p.transposed) {
          const int64_t z = o * g.s[a] - g.pb[a] + t * g.d[a];
          return z >= 0 && z < g.in[a] ? z : -1;
        }
        const int64_t num = o + g.pb[a] - t * g.d[a];
        if (num < 0 || num % g.s[a]) return -1;
        const int64_t z = num / g.s[a];
        return z < g.in[a] ? z : -1;
      };
      int64_t col = 0;
      for (int64_t c = 0; c < g.c1; ++c)
        for (int64_t a = 0; a < g.k[0]; ++a) {
          const int64_t zd = src(0, od, a);
          for (int64_t b = 0; b < g.k[1]; ++b) {
            const int64_t zh = src(1, oh, b);
            for (int64_t e = 0; e < g.k[2]; ++e, ++col) {
              const int64_t zw = src(2, ow, e);
              const bool in = zd >= 0 && zh >= 0 && zw >= 0;
              row[col] = in ? xn[((c * g.in[0] + zd) * g.in[1] + zh) * g.in[2] + zw] : 0.f;
            }
          }
        }
      row[k1 - 1] = 1.f;
      const float w = h ? h[pos] : 1.f;
      float* rh = xh.data() + j * k1;
      for (int64_t q = 0; q < k1; ++q) rh[q] = row[q] * w;
      for (int64_t o = 0; o < c2; ++o) yt[j * c2 + o] = y.data()[(n * c2 + o) * osp + (pos % osp)];
    }
    // A_tile = Xhᵀ X (k1×k1, symmetric: the upper triangle by row blocks, each block one sgemm
    // from its diagonal on), B_tile = Yᵀ Xh (c2×k1); row-major sgemm.
    for (int64_t r0 = 0; r0 < k1; r0 += kGramBlock) {
      const int64_t rb = std::min(kGramBlock, k1 - r0);
      tiled_sgemm(true, false, rb, k1 - r0, pt, 1.f, xh.data() + r0, k1, xt.data() + r0, k1, 0.f,
                  at.data() + r0 * k1 + r0, k1);
      for (int64_t i = r0; i < r0 + rb; ++i)
        for (int64_t j = i; j < k1; ++j) st.A[i * k1 + j] += at[i * k1 + j];
    }
    tiled_sgemm(true, false, c2, k1, pt, 1.f, yt.data(), c2, xh.data(), k1, 0.f, bt.data(), k1);
    for (size_t q = 0; q < bt.size(); ++q) st.B[q] += bt[q];
    double yy = 0, hs = 0;
    for (int64_t j = 0; j < pt; ++j) {
      const double w = h ? h[t0 + j] : 1.0;
      hs += w;
      for (int64_t o = 0; o < c2; ++o) yy += w * double(yt[j * c2 + o]) * yt[j * c2 + o];
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

}  // namespace efq
