// The one place where the CPU backend tells oneDNN 2.x from 3.x (DNNL_VERSION_MAJOR). oneDNN 3
// removed the operation descriptors (`convolution_forward::desc` ...): primitive descriptors are
// built directly, engine first; `pooling_v2_forward` became `pooling_forward`;
// `memory::desc::dims()` became `get_dims()`; int8 output scales became per-argument scales
// passed at execution (see int8_conv.cpp). Everything else the backend uses is the same in both.
// The 2.x branches are the code as it was before the switch (Debian 12's libdnnl-dev 2.6).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <oneapi/dnnl/dnnl_version.h>

#if DNNL_VERSION_MAJOR < 2 || DNNL_VERSION_MAJOR > 3
#error "the CPU backend supports oneDNN 2.x and 3.x"
#endif

namespace efq::dnnl_compat {

using dnnl::memory;

#if DNNL_VERSION_MAJOR >= 3
using PoolingForward = dnnl::pooling_forward;
#else
using PoolingForward = dnnl::pooling_v2_forward;
#endif

inline memory::dims dims_of(const memory::desc& md) {
#if DNNL_VERSION_MAJOR >= 3
  return md.get_dims();
#else
  return md.dims();
#endif
}

/// Whether oneDNN's int8 convolutions on this CPU sum u8·s8 products exactly: with VNNI
/// (vpdpbusd, AVX2-VNNI, AVX-512 VNNI and later) they do; without it (AVX2, AVX-512 without
/// VNNI) adjacent products are added by vpmaddubsw into saturating 16-bit integers, so
/// 2 · max|x code| · max|w code| must stay ≤ 32767 for an exact result.
inline bool int8_exact_accumulation() {
  using I = dnnl::cpu_isa;
  const I isa = dnnl::get_effective_cpu_isa();
#if DNNL_VERSION_MAJOR >= 3
  if (isa == I::isa_default) return false;
#else
  if (isa == I::all || isa == I::avx512_mic || isa == I::avx512_mic_4ops) return false;
#endif
  return !(isa == I::sse41 || isa == I::avx || isa == I::avx2 || isa == I::avx512_core);
}

/// Forward-inference direct convolution; `bias` and `attr` may be null. oneDNN dilations count
/// from 0.
inline dnnl::convolution_forward::primitive_desc conv_pd(
    const dnnl::engine& eng, const memory::desc& src, const memory::desc& wei,
    const memory::desc* bias, const memory::desc& dst, const memory::dims& strides,
    const memory::dims& dilates, const memory::dims& pad_l, const memory::dims& pad_r,
    const dnnl::primitive_attr* attr = nullptr) {
  const auto pk = dnnl::prop_kind::forward_inference;
  const auto alg = dnnl::algorithm::convolution_direct;
#if DNNL_VERSION_MAJOR >= 3
  const dnnl::primitive_attr a = attr ? *attr : dnnl::primitive_attr();
  if (bias) return {eng, pk, alg, src, wei, *bias, dst, strides, dilates, pad_l, pad_r, a};
  return {eng, pk, alg, src, wei, dst, strides, dilates, pad_l, pad_r, a};
#else
  auto d = bias ? dnnl::convolution_forward::desc(pk, alg, src, wei, *bias, dst, strides, dilates,
                                                  pad_l, pad_r)
                : dnnl::convolution_forward::desc(pk, alg, src, wei, dst, strides, dilates, pad_l,
                                                  pad_r);
  if (attr) return {d, *attr, eng};
  return {d, eng};
#endif
}

/// Forward-inference direct transposed convolution; `bias` may be null.
inline dnnl::deconvolution_forward::primitive_desc deconv_pd(
    const dnnl::engine& eng, const memory::desc& src, const memory::desc& wei,
    const memory::desc* bias, const memory::desc& dst, const memory::dims& strides,
    const memory::dims& dilates, const memory::dims& pad_l, const memory::dims& pad_r) {
  const auto pk = dnnl::prop_kind::forward_inference;
  const auto alg = dnnl::algorithm::deconvolution_direct;
#if DNNL_VERSION_MAJOR >= 3
  if (bias) return {eng, pk, alg, src, wei, *bias, dst, strides, dilates, pad_l, pad_r};
  return {eng, pk, alg, src, wei, dst, strides, dilates, pad_l, pad_r};
#else
  auto d = bias ? dnnl::deconvolution_forward::desc(pk, alg, src, wei, *bias, dst, strides,
                                                    dilates, pad_l, pad_r)
                : dnnl::deconvolution_forward::desc(pk, alg, src, wei, dst, strides, dilates,
                                                    pad_l, pad_r);
  return {d, eng};
#endif
}

/// Forward-inference pooling with dilation.
inline PoolingForward::primitive_desc pool_pd(const dnnl::engine& eng, dnnl::algorithm alg,
                                              const memory::desc& src, const memory::desc& dst,
                                              const memory::dims& strides,
                                              const memory::dims& kernel,
                                              const memory::dims& dilates,
                                              const memory::dims& pad_l,
                                              const memory::dims& pad_r) {
  const auto pk = dnnl::prop_kind::forward_inference;
#if DNNL_VERSION_MAJOR >= 3
  return {eng, pk, alg, src, dst, strides, kernel, dilates, pad_l, pad_r};
#else
  PoolingForward::desc d(pk, alg, src, dst, strides, kernel, dilates, pad_l, pad_r);
  return {d, eng};
#endif
}

}  // namespace efq::dnnl_compat
