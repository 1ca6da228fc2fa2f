#include "infer/finite_output.hpp"

#include <cmath>

#include "core/error.hpp"

namespace efq {

int64_t first_non_finite(const Tensor& t) {
  if (t.dtype != DType::kFloat32) return -1;
  const int64_t n = static_cast<int64_t>(t.f.size());
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(t.f[i])) return i;
  return -1;
}

void check_finite_output(const Graph& g, Executor& ex, const Tensor& input, const Tensor& y) {
  const int64_t first = first_non_finite(y);
  if (first < 0) return;
  int64_t bad = 0;
  for (float v : y.f) bad += std::isfinite(v) ? 0 : 1;
  const std::string what = std::isnan(y.f[first]) ? "NaN" : "Inf";
  std::string origin;
  if (first_non_finite(input) >= 0) {
    origin = "the input window itself holds NaN/Inf";
  } else {
    int culprit = -1;
    ex.observer = [&](int node, const Tensor& out) {
      if (culprit < 0 && first_non_finite(out) >= 0) culprit = node;
    };
    std::vector<Tensor> ins{input};
    try {
      ex.run(std::move(ins));
    } catch (...) {
      ex.observer = nullptr;
      throw;
    }
    ex.observer = nullptr;
    origin = culprit >= 0 ? "the first non-finite value appears at the output of " +
                                g.nodes[static_cast<size_t>(culprit)].describe()
                          : "no single node could be identified";
  }
  fail(ErrorCode::kNumerical,
       "the network's output holds " + what + " (" + std::to_string(bad) + " of " +
           std::to_string(y.f.size()) + " values of a window): " + origin +
           "; the model's weights or the image are not finite, or a value overflowed");
}

}  // namespace efq
