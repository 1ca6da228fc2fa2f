// Tensor plumbing: elementwise arithmetic, concatenation, and the small int64 shape computations
// (Shape/Gather/Unsqueeze/Concat/Slice/Cast...) that exports emit around Resize and Reshape.
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "infer/executor.hpp"

namespace efq {

namespace {

bool has_data(const Tensor& t) {
  return t.dtype == DType::kInt64 ? t.i.size() == static_cast<size_t>(t.numel())
                                  : t.f.size() == static_cast<size_t>(t.numel());
}

Tensor to_int(const Tensor& t) {
  if (t.dtype == DType::kInt64) return t;
  std::vector<int64_t> v(t.f.size());
  for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<int64_t>(t.f[k]);
  return Tensor::from_ints(t.shape, std::move(v));
}

Tensor to_float(const Tensor& t) {
  if (t.dtype == DType::kFloat32) return t;
  Tensor out;
  out.shape = t.shape;
  out.f.resize(t.i.size());
  for (size_t k = 0; k < t.i.size(); ++k) out.f[k] = static_cast<float>(t.i[k]);
  return out;
}

int64_t norm_axis(const OpContext& c, int64_t a, int64_t rank) {
  if (a < 0) a += rank;
  if (a < 0 || a >= rank) c.error("axis " + std::to_string(a) + " out of range");
  return a;
}

// Int64 elementwise with broadcasting of scalars / equal shapes (enough for shape arithmetic).
Tensor int_binary(const OpContext& c, const Tensor& a, const Tensor& b) {
  Shape out = a.numel() >= b.numel() ? a.shape : b.shape;
  if (a.numel() != 1 && b.numel() != 1 && a.shape != b.shape)
    c.unsupported("int64 broadcasting beyond scalars");
  const int64_t n = shape_numel(out);
  std::vector<int64_t> v(n);
  for (int64_t k = 0; k < n; ++k) {
    int64_t x = a.i[a.numel() == 1 ? 0 : k], y = b.i[b.numel() == 1 ? 0 : k];
    const std::string& op = c.n.op;
    if (op == "Add") v[k] = x + y;
    else if (op == "Sub") v[k] = x - y;
    else if (op == "Mul") v[k] = x * y;
    else if (op == "Div") {
      if (y == 0) c.error("integer division by zero");
      v[k] = x / y;
    } else if (op == "Max") v[k] = std::max(x, y);
    else if (op == "Min") v[k] = std::min(x, y);
    else c.unsupported("int64 inputs");
  }
  return Tensor::from_ints(out, std::move(v));
}

void op_binary(OpContext& c) {
  const Tensor& a = c.input(0);
  const Tensor& b = c.input(1);
  if (a.dtype == DType::kInt64 && b.dtype == DType::kInt64) {
    *c.out[0] = int_binary(c, a, b);
    return;
  }
  if (a.dtype != b.dtype) c.unsupported("mixed float/int64 inputs");
  if (c.shapes_only && (!has_data(a) || !has_data(b))) {
    size_t r = std::max(a.shape.size(), b.shape.size());
    Shape s(r, 1);
    for (size_t k = 0; k < r; ++k) {
      int64_t da = k + a.shape.size() >= r ? a.shape[k + a.shape.size() - r] : 1;
      int64_t db = k + b.shape.size() >= r ? b.shape[k + b.shape.size() - r] : 1;
      s[k] = std::max(da, db);
    }
    c.out[0]->shape = s;
    return;
  }
  static const std::map<std::string, BinaryKind> kinds = {
      {"Add", BinaryKind::kAdd}, {"Sub", BinaryKind::kSub}, {"Mul", BinaryKind::kMul},
      {"Div", BinaryKind::kDiv}, {"Pow", BinaryKind::kPow}, {"Max", BinaryKind::kMax},
      {"Min", BinaryKind::kMin}};
  if (c.in.size() != 2) c.unsupported("only two inputs are supported");
  c.be.binary(kinds.at(c.n.op), a, b, *c.out[0]);
}

void op_concat(OpContext& c) {
  const Tensor& first = c.input(0);
  const int64_t axis = norm_axis(c, c.n.attr_int("axis", 0), first.rank());
  if (first.dtype == DType::kInt64) {
    Shape s = first.shape;
    s[axis] = 0;
    std::vector<int64_t> v;
    for (size_t k = 0; k < c.in.size(); ++k) {
      if (c.input(k).rank() != 1) c.unsupported("int64 Concat of rank > 1");
      s[axis] += c.input(k).shape[axis];
      v.insert(v.end(), c.input(k).i.begin(), c.input(k).i.end());
    }
    *c.out[0] = Tensor::from_ints(s, std::move(v));
    return;
  }
  std::vector<const Tensor*> xs;
  for (size_t k = 0; k < c.in.size(); ++k) xs.push_back(&c.input(k));
  if (c.shapes_only) {
    Shape s = first.shape;
    s[axis] = 0;
    for (const Tensor* t : xs) s[axis] += t->shape.at(axis);
    c.out[0]->shape = s;
    return;
  }
  c.be.concat(xs, axis, *c.out[0]);
}

void op_shape(OpContext& c) {
  const Shape& s = c.input(0).shape;
  const int64_t r = static_cast<int64_t>(s.size());
  int64_t start = c.n.attr_int("start", 0), end = c.n.attr_int("end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, start, r);
  *c.out[0] = Tensor::from_ints(std::vector<int64_t>(s.begin() + start, s.begin() + end));
}

void op_gather(OpContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& idx = c.input(1);
  const int64_t axis = norm_axis(c, c.n.attr_int("axis", 0), x.rank());
  if (idx.dtype != DType::kInt64) c.error("indices must be integers");
  Shape out(x.shape.begin(), x.shape.begin() + axis);
  out.insert(out.end(), idx.shape.begin(), idx.shape.end());
  out.insert(out.end(), x.shape.begin() + axis + 1, x.shape.end());
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= x.shape[k];
  for (int64_t k = axis + 1; k < x.rank(); ++k) inner *= x.shape[k];
  const int64_t n = x.shape[axis], ni = idx.numel();
  Tensor y;
  y.dtype = x.dtype;
  y.shape = out;
  if (c.shapes_only && !has_data(x)) {
    *c.out[0] = std::move(y);
    return;
  }
  if (x.dtype == DType::kInt64) y.i.resize(shape_numel(out));
  else y.f.resize(shape_numel(out));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < ni; ++j) {
      int64_t k = idx.i[j] < 0 ? idx.i[j] + n : idx.i[j];
      if (k < 0 || k >= n) c.error("index " + std::to_string(idx.i[j]) + " out of range");
      for (int64_t q = 0; q < inner; ++q) {
        int64_t dst = (o * ni + j) * inner + q, src = (o * n + k) * inner + q;
        if (x.dtype == DType::kInt64) y.i[dst] = x.i[src];
        else y.f[dst] = x.f[src];
      }
    }
  *c.out[0] = std::move(y);
}

std::vector<int64_t> axes_of(const OpContext& c, size_t input_index) {
  if (c.has_input(input_index)) return c.input(input_index).i;
  return c.n.attr_ints("axes");
}

// Reshape-like ops keep the data and change the shape.
void set_reshaped(OpContext& c, const Tensor& x, Shape s) {
  if (shape_numel(s) != x.numel())
    c.error("cannot reshape " + shape_str(x.shape) + " to " + shape_str(s));
  Tensor y = x;
  y.shape = std::move(s);
  *c.out[0] = std::move(y);
}

void op_unsqueeze(OpContext& c) {
  const Tensor& x = c.input(0);
  std::vector<int64_t> axes = axes_of(c, 1);
  const int64_t r = x.rank() + static_cast<int64_t>(axes.size());
  for (int64_t& a : axes) a = norm_axis(c, a, r);
  std::sort(axes.begin(), axes.end());
  Shape s = x.shape;
  for (int64_t a : axes) s.insert(s.begin() + a, 1);
  set_reshaped(c, x, s);
}

void op_squeeze(OpContext& c) {
  const Tensor& x = c.input(0);
  std::vector<int64_t> axes = axes_of(c, 1);
  for (int64_t& a : axes) a = norm_axis(c, a, x.rank());
  Shape s;
  for (int64_t k = 0; k < x.rank(); ++k) {
    bool drop = axes.empty() ? x.shape[k] == 1
                             : std::find(axes.begin(), axes.end(), k) != axes.end();
    if (drop && x.shape[k] != 1) c.error("cannot squeeze an axis of size " +
                                         std::to_string(x.shape[k]));
    if (!drop) s.push_back(x.shape[k]);
  }
  set_reshaped(c, x, s);
}

void op_reshape(OpContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& spec = c.input(1);
  Shape s(spec.i.begin(), spec.i.end());
  int64_t known = 1, infer = -1;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] == 0 && !c.n.attr_int("allowzero", 0)) s[k] = x.shape.at(k);
    if (s[k] == -1) {
      if (infer >= 0) c.error("more than one -1 in the target shape");
      infer = static_cast<int64_t>(k);
    } else {
      known *= s[k];
    }
  }
  if (infer >= 0) s[infer] = known ? x.numel() / known : 0;
  set_reshaped(c, x, s);
}

void op_flatten(OpContext& c) {
  const Tensor& x = c.input(0);
  int64_t axis = c.n.attr_int("axis", 1);
  if (axis < 0) axis += x.rank();
  int64_t a = 1;
  for (int64_t k = 0; k < axis; ++k) a *= x.shape[k];
  set_reshaped(c, x, {a, x.numel() / std::max<int64_t>(a, 1)});
}

void op_slice(OpContext& c) {
  const Tensor& x = c.input(0);
  std::vector<int64_t> starts, ends, axes, steps;
  if (c.g.opset < 10) {
    starts = c.n.attr_ints("starts");
    ends = c.n.attr_ints("ends");
    axes = c.n.attr_ints("axes");
  } else {
    starts = c.input(1).i;
    ends = c.input(2).i;
    if (c.has_input(3)) axes = c.input(3).i;
    if (c.has_input(4)) steps = c.input(4).i;
  }
  if (axes.empty())
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  if (x.rank() != 1 || x.dtype != DType::kInt64) {
    if (!(c.shapes_only && !has_data(x))) c.unsupported("Slice of a non-1-D or float tensor");
  }
  if (axes.size() != 1 || (!steps.empty() && steps[0] != 1))
    c.unsupported("Slice with several axes or a step other than 1");
  const int64_t n = x.shape.at(0);
  int64_t b = starts[0] < 0 ? starts[0] + n : starts[0];
  int64_t e = ends[0] < 0 ? ends[0] + n : ends[0];
  b = std::clamp<int64_t>(b, 0, n);
  e = std::clamp<int64_t>(e, b, n);
  *c.out[0] = Tensor::from_ints(std::vector<int64_t>(x.i.begin() + b, x.i.begin() + e));
}

void op_cast(OpContext& c) {
  const int64_t to = c.n.attr_int("to", 1);
  const Tensor& x = c.input(0);
  if (to == 1 || to == 11) *c.out[0] = to_float(x);            // FLOAT, DOUBLE
  else if (to == 7 || to == 6) *c.out[0] = to_int(x);          // INT64, INT32
  else c.unsupported("Cast to data type " + std::to_string(to));
}

void op_constant_of_shape(OpContext& c) {
  const Tensor& s = c.input(0);
  Shape shape(s.i.begin(), s.i.end());
  Tensor v = c.n.has("value") ? c.n.attrs.at("value").t : Tensor::zeros({1});
  if (v.dtype == DType::kInt64) {
    *c.out[0] = Tensor::from_ints(shape, std::vector<int64_t>(shape_numel(shape), v.i.at(0)));
  } else {
    Tensor y = Tensor::zeros(shape);
    std::fill(y.f.begin(), y.f.end(), v.f.at(0));
    *c.out[0] = std::move(y);
  }
}

void op_transpose(OpContext& c) {
  const Tensor& x = c.input(0);
  const int64_t r = x.rank();
  std::vector<int64_t> perm = c.n.attr_ints("perm");
  if (perm.empty())
    for (int64_t k = r - 1; k >= 0; --k) perm.push_back(k);
  if (static_cast<int64_t>(perm.size()) != r) c.error("perm does not match the rank");
  Shape s(r);
  for (int64_t k = 0; k < r; ++k) s[k] = x.shape[norm_axis(c, perm[k], r)];
  Tensor y;
  y.dtype = x.dtype;
  y.shape = s;
  if (c.shapes_only && !has_data(x)) {
    *c.out[0] = std::move(y);
    return;
  }
  if (x.dtype == DType::kInt64) c.unsupported("Transpose of int64");
  y.f.resize(x.f.size());
  std::vector<int64_t> in_strides(r, 1), idx(r, 0);
  for (int64_t k = r - 2; k >= 0; --k) in_strides[k] = in_strides[k + 1] * x.shape[k + 1];
  const int64_t n = x.numel();
  for (int64_t o = 0; o < n; ++o) {
    int64_t src = 0;
    for (int64_t k = 0; k < r; ++k) src += idx[k] * in_strides[perm[k]];
    y.f[o] = x.f[src];
    for (int64_t k = r - 1; k >= 0; --k) {
      if (++idx[k] < s[k]) break;
      idx[k] = 0;
    }
  }
  *c.out[0] = std::move(y);
}

void op_identity(OpContext& c) { *c.out[0] = c.input(0); }

}  // namespace

void register_tensor_ops() {
  auto& r = op_registry();
  for (const char* b : {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"}) r[b] = op_binary;
  r["Concat"] = op_concat;
  r["Shape"] = op_shape;
  r["Gather"] = op_gather;
  r["Unsqueeze"] = op_unsqueeze;
  r["Squeeze"] = op_squeeze;
  r["Reshape"] = op_reshape;
  r["Flatten"] = op_flatten;
  r["Slice"] = op_slice;
  r["Cast"] = op_cast;
  r["ConstantOfShape"] = op_constant_of_shape;
  r["Transpose"] = op_transpose;
  r["Identity"] = op_identity;
  r["Dropout"] = op_identity;
}

}  // namespace efq
