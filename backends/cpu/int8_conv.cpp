// Real int8 convolution on oneDNN (2.x or 3.x: dnnl_compat.hpp): u8/s8 activations × s8 weights,
// s32 accumulation, per-output-channel scales, f32 output with the bias folded in.
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <unordered_map>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/dnnl_compat.hpp"
#include "backends/cpu/scratch.hpp"
#include "backends/cpu/threads.hpp"
#include "core/activation_quant.hpp"
#include "core/error.hpp"

namespace efq {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

namespace {

struct Int8Prepared {
  std::string shape_key;
  dnnl::convolution_forward prim;
  memory::desc src_md, dst_md;
  memory weights, bias;
  memory scales;  // oneDNN 3: the per-output-channel weight scales, an execution argument
  // Without VNNI, oneDNN's 16-bit pair sums saturate for large codes (dnnl_compat.hpp): such a
  // layer runs as a float convolution of the integer codes (exact sums below 2^24), then scale
  // and bias, as the OpenCL backend does.
  bool float_codes = false;
  Tensor codes_f;                  // the weight codes as float, [O, I, k...]
  std::vector<float> out_scale;    // x_scale · w_scale[o]
};

struct Int8Cache {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};  // primitives run on the engine they were made on
  dnnl::stream strm{eng};
  std::mutex mu;
  std::map<const void*, Int8Prepared> layers;
  Scratch codes, src, dst;  // quantized input, its reordered copy, the blocked output: reused
  Tensor codes_x;           // the float-codes fallback's input codes: reused (no page faults)
};

memory::dims dims_of(const Shape& s) { return memory::dims(s.begin(), s.end()); }

Tag plain(size_t rank) {
  return rank == 3 ? Tag::abc : rank == 4 ? Tag::abcd : Tag::abcde;
}

// The input codes as floats, a float convolution with the float codes (cached under the entry's
// address), then y = acc · x_scale · w_scale[o] + bias[o].
void conv_codes_as_float(CpuBackend& be, Int8Prepared& pr, Tensor& xq, const WindowParams& p,
                         const Tensor& x, const Int8Conv& w, const Shape& ys, Tensor& y) {
  const int64_t co = w.weight_shape[0];
  xq.resize(x.shape);
  const float sf = w.x_scale, lo = static_cast<float>(w.x_qmin), hi = static_cast<float>(w.x_qmax);
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) xq.f[i] = activation_code_fast(x.f[i], sf, lo, hi);
  be.conv(&pr, p, xq, pr.codes_f, nullptr, y);
  const int64_t inner = y.numel() / (ys[0] * co);
#pragma omp parallel for schedule(static) if (y.numel() > 65536)
  for (int64_t nc = 0; nc < ys[0] * co; ++nc) {
    const float sc = pr.out_scale[nc % co], b = w.bias[nc % co];
    float* yp = y.data() + nc * inner;
    for (int64_t i = 0; i < inner; ++i) yp[i] = yp[i] * sc + b;
  }
}

}  // namespace

void CpuBackend::conv_int8(const void* key, const WindowParams& p, const Tensor& x, const Int8Conv& w,
                           Tensor& y) {
  const ScopedThreads scope(threads_);
  if (p.group != 1) fail(ErrorCode::kUnsupported, "int8 grouped convolution");
  const int64_t co = w.weight_shape[0];
  const Shape ys = conv_output_shape(p, x.shape, co);
  y.resize(ys);
  if (!int8_cache_) int8_cache_ = std::make_shared<Int8Cache>();
  Int8Cache& cache = *static_cast<Int8Cache*>(int8_cache_.get());
  dnnl::engine& eng = cache.eng;
  dnnl::stream& strm = cache.strm;
  std::lock_guard<std::mutex> lock(cache.mu);
  Int8Prepared& pr = cache.layers[key];
  const std::string sk = shape_str(x.shape) + shape_str(w.weight_shape) + (w.x_unsigned ? "u" : "s") +
                         std::to_string(w.x_scale);
  const Dt src_dt = w.x_unsigned ? Dt::u8 : Dt::s8;
  if (pr.shape_key != sk) {
    int w_max = 0;
    for (int8_t c : w.codes) w_max = std::max(w_max, std::abs(static_cast<int>(c)));
    const int64_t x_max = w.x_unsigned ? w.x_qmax : w.x_qmax + 128;  // s8 sources get +128
    pr.float_codes = !dnnl_compat::int8_exact_accumulation() && 2 * x_max * w_max > 32767;
    if (pr.float_codes) {
      pr.codes_f.resize(w.weight_shape);
      for (size_t i = 0; i < w.codes.size(); ++i) pr.codes_f.f[i] = static_cast<float>(w.codes[i]);
      pr.out_scale.resize(static_cast<size_t>(co));
      for (int64_t o = 0; o < co; ++o) pr.out_scale[o] = w.x_scale * w.weight_scale[o];
      pr.shape_key = sk;
    }
  }
  if (pr.shape_key != sk) {
    memory::dims st(p.stride.begin(), p.stride.end()), pl(p.pad_begin.begin(), p.pad_begin.end()),
        pe(p.pad_end.begin(), p.pad_end.end()), dl;
    for (int64_t d : p.dilation) dl.push_back(d - 1);
    auto src_md = memory::desc(dims_of(x.shape), src_dt, Tag::any);
    auto wei_md = memory::desc(dims_of(w.weight_shape), Dt::s8, Tag::any);
    auto bia_md = memory::desc({co}, Dt::f32, Tag::a);
    auto dst_md = memory::desc(dims_of(ys), Dt::f32, Tag::any);
    std::vector<float> scales(static_cast<size_t>(co));
    for (int64_t o = 0; o < co; ++o) scales[o] = w.x_scale * w.weight_scale[o];
    dnnl::primitive_attr attr;
#if DNNL_VERSION_MAJOR >= 3
    // oneDNN 3: dst = wei_scale[o] · Σ q_x·q_w + bias[o] (the bias is not scaled); the whole
    // scale x_scale·w_scale[o] goes on the weights (mask bit 0 = output channel), none on src.
    attr.set_scales_mask(DNNL_ARG_WEIGHTS, 1 << 0);
#else
    // oneDNN v2: dst = output_scale[o] · (Σ q_x·q_w + bias'[o]); so bias' = bias / scale.
    attr.set_output_scales(1 << 1, scales);
#endif
    const auto pd =
        dnnl_compat::conv_pd(eng, src_md, wei_md, &bia_md, dst_md, st, dl, pl, pe, &attr);
    memory uw(memory::desc(dims_of(w.weight_shape), Dt::s8, plain(w.weight_shape.size())), eng,
              const_cast<int8_t*>(w.codes.data()));
    pr.weights = memory(pd.weights_desc(), eng);
    dnnl::reorder(uw, pr.weights).execute(strm, uw, pr.weights);
    pr.bias = memory(bia_md, eng);
    float* bp = static_cast<float*>(pr.bias.get_data_handle());
#if DNNL_VERSION_MAJOR >= 3
    // A zero scale gives 0 with the v2 formula; keep that (not the bias) here.
    for (int64_t o = 0; o < co; ++o) bp[o] = scales[o] > 0 ? w.bias[o] : 0.f;
    pr.scales = memory(memory::desc({co}, Dt::f32, Tag::a), eng);
    std::copy(scales.begin(), scales.end(), static_cast<float*>(pr.scales.get_data_handle()));
#else
    for (int64_t o = 0; o < co; ++o) bp[o] = scales[o] > 0 ? w.bias[o] / scales[o] : 0.f;
#endif
    pr.prim = dnnl::convolution_forward(pd);
    pr.src_md = pd.src_desc();
    pr.dst_md = pd.dst_desc();
    pr.shape_key = sk;
  }
  if (pr.float_codes) {
    conv_codes_as_float(*this, pr, cache.codes_x, p, x, w, ys, y);
    return;
  }
  // Quantize the input into the primitive's u8/s8 plain layout, then reorder if it wants another.
  const int64_t n = x.numel();
  uint8_t* q = static_cast<uint8_t*>(cache.codes.get(static_cast<size_t>(n)));
  // Exactly the activation quantizer's arithmetic (EfqFakeQuant: float division, round half to
  // even, clamp), so the executor may skip that node and feed its input here.
  const float sf = w.x_scale;
  const float lo = static_cast<float>(w.x_qmin), hi = static_cast<float>(w.x_qmax);
  if (w.x_unsigned) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) q[i] = static_cast<uint8_t>(static_cast<int>(activation_code_fast(x.f[i], sf, lo, hi)));
  } else {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i)
      q[i] = static_cast<uint8_t>(static_cast<int8_t>(static_cast<int>(activation_code_fast(x.f[i], sf, lo, hi))));
  }
  memory::desc user_src(dims_of(x.shape), src_dt, plain(x.shape.size()));
  memory usrc(user_src, eng, q);
  memory src = usrc;
  if (pr.src_md != user_src) {
    src = memory(pr.src_md, eng, cache.src.get(pr.src_md.get_size()));
    dnnl::reorder(usrc, src).execute(strm, usrc, src);
  }
  memory::desc user_dst(dims_of(ys), Dt::f32, plain(ys.size()));
  memory udst(user_dst, eng, y.data());
  memory dst = pr.dst_md == user_dst ? udst : memory(pr.dst_md, eng, cache.dst.get(pr.dst_md.get_size()));
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, pr.weights},
                                       {DNNL_ARG_BIAS, pr.bias}, {DNNL_ARG_DST, dst}};
#if DNNL_VERSION_MAJOR >= 3
  args[DNNL_ARG_ATTR_SCALES | DNNL_ARG_WEIGHTS] = pr.scales;
#endif
  pr.prim.execute(strm, args);
  if (dst != udst) dnnl::reorder(dst, udst).execute(strm, dst, udst);
  strm.wait();
}

void CpuBackend::int8_forget(const void* key) {
  if (!int8_cache_) return;
  Int8Cache& cache = *static_cast<Int8Cache*>(int8_cache_.get());
  const void* float_key = nullptr;  // the float-codes fallback's cached convolution
  {
    std::lock_guard<std::mutex> lock(cache.mu);
    auto it = cache.layers.find(key);
    if (it == cache.layers.end()) return;
    if (it->second.float_codes) float_key = &it->second;
    cache.layers.erase(it);
  }
  if (float_key) forget(float_key);
}

}  // namespace efq
