#include "graph/finite_constants.hpp"

#include <cmath>

#include "core/error.hpp"

namespace efq {

namespace {

// Index of the first non-finite element of a float tensor, or -1.
int64_t first_bad(const Tensor& t) {
  if (t.dtype != DType::kFloat32) return -1;
  for (size_t i = 0; i < t.f.size(); ++i)
    if (!std::isfinite(t.f[i])) return static_cast<int64_t>(i);
  return -1;
}

[[noreturn]] void refuse(const std::string& what, const std::string& tensor, const Tensor& t,
                         int64_t at, const std::string& user) {
  fail(ErrorCode::kNumerical,
       what + ": " + tensor + " holds " + (std::isnan(t.f[at]) ? "NaN" : "Inf") + " at element " +
           std::to_string(at) + " of " + std::to_string(t.f.size()) + user +
           "; a model with non-finite weights cannot be run or quantized");
}

}  // namespace

void check_finite_constants(const Graph& g, const std::string& what) {
  for (size_t v = 0; v < g.values.size(); ++v) {
    const Value& val = g.values[v];
    if (!val.constant) continue;
    const int64_t at = first_bad(val.data);
    if (at < 0) continue;
    std::string user;
    for (const Node& n : g.nodes) {
      for (int in : n.inputs)
        if (in == static_cast<int>(v)) {
          user = " (used by " + n.describe() + ")";
          break;
        }
      if (!user.empty()) break;
    }
    refuse(what, "initializer '" + val.name + "'", val.data, at, user);
  }
  for (const Node& n : g.nodes)
    for (const auto& [name, a] : n.attrs) {
      if (a.kind != Attribute::Kind::kTensor) continue;
      const int64_t at = first_bad(a.t);
      if (at >= 0) refuse(what, "tensor attribute '" + name + "' of " + n.describe(), a.t, at, "");
    }
}

}  // namespace efq
