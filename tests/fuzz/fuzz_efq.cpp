// libFuzzer target: the .efq reader (header, sections, bit-packed codes, the embedded ONNX graph).
#include <string>

#include "fuzz_common.hpp"
#include "onnx/efq_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  efq::fuzz::run_parser([&] { efq::load_efq_bytes(bytes, "fuzz.efq"); });
  return 0;
}
