#include "core/tensor.hpp"

#include "core/error.hpp"

namespace efq {

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) fail(ErrorCode::kInvalidArgument, "negative dimension in shape " + shape_str(s));
    if (d != 0 && n > (int64_t{1} << 40) / d)
      fail(ErrorCode::kOutOfMemory, "tensor of shape " + shape_str(s) + " is absurdly large");
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t k = 0; k < s.size(); ++k) out += (k ? "," : "") + std::to_string(s[k]);
  return out + "]";
}

Tensor Tensor::zeros(Shape s) {
  Tensor t;
  t.shape = std::move(s);
  t.f.assign(static_cast<size_t>(shape_numel(t.shape)), 0.0f);
  return t;
}

Tensor Tensor::from_ints(std::vector<int64_t> v) {
  Shape s{static_cast<int64_t>(v.size())};
  return from_ints(std::move(s), std::move(v));
}

Tensor Tensor::from_ints(Shape s, std::vector<int64_t> v) {
  Tensor t;
  t.dtype = DType::kInt64;
  t.shape = std::move(s);
  t.i = std::move(v);
  return t;
}

void Tensor::resize(Shape s) {
  dtype = DType::kFloat32;
  shape = std::move(s);
  f.resize(static_cast<size_t>(shape_numel(shape)));
}

}  // namespace efq
