// Convolutions and the solver's Gram statistics on the OpenCL backend: 3-D im2col (kernels/ops.cl)
// by tiles of output positions, then CLBlast SGEMM. ConvTranspose is the same GEMM over the
// transposed im2col (each output gathers x[c, (o + pad − t·dil) / stride]), so no scatter.
#include <algorithm>
#include <cmath>

#include "backends/opencl/opencl_backend.hpp"
#include "core/error.hpp"

namespace efq {

std::vector<int64_t> opencl_window_geometry(const WindowParams& p, const Shape& x, const Shape& y);

namespace {

constexpr size_t kF = sizeof(float);

int64_t prod3(const int64_t* v) { return v[0] * v[1] * v[2]; }

// efq_im2col indexes one channel's volume and the output positions in 32 bits.
void check_index_range(const std::vector<int64_t>& g, const std::string& where) {
  const int64_t limit = int64_t{1} << 31;
  if (prod3(g.data()) >= limit || prod3(g.data() + 3) >= limit)
    fail(ErrorCode::kUnsupported, "a convolution whose spatial volume has 2^31 or more voxels on " +
                                      where);
}

// Output positions per im2col tile: at most ~`floats` floats of columns, at least 256 positions.
int64_t tile_for(int64_t rows, int64_t positions, int64_t floats) {
  return std::max<int64_t>(1, std::min(positions, std::max<int64_t>(256, floats / rows)));
}

std::string shape_key(const char* kind, const Shape& w, bool bias) {
  return std::string(kind) + shape_str(w) + (bias ? "b" : "");
}

}  // namespace

OpenClBackend::Layer& OpenClBackend::layer(const void* key, const std::string& sk, bool& fresh) {
  Layer& l = layers_[key];
  fresh = l.shape_key != sk;
  l.shape_key = sk;
  return l;
}

void OpenClBackend::conv_gemm(const WindowParams& p, const Shape& xs, cl_mem x, cl_mem wmat,
                              int64_t cout, cl_mem bias, bool transposed, Tensor& y) {
  const Shape ys = conv_output_shape(p, xs, cout, transposed);
  const std::vector<int64_t> g = opencl_window_geometry(p, xs, ys);
  check_index_range(g, where());
  const int64_t groups = p.group, cin = xs[1];
  if (groups < 1 || cin % groups || cout % groups)
    fail(ErrorCode::kInvalidArgument, "convolution with " + std::to_string(cin) + " inputs, " +
                                          std::to_string(cout) + " outputs in " +
                                          std::to_string(groups) + " groups");
  const int64_t cg = cin / groups, og = cout / groups, ksp = prod3(g.data() + 6);
  const int64_t kk = cg * ksp, isp = prod3(g.data()), osp = prod3(g.data() + 3);
  const int64_t total = ys[0] * cout * osp;
  cl_mem by = scratch(kY, total * kF), bm = scratch(kMeta, g.size() * sizeof(int64_t));
  upload(bm, g.data(), g.size() * sizeof(int64_t));
  const cl_int has_bias = bias != nullptr;
  cl_mem bias_arg = bias ? bias : bm;  // any valid buffer when there is none (never read)
  launch("efq_fill_channels",
         total, {karg(by), karg(bias_arg), karg(total), karg(osp), karg(cout), karg(has_bias)});
  const int64_t tile = tile_for(kk, osp, int64_t{1} << 24);
  cl_mem col = scratch(kCol, static_cast<size_t>(kk * tile) * kF);
  const cl_int tr = transposed, ones = 0;
  for (int64_t n = 0; n < xs[0]; ++n)
    for (int64_t gi = 0; gi < groups; ++gi)
      for (int64_t p0 = 0; p0 < osp; p0 += tile) {
        const int64_t pt = std::min(tile, osp - p0), xoff = (n * cin + gi * cg) * isp;
        launch2("efq_im2col", pt, cg,
                {karg(x), karg(xoff), karg(col), karg(bm), karg(p0), karg(pt), karg(cg), karg(tr),
                 karg(ones)});
        sgemm(false, false, og, pt, kk, 1.f, wmat, gi * og * kk, kk, col, 0, pt, 1.f, by,
              (n * cout + gi * og) * osp + p0, osp);
      }
  y.resize(ys);
}

void OpenClBackend::conv(const void* key, const WindowParams& p, const Tensor& x, const Tensor& w,
                         const Tensor* b, Tensor& y) {
  bool fresh = false;
  Layer& l = layer(key, shape_key("conv", w.shape, b), fresh);
  if (fresh) {  // [O, C/g, k...] is already (per group) the O/g × (C/g·taps) GEMM operand
    upload(l.weights.ensure(context(), w.numel() * kF, "conv weights"), w.data(), w.numel() * kF);
    if (b) upload(l.bias.ensure(context(), b->numel() * kF, "conv bias"), b->data(), b->numel() * kF);
  }
  cl_mem bx = scratch(kX, x.numel() * kF);
  upload(bx, x.data(), x.numel() * kF);
  Tensor out;
  conv_gemm(p, x.shape, bx, l.weights.get(), w.shape[0], b ? l.bias.get() : nullptr, false, out);
  download(scratch(kY, 0), out.data(), out.numel() * kF);
  y = std::move(out);
}

void OpenClBackend::conv_transpose(const void* key, const WindowParams& p, const Tensor& x,
                                   const Tensor& w, const Tensor* b, Tensor& y) {
  const int64_t groups = p.group, cin = w.shape[0], og = w.shape[1];
  const int64_t ksp = w.numel() / std::max<int64_t>(cin * og, 1), cg = cin / groups;
  bool fresh = false;
  Layer& l = layer(key, shape_key("deconv", w.shape, b), fresh);
  if (fresh) {  // ONNX [C, O/g, k...] → per group (O/g) × (C/g·taps): w[g·cg + c, o, t]
    std::vector<float> m(static_cast<size_t>(w.numel()));
    for (int64_t gi = 0; gi < groups; ++gi)
      for (int64_t o = 0; o < og; ++o)
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t t = 0; t < ksp; ++t)
            m[((gi * og + o) * cg + c) * ksp + t] = w.f[((gi * cg + c) * og + o) * ksp + t];
    upload(l.weights.ensure(context(), m.size() * kF, "deconv weights"), m.data(), m.size() * kF);
    if (b) upload(l.bias.ensure(context(), b->numel() * kF, "deconv bias"), b->data(), b->numel() * kF);
  }
  cl_mem bx = scratch(kX, x.numel() * kF);
  upload(bx, x.data(), x.numel() * kF);
  Tensor out;
  conv_gemm(p, x.shape, bx, l.weights.get(), og * groups, b ? l.bias.get() : nullptr, true, out);
  download(scratch(kY, 0), out.data(), out.numel() * kF);
  y = std::move(out);
}

// The integer codes of weights and activations are exact in float, so the GEMM sums integers
// (exactly while |Σ| < 2^24, i.e. for up to ~500 taps at 8 bits; beyond, float rounding), then
// y = acc · x_scale · w_scale[o] + bias[o]. No int8 GEMM: this is the float fallback the issue
// allows for a backend without int8 chains.
void OpenClBackend::conv_int8(const void* key, const WindowParams& p, const Tensor& x,
                              const Int8Conv& w, Tensor& y) {
  if (p.group != 1) fail(ErrorCode::kUnsupported, "int8 grouped convolution");
  const int64_t co = w.weight_shape[0];
  bool fresh = false;
  Layer& l = layer(key, shape_key("int8", w.weight_shape, true) + std::to_string(w.x_scale), fresh);
  if (fresh) {
    std::vector<float> codes(w.codes.begin(), w.codes.end()), scale(static_cast<size_t>(co));
    for (int64_t o = 0; o < co; ++o) scale[o] = w.x_scale * w.weight_scale[o];
    upload(l.weights.ensure(context(), codes.size() * kF, "int8 weights"), codes.data(),
           codes.size() * kF);
    upload(l.scale.ensure(context(), co * kF, "int8 scales"), scale.data(), co * kF);
    upload(l.bias.ensure(context(), co * kF, "int8 bias"), w.bias.data(), co * kF);
  }
  const int64_t n = x.numel();
  cl_mem bx = scratch(kX, n * kF), bq = scratch(kAux, n * kF);
  upload(bx, x.data(), n * kF);
  const float lo = static_cast<float>(w.x_qmin), hi = static_cast<float>(w.x_qmax);
  launch("efq_quantize", n, {karg(bx), karg(bq), karg(n), karg(w.x_scale), karg(lo), karg(hi)});
  Tensor out;
  conv_gemm(p, x.shape, bq, l.weights.get(), co, nullptr, false, out);
  const int64_t total = out.numel(), inner = total / std::max<int64_t>(out.shape[0] * co, 1);
  cl_mem by = scratch(kY, 0), bs = l.scale.get(), bb = l.bias.get();
  launch("efq_channel_affine",
         total, {karg(by), karg(by), karg(bs), karg(bb), karg(total), karg(inner), karg(co)});
  download(by, out.data(), total * kF);
  y = std::move(out);
}

void OpenClBackend::gram_accumulate(const WindowParams& p, const Tensor& x, const Tensor& y,
                                    const float* h, GramStats& st) {
  if (p.group != 1) fail(ErrorCode::kUnsupported, "Gram statistics of a grouped convolution");
  const std::vector<int64_t> g = opencl_window_geometry(p, x.shape, y.shape);
  check_index_range(g, where());
  const int64_t c1 = x.shape[1], c2 = y.shape[1], nimg = x.shape[0];
  const int64_t k1 = c1 * prod3(g.data() + 6) + 1, isp = prod3(g.data()), osp = prod3(g.data() + 3);
  if (st.k1 != k1 || st.c2 != c2) st.reset(k1, c2);
  const int64_t positions = nimg * osp;
  cl_mem bx = scratch(kX, x.numel() * kF), by = scratch(kY, y.numel() * kF),
         bm = scratch(kMeta, g.size() * sizeof(int64_t));
  upload(bx, x.data(), x.numel() * kF);
  upload(by, y.data(), y.numel() * kF);
  upload(bm, g.data(), g.size() * sizeof(int64_t));
  cl_mem bh = nullptr;
  if (h) upload(bh = scratch(kAux, positions * kF), h, positions * kF);
  // Short tiles: CLBlast sums a GEMM's K positions one after another in float (error growing
  // with K), and the layer loss θAθᵀ − 2Bθ + yy cancels to ~1e-5 of yy; tiles of kTile positions
  // are summed in double (on the device with cl_khr_fp64, else on the host).
  constexpr int64_t kTile = 512;
  const int64_t tile = std::min(osp, kTile);
  cl_mem col = scratch(kCol, static_cast<size_t>(k1 * tile) * kF);
  cl_mem colh = h ? scratch(kColH, static_cast<size_t>(k1 * tile) * kF) : col;
  const int64_t na = k1 * k1, nb = c2 * k1;
  cl_mem ba = scratch(kA, static_cast<size_t>(na) * kF), bb = scratch(kB, static_cast<size_t>(nb) * kF);
  cl_mem acc_a = nullptr, acc_b = nullptr;
  std::vector<double> sum_a, sum_b;
  if (fp64()) {
    acc_a = scratch(kAccA, static_cast<size_t>(na) * sizeof(double));
    acc_b = scratch(kAccB, static_cast<size_t>(nb) * sizeof(double));
    sum_a.assign(static_cast<size_t>(na), 0.0);
    sum_b.assign(static_cast<size_t>(nb), 0.0);
    upload(acc_a, sum_a.data(), sum_a.size() * sizeof(double));
    upload(acc_b, sum_b.data(), sum_b.size() * sizeof(double));
  }
  std::vector<float> at, bt;
  const cl_int tr = p.transposed, ones = 1;
  for (int64_t n = 0; n < nimg; ++n)
    for (int64_t p0 = 0; p0 < osp; p0 += tile) {
      const int64_t pt = std::min(tile, osp - p0), xoff = n * c1 * isp;
      launch2("efq_im2col", pt, c1 + 1,
              {karg(bx), karg(xoff), karg(col), karg(bm), karg(p0), karg(pt), karg(c1), karg(tr),
               karg(ones)});
      if (h) {
        const int64_t hoff = n * osp + p0, cnt = k1 * pt;
        launch("efq_scale_cols", cnt, {karg(col), karg(colh), karg(bh), karg(hoff), karg(pt), karg(cnt)});
      }
      // A_tile = Xh·Xᵀ (k1×k1), B_tile = Y_tile·Xhᵀ (c2×k1).
      sgemm(false, true, k1, k1, pt, 1.f, colh, 0, pt, col, 0, pt, 0.f, ba, 0, k1);
      sgemm(false, true, c2, k1, pt, 1.f, by, n * c2 * osp + p0, osp, colh, 0, pt, 0.f, bb, 0, k1);
      if (fp64()) {
        launch("efq_add_double", na, {karg(acc_a), karg(ba), karg(na)});
        launch("efq_add_double", nb, {karg(acc_b), karg(bb), karg(nb)});
      } else {
        at.resize(static_cast<size_t>(na));
        bt.resize(static_cast<size_t>(nb));
        download(ba, at.data(), at.size() * kF);
        download(bb, bt.data(), bt.size() * kF);
        for (int64_t i = 0; i < k1; ++i)
          for (int64_t j = i; j < k1; ++j) st.A[i * k1 + j] += at[i * k1 + j];
        for (size_t q = 0; q < bt.size(); ++q) st.B[q] += bt[q];
      }
    }
  if (fp64()) {  // the upper triangle (mirrored below, as the CPU)
    download(acc_a, sum_a.data(), sum_a.size() * sizeof(double));
    download(acc_b, sum_b.data(), sum_b.size() * sizeof(double));
    for (int64_t i = 0; i < k1; ++i)
      for (int64_t j = i; j < k1; ++j) st.A[i * k1 + j] += sum_a[i * k1 + j];
    for (size_t q = 0; q < sum_b.size(); ++q) st.B[q] += sum_b[q];
  }
  double yy = 0, hs = 0;  // Σ h·||y||², Σ h in double, position by position as the CPU
  for (int64_t pos = 0; pos < positions; ++pos) {
    const double wv = h ? h[pos] : 1.0;
    const int64_t n = pos / osp, j = pos % osp;
    hs += wv;
    for (int64_t o = 0; o < c2; ++o) {
      const double v = y.f[(n * c2 + o) * osp + j];
      yy += wv * v * v;
    }
  }
  st.yy += yy;
  st.hsum += hs;
  for (int64_t i = 0; i < k1; ++i)
    for (int64_t j = 0; j < i; ++j) st.A[i * k1 + j] = st.A[j * k1 + i];
  st.count += positions;
}

}  // namespace efq
