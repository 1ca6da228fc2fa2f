// Tensor: a dense, row-major (NCDHW for activations, OIDHW for weights) host array.
// float32 for data, int64 for the small shape tensors ONNX exports compute around Resize.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace efq {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);
std::string shape_str(const Shape& s);

enum class DType { kFloat32, kInt64 };

struct Tensor {
  DType dtype = DType::kFloat32;
  Shape shape;
  std::vector<float> f;    // valid when dtype == kFloat32
  std::vector<int64_t> i;  // valid when dtype == kInt64
  int32_t onnx_type = 0;   // the ONNX element type it was read as (e.g. INT8 vs UINT8), 0 = native

  Tensor() = default;
  static Tensor zeros(Shape s);                      // float32 filled with 0
  static Tensor from_ints(std::vector<int64_t> v);   // 1-D int64
  static Tensor from_ints(Shape s, std::vector<int64_t> v);
  int64_t numel() const { return shape_numel(shape); }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  float* data() { return f.data(); }
  const float* data() const { return f.data(); }
  void resize(Shape s);  // float32, contents unspecified (buffer reused when large enough)
};

}  // namespace efq
