// ONNX → Graph import (Debian's onnx_proto + protobuf).
#pragma once

#include <string>

#include "graph/graph.hpp"

namespace onnx {
class ModelProto;
}

namespace efq {

/// Reads an ONNX file into a Graph, checks every node against the supported operator set
/// (clear kUnsupported errors naming node, op and attribute), and runs simplify().
Graph import_onnx_file(const std::string& path);
Graph import_onnx_bytes(const std::string& bytes, const std::string& what);
/// The same from a parsed model, which it consumes: each initializer's data is released as soon
/// as it is converted, so the weights are held about once, not twice.
Graph import_onnx_model(onnx::ModelProto& m, const std::string& what);

/// The operators the engine executes (after simplify()).
bool is_supported_op(const std::string& op);

}  // namespace efq
