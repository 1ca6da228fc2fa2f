// Fidelity: a (quantized) model's labels scored against a reference (FP32) model's labels, with
// eval's Dice conventions. Needs no ground truth; with labels, both models are scored too, from
// the same two segmentations per case.
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "infer/evaluate.hpp"
#include "io/nifti.hpp"

namespace efq {

FidelityEvaluation evaluate_fidelity(const Graph& model, const SegmentRequest& model_req,
                                     const Graph& reference, const SegmentRequest& reference_req,
                                     Backend& be, const std::string& dir, const std::string& split,
                                     const std::function<bool(int, int, const std::string&)>& on_case) {
  const EvalCases ec = list_eval_cases(dir, split, model_input_channels(reference));
  SegmentRequest mr = model_req, rr = reference_req;
  complete_conventions(mr.conventions, ec);
  complete_conventions(rr.conventions, ec);
  FidelityEvaluation fe;
  fe.dataset_dir = dir;
  fe.split = ec.plain_folder ? "" : split;
  fe.plain_folder = ec.plain_folder;
  fe.labelled = !ec.cases.empty();
  for (const auto& dc : ec.cases) fe.labelled = fe.labelled && !dc.label.empty();
  for (size_t i = 0; i < ec.cases.size(); ++i) {
    const io::DatasetCase& dc = ec.cases[i];
    if (on_case && !on_case(static_cast<int>(i), static_cast<int>(ec.cases.size()), dc.name))
      fail(ErrorCode::kCancelled, "evaluation cancelled");
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<io::Image> mods;
    for (const auto& p : dc.images) mods.push_back(io::read_nifti(p));
    Segmentation ref = segment(reference, be, mods, rr);
    Segmentation seg = segment(model, be, std::move(mods), mr);
    if (seg.channels != ref.channels)
      fail(ErrorCode::kInvalidArgument,
           "case '" + dc.name + "': the model has " + std::to_string(seg.channels) +
               " output channels, the reference " + std::to_string(ref.channels) +
               " (they do not segment the same classes)");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Scored under the reference's conventions: its labels are the ground truth here.
    auto score = [&](Evaluation& ev, const std::vector<uint8_t>& pred,
                     const std::vector<uint8_t>& truth, const Conventions& c) {
      CaseDice cd = case_dice(pred, truth, ref.channels, c,
                              ev.class_names.empty() ? &ev.class_names : nullptr,
                              ev.foreground.empty() ? &ev.foreground : nullptr);
      cd.name = dc.name;
      cd.seconds = seconds;
      ev.cases.push_back(std::move(cd));
    };
    score(fe.fidelity, seg.labels, ref.labels, rr.conventions);
    if (fe.labelled) {
      const std::vector<uint8_t> labels = read_label_map(dc.label, seg.grid);
      score(fe.dice, seg.labels, labels, mr.conventions);
      score(fe.reference_dice, ref.labels, labels, rr.conventions);
    }
  }
  finish_means(fe.fidelity);
  if (fe.labelled) {
    finish_means(fe.dice);
    finish_means(fe.reference_dice);
  }
  return fe;
}

std::string FidelityEvaluation::json() const {
  nlohmann::ordered_json j;
  j["dataset"] = dataset_dir;
  if (!plain_folder) j["split"] = split;
  j["labelled"] = labelled;
  j["mean_fidelity"] = fidelity.mean_foreground_dice;
  // Each block has eval's layout; inside "fidelity", "dice" is the Dice against the
  // reference's labels.
  j["fidelity"] = nlohmann::ordered_json::parse(fidelity.json());
  if (labelled) {
    j["mean_foreground_dice"] = dice.mean_foreground_dice;
    j["reference_mean_foreground_dice"] = reference_dice.mean_foreground_dice;
    j["dice"] = nlohmann::ordered_json::parse(dice.json());
    j["reference_dice"] = nlohmann::ordered_json::parse(reference_dice.json());
  }
  return j.dump(2);
}

}  // namespace efq
