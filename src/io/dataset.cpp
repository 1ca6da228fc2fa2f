// nnU-Net v2 raw dataset reader. nlohmann::ordered_json keeps the key order of "labels", which
// defines the region order (and so the meaning of regions_class_order).
#include "io/dataset.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.hpp"

namespace efq::io {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::string q(const std::string& s) { return "'" + s + "'"; }

bool all_digits(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

[[noreturn]] void bad(const std::string& file, const std::string& why) {
  fail(ErrorCode::kFormat, "invalid nnU-Net dataset " + q(file) + ": " + why);
}

int parse_index(const std::string& key, const std::string& file) {
  if (key.empty() || key.size() > 4 || !all_digits(key))
    bad(file, "channel key " + q(key) + " is not a channel index");
  return std::stoi(key);
}

std::vector<std::string> parse_channels(const Json& j, const std::string& file) {
  const char* key = j.contains("channel_names") ? "channel_names" : "modality";
  if (!j.contains(key) || !j[key].is_object() || j[key].empty())
    bad(file, "\"channel_names\" is missing or not a non-empty object");
  std::map<int, std::string> by_index;
  for (const auto& [k, v] : j[key].items()) {
    if (!v.is_string()) bad(file, "channel " + q(k) + " has a non-string name");
    by_index[parse_index(k, file)] = v.get<std::string>();
  }
  std::vector<std::string> names;
  for (const auto& [i, name] : by_index) {
    if (i != static_cast<int>(names.size()))
      bad(file, "channel indices must be 0.." + std::to_string(by_index.size() - 1));
    names.push_back(name);
  }
  return names;
}

int label_value(const Json& v, const std::string& name, const std::string& file) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 255)
    bad(file, "label " + q(name) + " must be an integer in 0..255 or a list of them");
  return v.get<int>();
}

void parse_labels(const Json& j, const std::string& file, Dataset* ds) {
  if (!j.contains("labels") || !j["labels"].is_object())
    bad(file, "\"labels\" is missing or not an object");
  const Json& labels = j["labels"];
  bool region_based = false;
  for (const auto& [k, v] : labels.items()) region_based = region_based || v.is_array();
  if (!region_based) {
    for (const auto& [k, v] : labels.items()) {
      const size_t value = static_cast<size_t>(label_value(v, k, file));
      if (ds->class_names.size() <= value) ds->class_names.resize(value + 1);
      if (!ds->class_names[value].empty())
        bad(file, "labels " + q(ds->class_names[value]) + " and " + q(k) + " share value " +
                      std::to_string(value));
      ds->class_names[value] = k;
    }
    return;
  }
  for (const auto& [k, v] : labels.items()) {
    if (k == "background" || k == "ignore") continue;
    Region r;
    r.name = k;
    if (v.is_array()) {
      for (const Json& e : v) r.labels.push_back(label_value(e, k, file));
    } else {
      r.labels.push_back(label_value(v, k, file));
    }
    if (r.labels.empty()) bad(file, "region " + q(k) + " has no labels");
    ds->regions.push_back(r);
  }
  if (j.contains("regions_class_order")) {
    const Json& o = j["regions_class_order"];
    if (!o.is_array()) bad(file, "\"regions_class_order\" must be a list of integers");
    for (const Json& e : o)
      ds->regions_class_order.push_back(label_value(e, "regions_class_order", file));
    if (ds->regions_class_order.size() != ds->regions.size())
      bad(file, "\"regions_class_order\" has " + std::to_string(ds->regions_class_order.size()) +
                    " entries for " + std::to_string(ds->regions.size()) + " regions");
  }
}

/// Lists the cases of images folder `img_dir` (absent -> none); labels from `lbl_dir`.
std::vector<DatasetCase> list_cases(const fs::path& img_dir, const fs::path& lbl_dir,
                                    const Dataset& ds) {
  std::vector<DatasetCase> cases;
  std::error_code ec;
  if (!fs::is_directory(img_dir, ec)) return cases;
  const std::string& ending = ds.file_ending;
  const int channels = static_cast<int>(ds.channel_names.size());
  std::map<std::string, std::set<int>> found;
  for (const auto& entry : fs::directory_iterator(img_dir)) {
    const std::string f = entry.path().filename().string();
    if (f.size() <= ending.size() + 5 ||
        f.compare(f.size() - ending.size(), ending.size(), ending) != 0)
      continue;  // other files (e.g. .DS_Store) are not cases
    const std::string stem = f.substr(0, f.size() - ending.size());
    const std::string idx = stem.substr(stem.size() - 4);
    if (stem[stem.size() - 5] != '_' || !all_digits(idx))
      bad(entry.path().string(), "image files must be named CASE_XXXX" + ending);
    const int c = std::stoi(idx);
    if (c >= channels)
      bad(entry.path().string(), "channel " + std::to_string(c) + " but dataset.json declares " +
                                     std::to_string(channels) + " channel(s)");
    found[stem.substr(0, stem.size() - 5)].insert(c);
  }
  const bool has_labels = fs::is_directory(lbl_dir, ec);
  for (const auto& [name, present] : found) {  // std::map: sorted by name
    DatasetCase dc;
    dc.name = name;
    for (int c = 0; c < channels; ++c) {
      char suffix[16];
      std::snprintf(suffix, sizeof suffix, "_%04d", c);
      const fs::path p = img_dir / (name + suffix + ending);
      if (!present.count(c))
        bad(p.string(), "the modality file of case " + q(name) + " is missing");
      dc.images.push_back(p.string());
    }
    if (has_labels) {
      const fs::path l = lbl_dir / (name + ending);
      if (!fs::is_regular_file(l, ec))
        bad(l.string(), "the label file of case " + q(name) + " is missing");
      dc.label = l.string();
    }
    cases.push_back(std::move(dc));
  }
  return cases;
}

}  // namespace

Dataset load_dataset(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    fail(ErrorCode::kIo, "cannot read nnU-Net dataset " + q(dir) + ": not a directory");
  const fs::path root(dir);
  const std::string json_path = (root / "dataset.json").string();
  std::ifstream in(json_path);
  if (!in)
    fail(ErrorCode::kIo,
         "cannot read nnU-Net dataset " + q(dir) + ": " + q(json_path) + " is missing");
  Json j;
  try {
    j = Json::parse(in);
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number like 1e99999
    fail(ErrorCode::kFormat, "cannot parse " + q(json_path) + ": " + e.what());
  }
  if (!j.is_object()) bad(json_path, "the top level is not a JSON object");

  Dataset ds;
  ds.dir = dir;
  ds.name = j.contains("name") && j["name"].is_string()
                ? j["name"].get<std::string>()
                : fs::absolute(root).lexically_normal().filename().string();
  if (ds.name.empty())
    ds.name = fs::absolute(root).lexically_normal().parent_path().filename().string();
  try {  // the field checks name what is wrong; a type error they missed still gets one clear line
    ds.channel_names = parse_channels(j, json_path);
    parse_labels(j, json_path, &ds);
  } catch (const Json::exception& e) {
    bad(json_path, e.what());
  }
  if (j.contains("file_ending")) {
    if (!j["file_ending"].is_string() || j["file_ending"].get<std::string>().empty())
      bad(json_path, "\"file_ending\" must be a non-empty string");
    ds.file_ending = j["file_ending"].get<std::string>();
  }
  if (!fs::is_directory(root / "imagesTr", ec) && !fs::is_directory(root / "imagesTs", ec))
    bad(dir, "neither imagesTr nor imagesTs exists");
  try {
    ds.train = list_cases(root / "imagesTr", root / "labelsTr", ds);
    ds.test = list_cases(root / "imagesTs", root / "labelsTs", ds);
  } catch (const fs::filesystem_error& e) {
    fail(ErrorCode::kIo, "cannot list nnU-Net dataset " + q(dir) + ": " + e.what());
  }
  return ds;
}

}  // namespace efq::io
