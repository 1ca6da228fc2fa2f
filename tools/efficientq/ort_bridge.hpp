// Running a model in onnxruntime (a PyPI wheel in a Python of the user's choice) from the CLI:
// tensors go through .npy files in a private temporary directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli.hpp"

namespace cli {

/// --python, else $EFQ_PYTHON, else build/venv/bin/python when present, else python3.
std::string ort_python(const Args& a);

/// Runs `script` (Python source) with `python`: argv = [script, model, input.npy, output.npy,
/// extra...]; returns the float32 output and its shape. A missing onnxruntime (exit 3) or any
/// failure is a Failure naming the Python used. When the script also writes a number to
/// output.npy + ".seconds" (its own timing) and `seconds_out` is given, it lands there.
std::vector<float> run_ort_script(const std::string& python, const char* script,
                                  const std::string& model, const float* input,
                                  const int64_t shape[5], const std::vector<std::string>& extra,
                                  std::vector<int64_t>& shape_out, double* seconds_out = nullptr);

}  // namespace cli
