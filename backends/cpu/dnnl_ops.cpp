// Convolution, transposed convolution and pooling through oneDNN (2.x or 3.x: dnnl_compat.hpp).
// Activations stay in plain NC[D]HW at the interface; inside, primitives pick their preferred
// (blocked) layouts and weights are reordered once per layer and shape and cached.
#include <oneapi/dnnl/dnnl.hpp>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/dnnl_compat.hpp"
#include "backends/cpu/scratch.hpp"
#include "backends/cpu/threads.hpp"
#include "core/error.hpp"

namespace efq {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

struct CpuBackend::Impl {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  struct Prepared {
    std::string shape_key;
    dnnl::primitive prim;
    memory::desc src_md, dst_md;
    memory weights;  // in the primitive's layout
    memory bias;
  };
  std::mutex mu;
  std::map<const void*, Prepared> cache;
  Scratch src_scratch, dst_scratch;  // reordered source / destination, reused across calls
};

namespace {

memory::dims to_dims(const Shape& s) { return memory::dims(s.begin(), s.end()); }

Tag plain_tag(size_t rank) {
  switch (rank) {
    case 1: return Tag::a;
    case 2: return Tag::ab;
    case 3: return Tag::abc;
    case 4: return Tag::abcd;
    case 5: return Tag::abcde;
    case 6: return Tag::abcdef;
    default: fail(ErrorCode::kUnsupported, "tensor rank " + std::to_string(rank) + " unsupported");
  }
}

memory::dims minus_one(const std::vector<int64_t>& v) {
  memory::dims d(v.begin(), v.end());
  for (auto& x : d) x -= 1;
  return d;
}

std::string key_of(const Shape& x, const Shape& w, const WindowParams& p) {
  std::string k = shape_str(x) + shape_str(w) + "g" + std::to_string(p.group);
  for (auto* v : {&p.stride, &p.dilation, &p.pad_begin, &p.pad_end, &p.output_padding})
    k += shape_str(*v);
  return k;
}

// Fills `pr` from a created primitive descriptor: weights reordered from the user layout `uw_md`
// into the primitive's, bias copied, source/destination layouts and the shape key recorded.
template <typename Primitive>
void prepare(CpuBackend::Impl& im, CpuBackend::Impl::Prepared& pr,
             const typename Primitive::primitive_desc& pd, const memory::desc& uw_md,
             const Tensor& w, const Tensor* b, const memory::desc& bia_md, const std::string& sk) {
  memory uw(uw_md, im.eng, const_cast<float*>(w.data()));
  pr.weights = memory(pd.weights_desc(), im.eng);
  dnnl::reorder(uw, pr.weights).execute(im.strm, uw, pr.weights);
  pr.bias = memory();
  if (b) {
    pr.bias = memory(bia_md, im.eng);
    std::copy(b->f.begin(), b->f.end(), static_cast<float*>(pr.bias.get_data_handle()));
  }
  pr.prim = Primitive(pd);
  pr.src_md = pd.src_desc();
  pr.dst_md = pd.dst_desc();
  pr.shape_key = sk;
}

// Run `prim` on plain src/dst buffers, reordering to/from the primitive's layouts when needed.
void run_prepared(CpuBackend::Impl& im, CpuBackend::Impl::Prepared& pr, const Tensor& x,
                  Tensor& y) {
  memory::desc user_src(to_dims(x.shape), Dt::f32, plain_tag(x.shape.size()));
  memory usrc(user_src, im.eng, const_cast<float*>(x.data()));
  memory src = usrc;
  if (pr.src_md != user_src) {
    src = memory(pr.src_md, im.eng, im.src_scratch.get(pr.src_md.get_size()));
    dnnl::reorder(usrc, src).execute(im.strm, usrc, src);
  }
  const memory::dims dst_dims = dnnl_compat::dims_of(pr.dst_md);
  memory::desc user_dst(dst_dims, Dt::f32, plain_tag(dst_dims.size()));
  memory udst(user_dst, im.eng, y.data());
  memory dst = (pr.dst_md == user_dst) ? udst
                                       : memory(pr.dst_md, im.eng, im.dst_scratch.get(pr.dst_md.get_size()));
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, pr.weights},
                                       {DNNL_ARG_DST, dst}};
  if (pr.bias) args[DNNL_ARG_BIAS] = pr.bias;
  pr.prim.execute(im.strm, args);
  if (dst != udst) dnnl::reorder(dst, udst).execute(im.strm, dst, udst);
  im.strm.wait();
}

}  // namespace

// The thread count is resolved here and applied per call (ScopedThreads), never set on the
// caller's thread: a later backend with the default count gets the default.
CpuBackend::CpuBackend(int threads)
    : impl_(std::make_unique<Impl>()), threads_(threads > 0 ? threads : default_threads()) {}
CpuBackend::~CpuBackend() = default;

void CpuBackend::forget(const void* key) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->cache.erase(key);
  }
  int8_forget(key);
}

void CpuBackend::conv(const void* key, const WindowParams& p, const Tensor& x, const Tensor& w,
                      const Tensor* b, Tensor& y) {
  const ScopedThreads scope(threads_);
  const Shape ys = conv_output_shape(p, x.shape, w.shape[0]);
  y.resize(ys);
  Impl& im = *impl_;
  std::lock_guard<std::mutex> lock(im.mu);
  auto& pr = im.cache[key];
  std::string sk = "conv" + key_of(x.shape, w.shape, p);
  if (pr.shape_key != sk) {
    memory::dims wd = to_dims(w.shape);
    if (p.group > 1) {
      wd[0] /= p.group;
      wd.insert(wd.begin(), p.group);
    }
    auto src_md = memory::desc(to_dims(x.shape), Dt::f32, Tag::any);
    auto wei_md = memory::desc(wd, Dt::f32, Tag::any);
    auto dst_md = memory::desc(to_dims(ys), Dt::f32, Tag::any);
    auto bia_md = memory::desc({w.shape[0]}, Dt::f32, Tag::a);
    memory::dims st(p.stride.begin(), p.stride.end()), pl(p.pad_begin.begin(), p.pad_begin.end()),
        pe(p.pad_end.begin(), p.pad_end.end());
    const auto pd = dnnl_compat::conv_pd(im.eng, src_md, wei_md, b ? &bia_md : nullptr, dst_md,
                                         st, minus_one(p.dilation), pl, pe);
    prepare<dnnl::convolution_forward>(im, pr, pd, memory::desc(wd, Dt::f32, plain_tag(wd.size())),
                                       w, b, bia_md, sk);
  }
  run_prepared(im, pr, x, y);
}

void CpuBackend::conv_transpose(const void* key, const WindowParams& p, const Tensor& x,
                                const Tensor& w, const Tensor* b, Tensor& y) {
  const ScopedThreads scope(threads_);
  const size_t sr = p.kernel.size();
  const int64_t cin = w.shape[0], cout_g = w.shape[1], g = p.group;
  const Shape ys = conv_output_shape(p, x.shape, cout_g * g, /*transposed=*/true);
  memory::dims pe_eff;
  bool grow = false;  // output_padding beyond the end pad: trailing outputs get only the bias
  for (size_t d = 0; d < sr; ++d) {
    int64_t op = p.output_padding.empty() ? 0 : p.output_padding[d];
    pe_eff.push_back(p.pad_end[d] - op);
    if (pe_eff.back() < 0) grow = true;
  }
  if (grow) {
    WindowParams q = p;
    for (size_t d = 0; d < sr; ++d) {
      const int64_t op = p.output_padding.empty() ? 0 : p.output_padding[d];
      q.output_padding[d] = std::min(op, p.pad_end[d]);
    }
    Tensor small;
    conv_transpose(key, q, x, w, b, small);
    y.resize(ys);
    const int64_t nc = ys[0] * ys[1];
    int64_t in3[3] = {1, 1, 1}, out3[3] = {1, 1, 1};
    for (size_t d = 0; d < sr; ++d) {
      in3[3 - sr + d] = small.shape[2 + d];
      out3[3 - sr + d] = ys[2 + d];
    }
    for (int64_t c = 0; c < nc; ++c) {
      const float bias = b ? b->f[c % ys[1]] : 0.f;
      for (int64_t a = 0; a < out3[0]; ++a)
        for (int64_t bb = 0; bb < out3[1]; ++bb)
          for (int64_t e = 0; e < out3[2]; ++e) {
            const bool in = a < in3[0] && bb < in3[1] && e < in3[2];
            y.f[((c * out3[0] + a) * out3[1] + bb) * out3[2] + e] =
                in ? small.f[((c * in3[0] + a) * in3[1] + bb) * in3[2] + e] : bias;
          }
    }
    return;
  }
  y.resize(ys);
  Impl& im = *impl_;
  std::lock_guard<std::mutex> lock(im.mu);
  auto& pr = im.cache[key];
  std::string sk = "deconv" + key_of(x.shape, w.shape, p);
  if (pr.shape_key != sk) {
    // oneDNN wants [G,] O, I, k...; ONNX stores [G*I/G][O/G][k...]: describe it by strides.
    int64_t ksz = 1;
    for (size_t d = 0; d < sr; ++d) ksz *= p.kernel[d];
    const int64_t cin_g = cin / g;
    memory::dims wd, ws;
    if (g > 1) {
      wd = {g, cout_g, cin_g};
      ws = {cin_g * cout_g * ksz, ksz, cout_g * ksz};
    } else {
      wd = {cout_g, cin};
      ws = {ksz, cout_g * ksz};
    }
    int64_t stride = ksz;
    for (size_t d = 0; d < sr; ++d) {
      wd.push_back(p.kernel[d]);
      stride /= p.kernel[d];
      ws.push_back(stride);
    }
    auto src_md = memory::desc(to_dims(x.shape), Dt::f32, Tag::any);
    auto wei_md = memory::desc(wd, Dt::f32, Tag::any);
    auto dst_md = memory::desc(to_dims(ys), Dt::f32, Tag::any);
    auto bia_md = memory::desc({ys[1]}, Dt::f32, Tag::a);
    memory::dims st(p.stride.begin(), p.stride.end()), pl(p.pad_begin.begin(), p.pad_begin.end());
    const auto pd = dnnl_compat::deconv_pd(im.eng, src_md, wei_md, b ? &bia_md : nullptr, dst_md,
                                           st, minus_one(p.dilation), pl, pe_eff);
    prepare<dnnl::deconvolution_forward>(im, pr, pd, memory::desc(wd, Dt::f32, ws), w, b, bia_md,
                                         sk);
  }
  run_prepared(im, pr, x, y);
}

void CpuBackend::pool(PoolKind kind, const WindowParams& p, const Tensor& x, Tensor& y) {
  const ScopedThreads scope(threads_);
  const Shape ys = conv_output_shape(p, x.shape, x.shape[1]);
  y.resize(ys);
  Impl& im = *impl_;
  auto alg = kind == PoolKind::kMax ? dnnl::algorithm::pooling_max
             : kind == PoolKind::kAverageIncludePad
                 ? dnnl::algorithm::pooling_avg_include_padding
                 : dnnl::algorithm::pooling_avg_exclude_padding;
  memory::desc src_md(to_dims(x.shape), Dt::f32, plain_tag(x.shape.size()));
  memory::desc dst_md(to_dims(ys), Dt::f32, plain_tag(ys.size()));
  memory::dims st(p.stride.begin(), p.stride.end()), k(p.kernel.begin(), p.kernel.end()),
      pl(p.pad_begin.begin(), p.pad_begin.end()), pe(p.pad_end.begin(), p.pad_end.end());
  const auto pd =
      dnnl_compat::pool_pd(im.eng, alg, src_md, dst_md, st, k, minus_one(p.dilation), pl, pe);
  memory src(src_md, im.eng, const_cast<float*>(x.data())), dst(dst_md, im.eng, y.data());
  dnnl_compat::PoolingForward(pd).execute(im.strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  im.strm.wait();
}

}  // namespace efq
