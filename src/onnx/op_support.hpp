// The supported operator set and per-operator attribute checks.
#pragma once

#include <string>

#include "graph/graph.hpp"

namespace efq {

bool is_supported_op(const std::string& op);

/// Throws kUnsupported naming node, op and attribute when `n` uses an operator, an attribute or
/// an attribute value the engine does not implement.
void check_node_supported(const Node& n, int64_t opset, const std::string& where);

}  // namespace efq
