// EfqFakeQuant: the quantizer's activation fake-quantization node (internal op; exported to
// ONNX as Div/Round/Clip/Mul or as QuantizeLinear/DequantizeLinear).
//   y = (clamp(round(x / scale) + zero_point, qmin, qmax) − zero_point) · scale
// Until the quantizer calibrates it (attribute calibrated = 0) it passes x through.
#include <algorithm>
#include <cmath>

#include "core/activation_quant.hpp"
#include "core/error.hpp"
#include "infer/executor.hpp"

namespace efq {

namespace {

constexpr int64_t kParallelMin = int64_t{1} << 16;  // elements below which a loop runs sequentially

void op_fake_quant(OpContext& c) {
  const Tensor& x = c.input(0);
  if (c.shapes_only) {
    c.out[0]->shape = x.shape;
    return;
  }
  if (!c.n.attr_int("calibrated", 0)) {
    *c.out[0] = x;
    return;
  }
  const double s = c.n.attr_float("scale", 1.f);
  const double z = static_cast<double>(c.n.attr_int("zero_point", 0));
  const double lo = static_cast<double>(c.n.attr_int("qmin", 0));
  const double hi = static_cast<double>(c.n.attr_int("qmax", 255));
  if (!(s > 0)) c.error("scale must be positive");
  Tensor& y = *c.out[0];
  y.resize(x.shape);
  const int64_t n = x.numel();
  const float sf = static_cast<float>(s);
  c.be.parallel_for(n, kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) y.f[i] = activation_fake_quant(x.f[i], sf, z, lo, hi);
  });
}

// The zero point input (k) of a per-tensor Q/DQ node, 0 when omitted.
double scalar_zero_point(const OpContext& c, size_t k) {
  if (!c.has_input(k)) return 0.0;
  const Tensor& z = c.input(k);
  return static_cast<double>(z.dtype == DType::kInt64 ? z.i.at(0) : z.f.at(0));
}

// ONNX QuantizeLinear on activations (per tensor). The integer result is carried as float values
// with the container's saturation range (UINT8 [0,255] unless the zero point is INT8).
void op_quantize_linear(OpContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& s = c.input(1);
  if (s.numel() != 1) c.unsupported("per-axis QuantizeLinear of activations");
  const Tensor* z = c.has_input(2) ? &c.input(2) : nullptr;
  const bool is_signed = z && z->onnx_type == 3;  // TensorProto::INT8
  const double lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  const double zp = scalar_zero_point(c, 2);
  if (c.shapes_only) {
    c.out[0]->shape = x.shape;
    return;
  }
  Tensor& y = *c.out[0];
  y.resize(x.shape);
  y.onnx_type = is_signed ? 3 : 2;
  const float sf = s.f.at(0);
  if (!(sf > 0)) c.error("scale must be positive");
  const int64_t n = x.numel();
  c.be.parallel_for(n, kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      y.f[i] = static_cast<float>(
          std::min(std::max(std::nearbyint(static_cast<double>(x.f[i] / sf)) + zp, lo), hi));
  });
}

void op_dequantize_linear(OpContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& s = c.input(1);
  if (s.numel() != 1) c.unsupported("per-axis DequantizeLinear of a non-constant tensor");
  const double zp = scalar_zero_point(c, 2);
  if (c.shapes_only) {
    c.out[0]->shape = x.shape;
    return;
  }
  Tensor& y = *c.out[0];
  y.resize(x.shape);
  const float sf = s.f.at(0);
  const int64_t n = x.numel();
  const bool ints = x.dtype == DType::kInt64;
  c.be.parallel_for(n, kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      y.f[i] = static_cast<float>((ints ? static_cast<double>(x.i[i]) : x.f[i]) - zp) * sf;
  });
}

}  // namespace

void register_quant_ops() {
  op_registry()["EfqFakeQuant"] = op_fake_quant;
  op_registry()["QuantizeLinear"] = op_quantize_linear;
  op_registry()["DequantizeLinear"] = op_dequantize_linear;
}

}  // namespace efq
