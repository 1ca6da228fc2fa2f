// Memory-bound inference operations of the OpenCL backend (kernels/ops.cl): elementwise, PRelu,
// per-channel affine, pooling, instance normalization, softmax, resize, concat, mean.
#include <algorithm>

#include "backends/cpu/resize_map.hpp"
#include "backends/opencl/opencl_backend.hpp"
#include "core/error.hpp"

namespace efq {

namespace {

constexpr size_t kF = sizeof(float);

Shape broadcast_shape(const Shape& a, const Shape& b) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t k = 0; k < r; ++k) {
    const int64_t da = k + a.size() >= r ? a[k + a.size() - r] : 1;
    const int64_t db = k + b.size() >= r ? b[k + b.size() - r] : 1;
    if (da != db && da != 1 && db != 1)
      fail(ErrorCode::kInvalidArgument,
           "shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast");
    out[k] = da == 1 ? db : da;
  }
  return out;
}

// Strides of `s` inside the broadcast shape `out`, right-aligned to rank 6 (0 on broadcast axes).
void strides6(const Shape& s, const Shape& out, int64_t* st) {
  std::fill(st, st + 6, 0);
  int64_t acc = 1;
  for (size_t k = 0; k < s.size(); ++k) {
    const size_t i = s.size() - 1 - k;
    st[5 - k] = s[i] == 1 ? 0 : acc;
    acc *= s[i];
  }
  (void)out;
}

void dims6(const Shape& s, int64_t* d) {
  if (s.size() > 6) fail(ErrorCode::kUnsupported, "a rank-" + std::to_string(s.size()) + " tensor");
  std::fill(d, d + 6, 1);
  for (size_t k = 0; k < s.size(); ++k) d[6 - s.size() + k] = s[k];
}

// Pool/conv geometry of kernels/ops.cl: in[3], out[3], k[3], stride[3], dilation[3], pad_begin[3],
// the spatial axes right-aligned to 3 (missing axes size 1).
std::vector<int64_t> geometry(const WindowParams& p, const Shape& x, const Shape& y) {
  std::vector<int64_t> g(18, 1);
  const size_t sr = p.kernel.size(), off = 3 - sr;
  if (sr < 1 || sr > 3) fail(ErrorCode::kUnsupported, std::to_string(sr) + "-D window");
  for (int a = 0; a < 3; ++a) g[15 + a] = 0;
  for (size_t d = 0; d < sr; ++d) {
    g[off + d] = x[2 + d];
    g[3 + off + d] = y[2 + d];
    g[6 + off + d] = p.kernel[d];
    g[9 + off + d] = p.stride[d];
    g[12 + off + d] = p.dilation[d];
    g[15 + off + d] = p.pad_begin[d];
  }
  return g;
}

}  // namespace

std::vector<int64_t> opencl_window_geometry(const WindowParams& p, const Shape& x, const Shape& y) {
  return geometry(p, x, y);
}

void OpenClBackend::unary(UnaryKind kind, float alpha, float beta, const Tensor& x, Tensor& y) {
  const int64_t n = x.numel();
  cl_mem bx = scratch(kX, n * kF), by = scratch(kY, n * kF);
  upload(bx, x.data(), n * kF);
  y.resize(x.shape);
  const cl_int k = static_cast<cl_int>(kind);
  launch("efq_unary_f", n, {karg(bx), karg(by), karg(n), karg(k), karg(alpha), karg(beta)});
  download(by, y.data(), n * kF);
}

void OpenClBackend::binary(BinaryKind kind, const Tensor& a, const Tensor& b, Tensor& y) {
  const Shape out = broadcast_shape(a.shape, b.shape);
  int64_t meta[18];
  dims6(out, meta);
  strides6(a.shape, out, meta + 6);
  strides6(b.shape, out, meta + 12);
  const int64_t n = shape_numel(out);
  cl_mem ba = scratch(kA, a.numel() * kF), bb = scratch(kB, b.numel() * kF),
         by = scratch(kY, n * kF), bm = scratch(kMeta, sizeof meta);
  upload(ba, a.data(), a.numel() * kF);
  upload(bb, b.data(), b.numel() * kF);
  upload(bm, meta, sizeof meta);
  const cl_int k = static_cast<cl_int>(kind);
  launch("efq_binary_f", n, {karg(ba), karg(bb), karg(by), karg(bm), karg(n), karg(k)});
  y.resize(out);  // after the uploads: y may be a or b
  download(by, y.data(), n * kF);
}

void OpenClBackend::prelu(const Tensor& x, const Tensor& slope, Tensor& y) {
  const Shape out = broadcast_shape(x.shape, slope.shape);
  if (out != x.shape)
    fail(ErrorCode::kInvalidArgument, "PRelu slope " + shape_str(slope.shape) +
                                          " does not broadcast to input " + shape_str(x.shape));
  int64_t meta[18];
  dims6(out, meta);
  strides6(x.shape, out, meta + 6);
  strides6(slope.shape, out, meta + 12);
  const int64_t n = x.numel();
  cl_mem ba = scratch(kA, n * kF), bb = scratch(kB, slope.numel() * kF), by = scratch(kY, n * kF),
         bm = scratch(kMeta, sizeof meta);
  upload(ba, x.data(), n * kF);
  upload(bb, slope.data(), slope.numel() * kF);
  upload(bm, meta, sizeof meta);
  const cl_int k = 7;  // efq_binary's PRelu
  launch("efq_binary_f", n, {karg(ba), karg(bb), karg(by), karg(bm), karg(n), karg(k)});
  y.resize(out);
  download(by, y.data(), n * kF);
}

void OpenClBackend::channel_affine(const Tensor& x, const std::vector<float>& scale,
                                   const std::vector<float>& shift, Tensor& y) {
  const int64_t n = x.numel(), c = x.shape[1];
  const int64_t inner = n / std::max<int64_t>(x.shape[0] * c, 1);
  if (static_cast<int64_t>(scale.size()) < c || static_cast<int64_t>(shift.size()) < c)
    fail(ErrorCode::kInvalidArgument, "channel_affine: fewer scales than channels");
  cl_mem bx = scratch(kX, n * kF), by = scratch(kY, n * kF), bs = scratch(kA, c * kF),
         bt = scratch(kB, c * kF);
  upload(bx, x.data(), n * kF);
  upload(bs, scale.data(), c * kF);
  upload(bt, shift.data(), c * kF);
  launch("efq_channel_affine",
         n, {karg(bx), karg(by), karg(bs), karg(bt), karg(n), karg(inner), karg(c)});
  y.resize(x.shape);
  download(by, y.data(), n * kF);
}

void OpenClBackend::pool(PoolKind kind, const WindowParams& p, const Tensor& x, Tensor& y) {
  const Shape ys = conv_output_shape(p, x.shape, x.shape[1]);
  const std::vector<int64_t> g = geometry(p, x.shape, ys);
  const int64_t n = shape_numel(ys);
  cl_mem bx = scratch(kX, x.numel() * kF), by = scratch(kY, n * kF),
         bm = scratch(kMeta, g.size() * sizeof(int64_t));
  upload(bx, x.data(), x.numel() * kF);
  upload(bm, g.data(), g.size() * sizeof(int64_t));
  const cl_int k = kind == PoolKind::kMax ? 0 : kind == PoolKind::kAverageIncludePad ? 1 : 2;
  launch("efq_pool", n, {karg(bx), karg(by), karg(bm), karg(n), karg(k)});
  y.resize(ys);
  download(by, y.data(), n * kF);
}

void OpenClBackend::instance_norm(const Tensor& x, const Tensor& scale, const Tensor& bias,
                                  float eps, Tensor& y) {
  const int64_t n = x.numel(), c = x.shape[1], nc = x.shape[0] * c;
  const int64_t inner = n / std::max<int64_t>(nc, 1);
  cl_mem bx = scratch(kX, n * kF), by = scratch(kY, n * kF), bs = scratch(kA, c * kF),
         bb = scratch(kB, c * kF);
  upload(bx, x.data(), n * kF);
  upload(bs, scale.data(), c * kF);
  upload(bb, bias.data(), c * kF);
  launch_groups("efq_instance_norm", nc,
                {karg(bx), karg(by), karg(bs), karg(bb), karg(inner), karg(c), karg(eps)});
  y.resize(x.shape);
  download(by, y.data(), n * kF);
}

void OpenClBackend::softmax(const Tensor& x, int64_t axis, Tensor& y) {
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= x.shape[k];
  for (int64_t k = axis + 1; k < x.rank(); ++k) inner *= x.shape[k];
  const int64_t len = x.shape[axis], n = x.numel();
  cl_mem bx = scratch(kX, n * kF), by = scratch(kY, n * kF);
  upload(bx, x.data(), n * kF);
  launch("efq_softmax", outer * inner, {karg(bx), karg(by), karg(outer), karg(len), karg(inner)});
  y.resize(x.shape);  // after the upload: softmax(y, 1, y) runs in place
  download(by, y.data(), n * kF);
}

void OpenClBackend::resize(const ResizeParams& p, const Tensor& x, const Shape& out_shape,
                           Tensor& y) {
  const int64_t r = x.rank();
  if (r < 3 || r > 5 || static_cast<int64_t>(out_shape.size()) != r)
    fail(ErrorCode::kUnsupported, "Resize of a rank-" + std::to_string(r) + " tensor");
  if (out_shape[0] != x.shape[0] || out_shape[1] != x.shape[1])
    fail(ErrorCode::kUnsupported, "Resize that changes the batch or channel axis");
  int64_t in3[3] = {1, 1, 1}, out3[3] = {1, 1, 1};
  double sc3[3] = {1, 1, 1};
  for (int64_t k = 2; k < r; ++k) {
    in3[k - 2 + (5 - r)] = x.shape[k];
    out3[k - 2 + (5 - r)] = out_shape[k];
    sc3[k - 2 + (5 - r)] = p.scales[k];
  }
  std::vector<int64_t> idx;
  std::vector<float> wt;
  for (int a = 0; a < 3; ++a) {  // i0 then i1 of each axis; the weights of each axis
    const AxisMap m = axis_map(p, in3[a], out3[a], sc3[a]);
    idx.insert(idx.end(), m.i0.begin(), m.i0.end());
    idx.insert(idx.end(), m.i1.begin(), m.i1.end());
    wt.insert(wt.end(), m.w1.begin(), m.w1.end());
  }
  const int64_t n = shape_numel(out_shape);
  cl_mem bx = scratch(kX, x.numel() * kF), by = scratch(kY, n * kF),
         bi = scratch(kMeta, idx.size() * sizeof(int64_t)), bw = scratch(kAux, wt.size() * kF);
  upload(bx, x.data(), x.numel() * kF);
  upload(bi, idx.data(), idx.size() * sizeof(int64_t));
  upload(bw, wt.data(), wt.size() * kF);
  const cl_int linear = p.mode == ResizeMode::kLinear;
  launch("efq_resize", n,
         {karg(bx), karg(by), karg(bi), karg(bw), karg(in3[0]), karg(in3[1]), karg(in3[2]),
          karg(out3[0]), karg(out3[1]), karg(out3[2]), karg(n), karg(linear)});
  y.resize(out_shape);
  download(by, y.data(), n * kF);
}

void OpenClBackend::concat(const std::vector<const Tensor*>& xs, int64_t axis, Tensor& y) {
  Shape out = xs.at(0)->shape;
  out[axis] = 0;
  for (const Tensor* t : xs) {
    if (t->rank() != static_cast<int64_t>(out.size()))
      fail(ErrorCode::kInvalidArgument, "Concat inputs of different rank");
    for (int64_t k = 0; k < t->rank(); ++k)
      if (k != axis && t->shape[k] != out[k])
        fail(ErrorCode::kInvalidArgument, "Concat inputs " + shape_str(xs[0]->shape) + " and " +
                                              shape_str(t->shape) + " differ off the axis");
    out[axis] += t->shape[axis];
  }
  int64_t inner = 1;
  for (size_t k = axis + 1; k < out.size(); ++k) inner *= out[k];
  const int64_t row = out[axis] * inner, total = shape_numel(out);
  cl_mem by = scratch(kY, total * kF);
  int64_t off = 0;
  for (const Tensor* t : xs) {
    const int64_t chunk = t->shape[axis] * inner, n = t->numel();
    cl_mem bx = scratch(kX, n * kF);
    upload(bx, t->data(), n * kF);  // blocking: the slot is free again for the next input
    launch("efq_copy_rows", n, {karg(bx), karg(by), karg(chunk), karg(row), karg(off), karg(n)});
    finish();
    off += chunk;
  }
  y.resize(out);
  download(by, y.data(), total * kF);
}

void OpenClBackend::reduce_mean(const Tensor& x, const std::vector<int64_t>& axes, Tensor& y) {
  Shape out = x.shape;
  std::vector<bool> red(x.shape.size(), false);
  for (int64_t a : axes) {
    red[a] = true;
    out[a] = 1;
  }
  // meta: out dims, kept strides, reduced extents, reduced strides (all right-aligned to rank 6).
  int64_t meta[24];
  std::fill(meta, meta + 24, 0);
  dims6(out, meta);
  std::fill(meta + 12, meta + 18, 1);
  int64_t stride = 1;
  const size_t r = x.shape.size();
  for (size_t k = r; k-- > 0;) {
    const size_t s = 6 - r + k;
    if (red[k]) {
      meta[12 + s] = x.shape[k];
      meta[18 + s] = stride;
    } else {
      meta[6 + s] = stride;
    }
    stride *= x.shape[k];
  }
  const int64_t n = shape_numel(out);
  const int64_t count = x.numel() / std::max<int64_t>(n, 1);
  cl_mem bx = scratch(kX, x.numel() * kF), by = scratch(kY, n * kF),
         bm = scratch(kMeta, sizeof meta);
  upload(bx, x.data(), x.numel() * kF);
  upload(bm, meta, sizeof meta);
  launch("efq_reduce_mean", n, {karg(bx), karg(by), karg(bm), karg(n), karg(count)});
  y = Tensor::zeros(out);
  download(by, y.data(), n * kF);
}

}  // namespace efq
