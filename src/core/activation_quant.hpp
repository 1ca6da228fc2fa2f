// The activation quantizer's arithmetic, in one place: the EfqFakeQuant operator, the quantizer's
// activation-scale search and the int8 convolution's input quantization must give the same codes
// (the int8 path skips the EfqFakeQuant node and relies on it). Matches ONNX QuantizeLinear:
// float division, round half to even, saturate.
#pragma once

#include <algorithm>
#include <cmath>

namespace efq {

/// The integer code of x for scale s, zero point z, codes clamped to [lo, hi].
inline double activation_code(float x, float s, double z, double lo, double hi) {
  return std::min(std::max(std::nearbyint(static_cast<double>(x / s)) + z, lo), hi);
}

/// The fake-quantized value: (code − z) · s, in float as DequantizeLinear computes it.
inline float activation_fake_quant(float x, float s, double z, double lo, double hi) {
  return static_cast<float>(activation_code(x, s, z, lo, hi) - z) * s;
}

}  // namespace efq
