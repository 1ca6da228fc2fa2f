// The quantization report: the audit trail a vendor files with a quantized model.
#pragma once

#include <string>
#include <vector>

#include "quant/driver.hpp"
#include "quant/options.hpp"

namespace efq::quant {

struct ReportInputs {
  std::string model_path, model_sha256;
  std::vector<std::string> calibration_paths, calibration_sha256;
  int threads = 0;  // the backend's thread count (Backend::info)
};

/// JSON text: configuration, per-layer results, totals, library version, input checksums.
std::string report_json(const QuantResult& r, const QuantOptions& opt, const ReportInputs& in);

}  // namespace efq::quant
