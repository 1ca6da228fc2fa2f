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

/// activation_code with zero point 0 and integer bounds |lo|, |hi| < 2^21, in float only and
/// without a library call, so that a loop over a tensor vectorizes: the quotient is clamped to
/// [lo − 1, hi + 1] first (which cannot change the clamped result, the bounds being integers),
/// then rounded half to even by adding and subtracting 1.5·2^23 (exact for |v| < 2^22 under
/// the default rounding mode, as std::nearbyint is). Equal to activation_code for every finite
/// x; a NaN quotient gives lo (activation_code's result for NaN is undefined as a code).
inline float activation_code_fast(float x, float s, float lo, float hi) {
  float v = x / s;
  v = v > lo - 1.f ? v : lo - 1.f;
  v = v < hi + 1.f ? v : hi + 1.f;
  const float m = 12582912.f;  // 1.5·2^23 (without -ffast-math the compiler keeps both operations)
  const float r = (v + m) - m;
  return std::min(std::max(r, lo), hi);
}

/// The fake-quantized value: (code − z) · s, in float as DequantizeLinear computes it.
inline float activation_fake_quant(float x, float s, double z, double lo, double hi) {
  return static_cast<float>(activation_code(x, s, z, lo, hi) - z) * s;
}

}  // namespace efq
