// Graph → ONNX export (FP32 graph with fake-quantized weights; activation fake-quant nodes as
// Div/Round/Clip/Mul so any ONNX runtime reproduces them). Files are written atomically.
#pragma once

#include <string>

#include "graph/graph.hpp"

namespace efq {

std::string export_onnx_bytes(const Graph& g);
void export_onnx_file(const Graph& g, const std::string& path);

}  // namespace efq
