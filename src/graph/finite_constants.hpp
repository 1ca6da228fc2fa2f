// Load-time validation: a model whose constants (initializers, Constant nodes' tensors) hold NaN
// or Inf is refused with one error naming the tensor and the node that uses it, instead of
// running and writing NaN probabilities (an all-background segmentation).
#pragma once

#include <string>

#include "graph/graph.hpp"

namespace efq {

/// Throws kNumerical naming the first non-finite float constant of `g` (initializer or tensor
/// attribute), its element index and its first consumer; `what` (the file) prefixes the message.
void check_finite_constants(const Graph& g, const std::string& what);

}  // namespace efq
