// Resize (opset 10+) and Upsample (opset 7-9).
#include <cmath>

#include "core/error.hpp"
#include "infer/executor.hpp"

namespace efq {

namespace {

void op_resize(OpContext& c) {
  const Tensor& x = c.input(0);
  const int64_t r = x.rank();
  ResizeParams p;
  const std::string mode = c.n.attr_string("mode", "nearest");
  p.mode = mode == "linear" ? ResizeMode::kLinear : ResizeMode::kNearest;
  const std::string ct = c.n.attr_string(
      "coordinate_transformation_mode",
      (c.n.op == "Upsample" || c.g.opset < 11) ? "asymmetric" : "half_pixel");
  p.coord = ct == "pytorch_half_pixel" ? ResizeCoord::kPytorchHalfPixel
            : ct == "align_corners"    ? ResizeCoord::kAlignCorners
            : ct == "asymmetric"       ? ResizeCoord::kAsymmetric
                                       : ResizeCoord::kHalfPixel;
  const std::string nm = c.n.attr_string("nearest_mode", "round_prefer_floor");
  p.nearest = nm == "round_prefer_ceil" ? ResizeNearest::kRoundPreferCeil
              : nm == "floor"           ? ResizeNearest::kFloor
              : nm == "ceil"            ? ResizeNearest::kCeil
                                        : ResizeNearest::kRoundPreferFloor;
  if (c.n.op == "Upsample" || c.g.opset < 11) p.nearest = ResizeNearest::kFloor;
  std::vector<double> scales;
  Shape out;
  const Tensor* st = nullptr;
  const Tensor* sz = nullptr;
  if (c.n.op == "Upsample") {
    if (c.has_input(1)) st = &c.input(1);
    else
      for (float f : c.n.attrs.count("scales") ? c.n.attrs.at("scales").floats
                                               : std::vector<float>{})
        scales.push_back(f);
  } else if (c.g.opset < 11) {
    st = &c.input(1);
  } else {
    if (c.has_input(2) && c.input(2).numel() > 0) st = &c.input(2);
    if (c.has_input(3) && c.input(3).numel() > 0) sz = &c.input(3);
  }
  if (st) {
    if (st->dtype != DType::kFloat32) c.error("scales must be float");
    for (float f : st->f) scales.push_back(f);
  }
  if (sz) {
    if (sz->numel() != r) c.error("sizes has " + std::to_string(sz->numel()) + " entries for a "
                                  "rank-" + std::to_string(r) + " input");
    out.assign(sz->i.begin(), sz->i.end());
    scales.clear();
    for (int64_t k = 0; k < r; ++k)
      scales.push_back(static_cast<double>(out[k]) / static_cast<double>(x.shape[k]));
  } else {
    if (static_cast<int64_t>(scales.size()) != r)
      c.error("needs " + std::to_string(r) + " scales or sizes, got " +
              std::to_string(scales.size()));
    for (int64_t k = 0; k < r; ++k) {
      if (!(scales[k] > 0) || scales[k] > 1024) c.error("scale out of range");
      out.push_back(static_cast<int64_t>(std::floor(x.shape[k] * scales[k])));
    }
  }
  for (int64_t k = 0; k < r; ++k)
    if (out[k] < 1) c.error("output size " + shape_str(out) + " is empty");
  if (c.shapes_only) {
    c.out[0]->shape = out;
    return;
  }
  p.scales = scales;
  c.be.resize(p, x, out, *c.out[0]);
}

}  // namespace

void register_resize_ops() {
  op_registry()["Resize"] = op_resize;
  op_registry()["Upsample"] = op_resize;
}

}  // namespace efq
