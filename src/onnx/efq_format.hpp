// The .efq packed model format (docs/efq-format.md): graph + bit-packed weight codes.
#pragma once

#include <string>

#include "graph/graph.hpp"

namespace efq {

/// Serialises a quantized graph. Layers without integer codes stay float inside the graph.
std::string efq_bytes(const Graph& g);
void save_efq_file(const Graph& g, const std::string& path);

/// Parses and checks (magic, version, sizes, CRC) an .efq file and rebuilds the graph; the
/// weights are the exact floats the quantizer stored, and weight_quant is restored.
Graph load_efq_bytes(const std::string& bytes, const std::string& what);
Graph load_efq_file(const std::string& path);

/// Bytes of the packed codes and of the FP32 weights they replace (for the size report).
struct EfqSize {
  int64_t packed_code_bytes = 0, fp32_weight_bytes = 0, file_bytes = 0;
};
EfqSize efq_size(const Graph& g);

}  // namespace efq
