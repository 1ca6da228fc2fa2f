// A model's conventions (docs/model-metadata.md): parsed from the ONNX metadata key `efficientq`,
// then overridden field by field by the caller's options.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "infer/metrics.hpp"
#include "io/preprocess.hpp"

namespace efq {

enum class Activation { kNone, kSoftmax, kSigmoid };
enum class Axes { kIJK, kKJI };

struct Conventions {
  std::vector<std::string> modalities;
  std::vector<std::string> normalization;  // one spec per modality, or one for all; empty = none
  std::optional<std::vector<double>> spacing;  // i,j,k mm
  Axes axes = Axes::kIJK;
  std::vector<int64_t> roi;  // D,H,W; empty = whole input
  double overlap = 0.25;
  bool gaussian = true;
  Activation activation = Activation::kNone;
  std::vector<std::string> classes;
  std::vector<infer::Region> regions;
  std::vector<int> regions_class_order;
  double threshold = 0.5;
};

/// Parses the metadata JSON (throws kFormat naming the field on a bad value).
Conventions parse_conventions(const std::string& json_text, const std::string& where);
/// The JSON text of `c` (what the model metadata would hold).
std::string conventions_to_json(const Conventions& c);

Activation parse_activation(const std::string& s);
Axes parse_axes(const std::string& s);
std::string to_string(Activation a);

}  // namespace efq
