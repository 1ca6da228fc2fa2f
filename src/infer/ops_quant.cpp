// EfqFakeQuant: the quantizer's activation fake-quantization node (internal op; exported to
// ONNX as Div/Round/Clip/Mul or as QuantizeLinear/DequantizeLinear).
//   y = (clamp(round(x / scale) + zero_point, qmin, qmax) − zero_point) · scale
// Until the quantizer calibrates it (attribute calibrated = 0) it passes x through.
#include <cmath>

#include "core/error.hpp"
#include "infer/executor.hpp"

namespace efq {

namespace {

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
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    // float division as ONNX Div does, then round half to even
    const double q = std::nearbyint(static_cast<double>(x.f[i] / sf)) + z;
    y.f[i] = static_cast<float>((std::min(std::max(q, lo), hi) - z)) * sf;
  }
}

}  // namespace

void register_quant_ops() { op_registry()["EfqFakeQuant"] = op_fake_quant; }

}  // namespace efq
