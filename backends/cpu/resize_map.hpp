// Resize's per-axis source map (ONNX coordinate transforms and nearest rounding), shared by every
// backend so that they all sample the same source positions (spatial.cpp defines it).
#pragma once

#include <cstdint>
#include <vector>

#include "backends/backend.hpp"

namespace efq {

/// For each output index along one axis: the source indices i0, i1 and the weight of i1
/// (linear mode; nearest uses i0 only and w1 = 0).
struct AxisMap {
  std::vector<int64_t> i0, i1;
  std::vector<float> w1;
};

/// The map of one axis from `in` to `out` elements at `scale` (= out / in as ONNX gives it).
AxisMap axis_map(const ResizeParams& p, int64_t in, int64_t out, double scale);

}  // namespace efq
