// Graph → ONNX export (FP32 graph with fake-quantized weights; activation fake-quant nodes as
// Div/Round/Clip/Mul so any ONNX runtime reproduces them). Files are written atomically.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.hpp"

namespace efq {

enum class OnnxFormat {
  kFakeQuant,  // FP32 weights (dequantized values); activations via Div/Round/Clip/Mul
  kQdq,        // int8/uint8 weight codes + DequantizeLinear; activations via [Clip →]
               // QuantizeLinear → DequantizeLinear (what onnxruntime / TensorRT consume)
};

/// `notes_out` (optional) receives one line per layer kept in float (e.g. faithful 8-bit weights,
/// whose 255 odd levels do not fit int8).
std::string export_onnx_bytes(const Graph& g, OnnxFormat format = OnnxFormat::kFakeQuant,
                              std::vector<std::string>* notes_out = nullptr,
                              const std::vector<int>* omit_initializers = nullptr);

void export_onnx_file(const Graph& g, const std::string& path,
                      OnnxFormat format = OnnxFormat::kFakeQuant,
                      std::vector<std::string>* notes_out = nullptr);

}  // namespace efq
