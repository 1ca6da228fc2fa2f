// Neural-network operators: convolutions, pooling, normalization, activations, resize.
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "infer/executor.hpp"

namespace efq {

namespace {

// Kernel/stride/dilation/padding of a windowed op over the spatial dims of `x`.
WindowParams window(const Node& n, const Shape& x, const std::vector<int64_t>& kernel) {
  auto err = [&](const std::string& m) { fail(ErrorCode::kInvalidArgument, n.describe() + ": " + m); };
  const size_t sr = x.size() - 2;
  if (kernel.size() != sr)
    err("kernel rank " + std::to_string(kernel.size()) + " does not match input " +
            shape_str(x));
  WindowParams p;
  p.kernel = kernel;
  p.stride = n.attr_ints("strides", std::vector<int64_t>(sr, 1));
  p.dilation = n.attr_ints("dilations", std::vector<int64_t>(sr, 1));
  std::vector<int64_t> pads = n.attr_ints("pads", std::vector<int64_t>(2 * sr, 0));
  if (p.stride.size() != sr || p.dilation.size() != sr || pads.size() != 2 * sr)
    err("strides/dilations/pads do not match the spatial rank " + std::to_string(sr));
  p.pad_begin.assign(pads.begin(), pads.begin() + sr);
  p.pad_end.assign(pads.begin() + sr, pads.end());
  for (size_t d = 0; d < sr; ++d) {
    if (p.stride[d] < 1 || p.dilation[d] < 1 || p.kernel[d] < 1 || p.pad_begin[d] < 0 ||
        p.pad_end[d] < 0)
      err("non-positive kernel, stride or dilation, or negative padding");
  }
  const std::string ap = n.attr_string("auto_pad", "NOTSET");
  if (ap == "VALID") {
    std::fill(p.pad_begin.begin(), p.pad_begin.end(), 0);
    std::fill(p.pad_end.begin(), p.pad_end.end(), 0);
  } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    for (size_t d = 0; d < sr; ++d) {
      int64_t out = (x[2 + d] + p.stride[d] - 1) / p.stride[d];
      int64_t total = std::max<int64_t>(
          (out - 1) * p.stride[d] + window_extent(p, d) - x[2 + d], 0);
      int64_t small = total / 2, big = total - small;
      p.pad_begin[d] = ap == "SAME_UPPER" ? small : big;
      p.pad_end[d] = ap == "SAME_UPPER" ? big : small;
    }
  }
  for (size_t d = 0; d < sr; ++d) {
    if (x[2 + d] + p.pad_begin[d] + p.pad_end[d] < window_extent(p, d))
      err("input " + shape_str(x) + " is smaller than the kernel window");
  }
  return p;
}

std::vector<int64_t> weight_kernel(const Tensor& w) {
  return std::vector<int64_t>(w.shape.begin() + 2, w.shape.end());
}

WindowParams transpose_window(const Node& n, const Shape& x, const Tensor& w);

}  // namespace

WindowParams conv_window(const Graph& g, const Node& n, const Shape& x_shape) {
  const Tensor& w = g.constant(n.inputs.at(1), n);
  if (n.op == "ConvTranspose") return transpose_window(n, x_shape, w);
  WindowParams p = window(n, x_shape, n.attr_ints("kernel_shape", weight_kernel(w)));
  p.group = n.attr_int("group", 1);
  return p;
}

namespace {

void op_conv(OpContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.g.constant(c.n.inputs[1], c.n);
  if (x.rank() < 3 || x.rank() > 5 || w.rank() != x.rank())
    c.error("input " + shape_str(x.shape) + " and weights " + shape_str(w.shape) +
            " must be rank 3-5 and equal");
  const int64_t group = c.n.attr_int("group", 1);
  if (group < 1 || x.shape[1] != w.shape[1] * group || w.shape[0] % group)
    c.error("input channels " + std::to_string(x.shape[1]) + " do not match weights " +
            shape_str(w.shape) + " with group " + std::to_string(group));
  WindowParams p = window(c.n, x.shape, c.n.attr_ints("kernel_shape", weight_kernel(w)));
  p.group = group;
  const Tensor* b = c.has_input(2) ? c.in[2] : nullptr;
  if (b && b->numel() != w.shape[0]) c.error("bias size does not match output channels");
  if (c.shapes_only) {
    c.out[0]->shape = conv_output_shape(p, x.shape, w.shape[0]);
    return;
  }
  if (c.int8) {
    c.be.conv_int8(&c.n, p, x, *c.int8, *c.out[0]);
    return;
  }
  c.be.conv(&c.n, p, x, w, b, *c.out[0]);
}

WindowParams transpose_window(const Node& n, const Shape& x, const Tensor& w) {
  auto err = [&](const std::string& m) { fail(ErrorCode::kInvalidArgument, n.describe() + ": " + m); };
  if (x.size() < 3 || x.size() > 5 || w.rank() != static_cast<int64_t>(x.size()))
    err("input " + shape_str(x) + " and weights " + shape_str(w.shape) + " must be rank 3-5 and equal");
  const int64_t group = n.attr_int("group", 1);
  if (group < 1 || x[1] != w.shape[0] || w.shape[0] % group)
    err("input channels do not match weights " + shape_str(w.shape));
  const size_t sr = x.size() - 2;
  WindowParams p;
  p.kernel = n.attr_ints("kernel_shape", weight_kernel(w));
  p.stride = n.attr_ints("strides", std::vector<int64_t>(sr, 1));
  p.dilation = n.attr_ints("dilations", std::vector<int64_t>(sr, 1));
  p.output_padding = n.attr_ints("output_padding", std::vector<int64_t>(sr, 0));
  std::vector<int64_t> pads = n.attr_ints("pads", std::vector<int64_t>(2 * sr, 0));
  if (p.kernel.size() != sr || p.stride.size() != sr || p.dilation.size() != sr ||
      pads.size() != 2 * sr || p.output_padding.size() != sr)
    err("kernel/strides/dilations/pads/output_padding do not match the spatial rank");
  p.pad_begin.assign(pads.begin(), pads.begin() + sr);
  p.pad_end.assign(pads.begin() + sr, pads.end());
  p.group = group;
  p.transposed = true;
  const std::string ap = n.attr_string("auto_pad", "NOTSET");
  std::vector<int64_t> out_shape = n.attr_ints("output_shape");
  if (!out_shape.empty() || ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    if (out_shape.size() > sr) out_shape.erase(out_shape.begin(), out_shape.end() - sr);
    for (size_t d = 0; d < sr; ++d) {
      int64_t target = out_shape.empty() ? x[2 + d] * p.stride[d] : out_shape[d];
      // The full transposed output (no pads) minus the target.
      WindowParams full = p;
      full.pad_begin[d] = full.pad_end[d] = 0;
      int64_t total = conv_transpose_output_size(full, d, x[2 + d]) - target;
      if (total < 0)
        fail(ErrorCode::kUnsupported, n.describe() + ": output_shape larger than the full transposed output");
      p.pad_begin[d] = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
      p.pad_end[d] = total - p.pad_begin[d];
    }
  } else if (ap == "VALID") {
    std::fill(p.pad_begin.begin(), p.pad_begin.end(), 0);
    std::fill(p.pad_end.begin(), p.pad_end.end(), 0);
  }
  return p;
}

void op_conv_transpose(OpContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& w = c.g.constant(c.n.inputs[1], c.n);
  const WindowParams p = transpose_window(c.n, x.shape, w);
  const Tensor* b = c.has_input(2) ? c.in[2] : nullptr;
  if (c.shapes_only) {
    c.out[0]->shape = conv_output_shape(p, x.shape, w.shape[1] * p.group, /*transposed=*/true);
    return;
  }
  c.be.conv_transpose(&c.n, p, x, w, b, *c.out[0]);
}

void op_pool(OpContext& c) {
  const Tensor& x = c.input(0);
  if (x.rank() < 3 || x.rank() > 5) c.error("input " + shape_str(x.shape) + " must be rank 3-5");
  const size_t sr = x.shape.size() - 2;
  std::vector<int64_t> kernel = c.n.attr_ints("kernel_shape");
  if (kernel.size() != sr) c.error("kernel_shape missing or of the wrong rank");
  WindowParams p = window(c.n, x.shape, kernel);
  Shape ys{x.shape[0], x.shape[1]};
  const bool ceil_mode = c.n.attr_int("ceil_mode", 0) != 0;
  for (size_t d = 0; d < sr; ++d) {
    const int64_t ext = window_extent(p, d);
    const int64_t span = x.shape[2 + d] + p.pad_begin[d] + p.pad_end[d] - ext;
    int64_t out = ceil_mode ? (span + p.stride[d] - 1) / p.stride[d] + 1
                            : conv_output_size(p, d, x.shape[2 + d]);
    if (ceil_mode && (out - 1) * p.stride[d] >= x.shape[2 + d] + p.pad_begin[d]) --out;
    // Extend the end padding so the window count matches (ceil mode).
    int64_t need = (out - 1) * p.stride[d] + ext - (x.shape[2 + d] + p.pad_begin[d]);
    p.pad_end[d] = std::max(p.pad_end[d], need);
    ys.push_back(out);
  }
  if (c.shapes_only) {
    c.out[0]->shape = ys;
    return;
  }
  PoolKind kind = PoolKind::kMax;
  if (c.n.op == "AveragePool")
    kind = c.n.attr_int("count_include_pad", 0) ? PoolKind::kAverageIncludePad
                                                : PoolKind::kAverageExcludePad;
  c.be.pool(kind, p, x, *c.out[0]);
}

void op_global_avg(OpContext& c) {
  const Tensor& x = c.input(0);
  std::vector<int64_t> axes;
  for (int64_t k = 2; k < x.rank(); ++k) axes.push_back(k);
  if (c.shapes_only) {
    Shape s = x.shape;
    for (int64_t a : axes) s[a] = 1;
    c.out[0]->shape = s;
    return;
  }
  c.be.reduce_mean(x, axes, *c.out[0]);
}

void op_reduce_mean(OpContext& c) {
  const Tensor& x = c.input(0);
  std::vector<int64_t> axes = c.n.attr_ints("axes");
  if (c.has_input(1)) axes = c.input(1).i;
  if (axes.empty())
    for (int64_t k = 0; k < x.rank(); ++k) axes.push_back(k);
  for (int64_t& a : axes) {
    if (a < 0) a += x.rank();
    if (a < 0 || a >= x.rank()) c.error("axis out of range");
  }
  Tensor tmp;
  Tensor& dst = c.n.attr_int("keepdims", 1) ? *c.out[0] : tmp;
  Shape s = x.shape;
  for (int64_t a : axes) s[a] = 1;
  if (c.shapes_only) dst.shape = s;
  else c.be.reduce_mean(x, axes, dst);
  if (&dst == &tmp) {
    Shape squeezed;
    for (int64_t k = 0; k < x.rank(); ++k)
      if (std::find(axes.begin(), axes.end(), k) == axes.end()) squeezed.push_back(x.shape[k]);
    tmp.shape = squeezed;
    *c.out[0] = std::move(tmp);
  }
}

void op_batchnorm(OpContext& c) {
  const Tensor& x = c.input(0);
  const int64_t ch = x.rank() > 1 ? x.shape[1] : 0;
  std::vector<float> scale(ch), shift(ch);
  const double eps = c.n.attr_float("epsilon", 1e-5f);
  for (int k = 1; k <= 4; ++k)
    if (c.input(k).numel() != ch) c.error("parameter size does not match channels");
  for (int64_t k = 0; k < ch; ++k) {
    double s = c.input(1).f[k] / std::sqrt(c.input(4).f[k] + eps);
    scale[k] = static_cast<float>(s);
    shift[k] = static_cast<float>(c.input(2).f[k] - c.input(3).f[k] * s);
  }
  if (c.shapes_only) {
    c.out[0]->shape = x.shape;
    return;
  }
  c.be.channel_affine(x, scale, shift, *c.out[0]);
}

void op_instance_norm(OpContext& c) {
  const Tensor& x = c.input(0);
  if (x.rank() < 3 || c.input(1).numel() != x.shape[1] || c.input(2).numel() != x.shape[1])
    c.error("input " + shape_str(x.shape) + " and scale/bias sizes do not match");
  if (c.shapes_only) {
    c.out[0]->shape = x.shape;
    return;
  }
  c.be.instance_norm(x, c.input(1), c.input(2), c.n.attr_float("epsilon", 1e-5f), *c.out[0]);
}

void op_unary(OpContext& c) {
  const Tensor& x = c.input(0);
  if (x.dtype != DType::kFloat32) c.unsupported("integer input");
  // Small float tensors (shape arithmetic) are computed even when only shapes are wanted.
  if (c.shapes_only && x.f.size() != static_cast<size_t>(x.numel())) {
    c.out[0]->shape = x.shape;
    return;
  }
  static const std::map<std::string, UnaryKind> kinds = {
      {"Relu", UnaryKind::kRelu},       {"LeakyRelu", UnaryKind::kLeakyRelu},
      {"Elu", UnaryKind::kElu},         {"Sigmoid", UnaryKind::kSigmoid},
      {"Tanh", UnaryKind::kTanh},       {"Clip", UnaryKind::kClip},
      {"Floor", UnaryKind::kFloor},     {"Exp", UnaryKind::kExp},
      {"Sqrt", UnaryKind::kSqrt},       {"Neg", UnaryKind::kNeg},
      {"Abs", UnaryKind::kAbs},         {"Reciprocal", UnaryKind::kReciprocal},
      {"Erf", UnaryKind::kErf},         {"Round", UnaryKind::kRound}};
  float alpha = 0.f, beta = 0.f;
  if (c.n.op == "LeakyRelu") alpha = c.n.attr_float("alpha", 0.01f);
  if (c.n.op == "Elu") alpha = c.n.attr_float("alpha", 1.0f);
  if (c.n.op == "Clip") {
    alpha = c.n.attr_float("min", -INFINITY);
    beta = c.n.attr_float("max", INFINITY);
    if (c.has_input(1)) alpha = c.input(1).f.at(0);
    if (c.has_input(2)) beta = c.input(2).f.at(0);
  }
  c.be.unary(kinds.at(c.n.op), alpha, beta, x, *c.out[0]);
}

void op_prelu(OpContext& c) {
  if (c.shapes_only) {
    c.out[0]->shape = c.input(0).shape;
    return;
  }
  Tensor slope = c.input(1);
  // Opset < 7 style unidirectional slopes of shape [C] against NC...: align to axis 1.
  if (slope.rank() == 1 && c.input(0).rank() > 2 && slope.shape[0] == c.input(0).shape[1] &&
      slope.shape[0] != 1) {
    slope.shape = {slope.shape[0]};
    for (int64_t k = 2; k < c.input(0).rank(); ++k) slope.shape.push_back(1);
  }
  c.be.prelu(c.input(0), slope, *c.out[0]);
}

void op_softmax(OpContext& c) {
  const Tensor& x = c.input(0);
  const bool legacy = c.g.opset < 13;
  int64_t axis = c.n.attr_int("axis", legacy ? 1 : -1);
  if (axis < 0) axis += x.rank();
  if (axis < 0 || axis >= x.rank()) c.error("axis out of range");
  if (c.shapes_only) {
    c.out[0]->shape = x.shape;
    return;
  }
  if (legacy && axis != x.rank() - 1) {
    // Opset < 13: softmax over the flattened trailing block [axis, rank).
    Tensor flat = x;
    int64_t outer = 1;
    for (int64_t k = 0; k < axis; ++k) outer *= x.shape[k];
    flat.shape = {outer, x.numel() / std::max<int64_t>(outer, 1)};
    c.be.softmax(flat, 1, *c.out[0]);
    c.out[0]->shape = x.shape;
    return;
  }
  c.be.softmax(x, axis, *c.out[0]);
}

}  // namespace

void register_resize_ops();
void register_quant_ops();

void register_nn_ops() {
  auto& r = op_registry();
  r["Conv"] = op_conv;
  r["ConvTranspose"] = op_conv_transpose;
  r["MaxPool"] = op_pool;
  r["AveragePool"] = op_pool;
  r["GlobalAveragePool"] = op_global_avg;
  r["ReduceMean"] = op_reduce_mean;
  r["BatchNormalization"] = op_batchnorm;
  r["InstanceNormalization"] = op_instance_norm;
  for (const char* u : {"Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Clip", "Floor", "Exp",
                        "Sqrt", "Neg", "Abs", "Reciprocal", "Erf", "Round"})
    r[u] = op_unary;
  r["PRelu"] = op_prelu;
  r["Softmax"] = op_softmax;
  register_resize_ops();
  register_quant_ops();
}

}  // namespace efq
