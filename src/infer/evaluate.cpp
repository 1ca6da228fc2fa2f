#include "infer/evaluate.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "infer/metrics.hpp"
#include "io/dataset.hpp"
#include "io/nifti.hpp"

namespace efq {

CaseDice case_dice(const std::vector<uint8_t>& pred, const std::vector<uint8_t>& ref,
                   int64_t channels, const Conventions& c, std::vector<std::string>* names,
                   std::vector<bool>* foreground) {
  CaseDice cd;
  std::vector<std::string> nm;
  std::vector<bool> fg;
  if (c.activation == Activation::kSigmoid) {
    std::vector<infer::Region> regions = c.regions;
    if (regions.empty()) {
      for (int64_t r = 0; r < channels; ++r) {
        int lab = c.regions_class_order.empty() ? static_cast<int>(r + 1)
                                                : c.regions_class_order.at(r);
        regions.push_back({"region " + std::to_string(r + 1), {lab}});
      }
    }
    cd.dice = infer::dice_per_region(pred, ref, regions);
    for (const auto& r : regions) {
      nm.push_back(r.name);
      fg.push_back(true);
    }
  } else {
    int num = static_cast<int>(std::max<int64_t>(channels, 2));
    for (uint8_t v : ref) num = std::max(num, v + 1);
    cd.dice = infer::dice_per_class(pred, ref, num);
    for (int k = 0; k < num; ++k) {
      nm.push_back(k < static_cast<int>(c.classes.size()) ? c.classes[k]
                                                          : "class " + std::to_string(k));
      fg.push_back(k != 0);
    }
  }
  double s = 0;
  int n = 0;
  for (size_t k = 0; k < cd.dice.size(); ++k)
    if (fg[k]) {
      s += cd.dice[k];
      ++n;
    }
  cd.mean_foreground = n ? s / n : 0;
  if (names) *names = nm;
  if (foreground) *foreground = fg;
  return cd;
}

namespace {

// A folder without dataset.json: NAME_0000.nii.gz (or .nii) per case, further modalities
// NAME_0001..., no labels.
EvalCases list_plain_folder(const std::string& dir, int64_t input_channels) {
  namespace fs = std::filesystem;
  EvalCases ec;
  ec.plain_folder = true;
  std::map<std::string, std::string> first;  // case name -> file ending
  std::error_code err;
  for (const auto& entry : fs::directory_iterator(dir, err)) {
    const std::string f = entry.path().filename().string();
    for (const std::string ending : {".nii.gz", ".nii"}) {
      const std::string suffix = "_0000" + ending;
      if (f.size() > suffix.size() &&
          f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0) {
        first[f.substr(0, f.size() - suffix.size())] = ending;
        break;
      }
    }
  }
  if (err) fail(ErrorCode::kIo, "cannot list " + dir + ": " + err.message());
  if (first.empty())
    fail(ErrorCode::kInvalidArgument,
         dir + ": neither an nnU-Net dataset (no dataset.json) nor a folder of NAME_0000.nii.gz images");
  for (const auto& [name, ending] : first) {
    io::DatasetCase dc;
    dc.name = name;
    for (int64_t c = 0; input_channels < 0 || c < input_channels; ++c) {
      char idx[32];
      std::snprintf(idx, sizeof idx, "_%04lld", static_cast<long long>(c));
      const fs::path p = fs::path(dir) / (name + idx + ending);
      if (!fs::is_regular_file(p, err)) {
        if (input_channels < 0) break;
        fail(ErrorCode::kInvalidArgument,
             p.string() + ": missing (the model takes " + std::to_string(input_channels) +
                 " modalities, case '" + name + "')");
      }
      dc.images.push_back(p.string());
    }
    ec.cases.push_back(std::move(dc));
  }
  return ec;
}

}  // namespace

EvalCases list_eval_cases(const std::string& dir, const std::string& split,
                          int64_t input_channels) {
  namespace fs = std::filesystem;
  std::error_code err;
  if (!fs::is_directory(dir, err))
    fail(ErrorCode::kIo, "cannot read " + dir + ": not a directory");
  if (!fs::exists(fs::path(dir) / "dataset.json", err))
    return list_plain_folder(dir, input_channels);
  if (split != "test" && split != "train")
    fail(ErrorCode::kInvalidArgument, "split '" + split + "' (expected test|train)");
  io::Dataset ds = io::load_dataset(dir);
  EvalCases ec;
  ec.cases = split == "test" ? ds.test : ds.train;
  if (ec.cases.empty())
    fail(ErrorCode::kInvalidArgument, dir + ": the " + split + " split has no cases");
  ec.class_names = ds.class_names;
  ec.regions = ds.regions;
  ec.regions_class_order = ds.regions_class_order;
  return ec;
}

void complete_conventions(Conventions& c, const EvalCases& ec) {
  // The dataset's declaration of regions/classes fills what the model does not say.
  if (c.activation == Activation::kSigmoid && c.regions.empty()) {
    c.regions = ec.regions;
    if (c.regions_class_order.empty()) c.regions_class_order = ec.regions_class_order;
  }
  if (c.classes.empty()) c.classes = ec.class_names;
}

std::vector<uint8_t> read_label_map(const std::string& path, const io::Grid& grid) {
  io::Image ref = io::read_nifti(path);
  for (int d = 0; d < 3; ++d)
    if (ref.grid.dim[d] != grid.dim[d])
      fail(ErrorCode::kInvalidArgument, path + ": label grid differs from the image grid");
  std::vector<uint8_t> labels(ref.data.size());
  for (size_t v = 0; v < labels.size(); ++v) {
    float x = ref.data[v];
    if (!(x >= 0 && x <= 255)) fail(ErrorCode::kFormat, path + ": label value out of 0..255");
    labels[v] = static_cast<uint8_t>(std::lround(x));
  }
  return labels;
}

void finish_means(Evaluation& ev) {
  const size_t ncls = ev.class_names.size();
  ev.mean_per_class.assign(ncls, 0.0);
  ev.mean_foreground_dice = 0;
  if (ev.cases.empty()) return;
  for (const auto& cd : ev.cases) {
    for (size_t k = 0; k < ncls && k < cd.dice.size(); ++k) ev.mean_per_class[k] += cd.dice[k];
    ev.mean_foreground_dice += cd.mean_foreground;
  }
  for (double& m : ev.mean_per_class) m /= static_cast<double>(ev.cases.size());
  ev.mean_foreground_dice /= static_cast<double>(ev.cases.size());
}

Evaluation evaluate_dataset(const Graph& g, Backend& be, const std::string& dataset_dir,
                            const std::string& split, const SegmentRequest& req,
                            const std::function<bool(int, int, const std::string&)>& on_case) {
  const EvalCases ec = list_eval_cases(dataset_dir, split, model_input_channels(g));
  SegmentRequest r = req;
  Conventions& c = r.conventions;
  complete_conventions(c, ec);
  Evaluation ev;
  for (size_t i = 0; i < ec.cases.size(); ++i) {
    const io::DatasetCase& dc = ec.cases[i];
    if (on_case && !on_case(static_cast<int>(i), static_cast<int>(ec.cases.size()), dc.name))
      fail(ErrorCode::kCancelled, "evaluation cancelled");
    if (dc.label.empty())
      fail(ErrorCode::kInvalidArgument,
           dataset_dir + ": case '" + dc.name +
               "' has no label file (without labels, score against a reference model: "
               "eval --reference FP32.onnx / efq_evaluate_fidelity)");
    auto t0 = std::chrono::steady_clock::now();
    std::vector<io::Image> mods;
    for (const auto& p : dc.images) mods.push_back(io::read_nifti(p));
    Segmentation seg = segment(g, be, std::move(mods), r);
    const std::vector<uint8_t> labels = read_label_map(dc.label, seg.grid);
    CaseDice cd = case_dice(seg.labels, labels, seg.channels, c,
                            ev.class_names.empty() ? &ev.class_names : nullptr,
                            ev.foreground.empty() ? &ev.foreground : nullptr);
    cd.name = dc.name;
    cd.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ev.cases.push_back(std::move(cd));
  }
  finish_means(ev);
  return ev;
}

std::string Evaluation::json() const {
  nlohmann::ordered_json j;
  j["classes"] = class_names;
  j["foreground"] = foreground;
  j["cases"] = nlohmann::ordered_json::array();
  for (const auto& cd : cases) {
    nlohmann::ordered_json cj;
    cj["name"] = cd.name;
    nlohmann::ordered_json d;
    for (size_t k = 0; k < cd.dice.size() && k < class_names.size(); ++k) d[class_names[k]] = cd.dice[k];
    cj["dice"] = d;
    cj["mean_foreground_dice"] = cd.mean_foreground;
    cj["seconds"] = cd.seconds;
    j["cases"].push_back(cj);
  }
  nlohmann::ordered_json m;
  for (size_t k = 0; k < mean_per_class.size(); ++k) m[class_names[k]] = mean_per_class[k];
  j["mean_dice"] = m;
  j["mean_foreground_dice"] = mean_foreground_dice;
  return j.dump(2);
}

}  // namespace efq
