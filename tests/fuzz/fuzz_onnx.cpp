// libFuzzer target: the ONNX importer (protobuf parse, tensor conversion, graph checks, simplify).
#include <string>

#include "fuzz_common.hpp"
#include "onnx/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  efq::fuzz::run_parser([&] { efq::import_onnx_bytes(bytes, "fuzz.onnx"); });
  return 0;
}
