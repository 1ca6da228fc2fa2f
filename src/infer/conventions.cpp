#include "infer/conventions.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

#include "core/error.hpp"

namespace efq {

namespace {
// A JSON array of integers in [lo, hi]. nlohmann's get<int…>() converts a float such as 7e34 to
// an integer type without a range check (undefined behaviour; found by fuzz_json): each element
// is checked here first. An integral float (64.0) is accepted.
template <typename T>
std::vector<T> integers(const nlohmann::json& v, int64_t lo, int64_t hi) {
  if (!v.is_array()) throw std::runtime_error("needs an array of integers");
  std::vector<T> out;
  for (const auto& e : v) {
    const double d = e.is_number() ? e.get<double>() : std::nan("");
    if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != std::floor(d))
      throw std::runtime_error("needs integers in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                               "], got " + e.dump());
    out.push_back(static_cast<T>(d));  // in range: the conversion is exact
  }
  return out;
}
}  // namespace

Activation parse_activation(const std::string& s) {
  if (s == "none") return Activation::kNone;
  if (s == "softmax") return Activation::kSoftmax;
  if (s == "sigmoid") return Activation::kSigmoid;
  fail(ErrorCode::kInvalidArgument, "activation '" + s + "' (expected none|softmax|sigmoid)");
}

Axes parse_axes(const std::string& s) {
  if (s == "ijk") return Axes::kIJK;
  if (s == "kji") return Axes::kKJI;
  fail(ErrorCode::kInvalidArgument, "axes '" + s + "' (expected ijk|kji)");
}

std::string to_string(Activation a) {
  return a == Activation::kSoftmax ? "softmax" : a == Activation::kSigmoid ? "sigmoid" : "none";
}

Conventions parse_conventions(const std::string& text, const std::string& where) {
  Conventions c;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    fail(ErrorCode::kFormat, where + ": model metadata 'efficientq' is not valid JSON: " +
                                 e.what());
  }
  if (!j.is_object()) fail(ErrorCode::kFormat, where + ": model metadata is not a JSON object");
  std::string field;
  try {
    field = "modalities";
    if (j.contains(field)) c.modalities = j[field].get<std::vector<std::string>>();
    field = "normalization";
    if (j.contains(field)) {
      if (j[field].is_string()) c.normalization = {j[field].get<std::string>()};
      else c.normalization = j[field].get<std::vector<std::string>>();
      for (const auto& s : c.normalization) io::parse_normalization(s);
    }
    field = "spacing";
    if (j.contains(field)) {
      c.spacing = j[field].get<std::vector<double>>();
      if (c.spacing->size() != 3 || (*c.spacing)[0] <= 0 || (*c.spacing)[1] <= 0 ||
          (*c.spacing)[2] <= 0)
        throw std::runtime_error("needs 3 positive numbers");
    }
    field = "axes";
    if (j.contains(field)) c.axes = parse_axes(j[field].get<std::string>());
    field = "roi";
    if (j.contains(field)) {
      c.roi = integers<int64_t>(j[field], 1, 4096);  // the bounds of EFQ_PARAM_ROI_D/H/W
      if (c.roi.size() != 3) throw std::runtime_error("needs 3 positive sizes");
    }
    field = "overlap";
    if (j.contains(field)) {
      c.overlap = j[field].get<double>();
      if (!(c.overlap >= 0 && c.overlap < 1)) throw std::runtime_error("must lie in [0, 1)");
    }
    field = "blend";
    if (j.contains(field)) {
      std::string b = j[field].get<std::string>();
      if (b != "gaussian" && b != "constant") throw std::runtime_error("gaussian|constant");
      c.gaussian = b == "gaussian";
    }
    field = "activation";
    if (j.contains(field)) c.activation = parse_activation(j[field].get<std::string>());
    field = "classes";
    if (j.contains(field)) c.classes = j[field].get<std::vector<std::string>>();
    field = "regions";
    if (j.contains(field))
      for (const auto& r : j[field])
        c.regions.push_back({r.at("name").get<std::string>(), integers<int>(r.at("labels"), 0, 255)});
    field = "regions_class_order";
    if (j.contains(field)) c.regions_class_order = integers<int>(j[field], 0, 255);
    field = "threshold";
    if (j.contains(field)) c.threshold = j[field].get<double>();
  } catch (const Error& e) {
    fail(ErrorCode::kFormat, where + ": model metadata field '" + field + "': " + e.what());
  } catch (const std::exception& e) {
    fail(ErrorCode::kFormat, where + ": model metadata field '" + field + "': " + e.what());
  }
  return c;
}

std::string conventions_to_json(const Conventions& c) {
  nlohmann::ordered_json j;
  j["schema"] = 1;
  if (!c.modalities.empty()) j["modalities"] = c.modalities;
  if (!c.normalization.empty()) j["normalization"] = c.normalization;
  if (c.spacing) j["spacing"] = *c.spacing;
  j["axes"] = c.axes == Axes::kIJK ? "ijk" : "kji";
  if (!c.roi.empty()) j["roi"] = c.roi;
  j["overlap"] = c.overlap;
  j["blend"] = c.gaussian ? "gaussian" : "constant";
  j["activation"] = to_string(c.activation);
  if (!c.classes.empty()) j["classes"] = c.classes;
  if (!c.regions.empty()) {
    j["regions"] = nlohmann::ordered_json::array();
    for (const auto& r : c.regions) j["regions"].push_back({{"name", r.name}, {"labels", r.labels}});
  }
  if (!c.regions_class_order.empty()) j["regions_class_order"] = c.regions_class_order;
  j["threshold"] = c.threshold;
  return j.dump();
}

}  // namespace efq
