// Dice evaluation of a model on an nnU-Net v2 raw dataset split, and fidelity: the Dice of a
// model's labels against a reference model's labels (no ground truth needed).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "graph/graph.hpp"
#include "infer/segment.hpp"
#include "io/dataset.hpp"

namespace efq {

struct CaseDice {
  std::string name;
  std::vector<double> dice;  // per class (softmax/none: label k) or per region (sigmoid)
  double mean_foreground = 0;
  double seconds = 0;
};

struct Evaluation {
  std::vector<std::string> class_names;  // names of the Dice columns
  std::vector<bool> foreground;          // which columns count into the foreground mean
  std::vector<CaseDice> cases;
  std::vector<double> mean_per_class;
  double mean_foreground_dice = 0;
  std::string json() const;              // machine-readable result
};

/// Per-case Dice of `seg` against `reference` labels under the conventions (softmax: class k =
/// label k, classes from 0 to max(channels, max label)-1; sigmoid: regions).
CaseDice case_dice(const std::vector<uint8_t>& pred, const std::vector<uint8_t>& reference,
                   int64_t channels, const Conventions& c, std::vector<std::string>* names,
                   std::vector<bool>* foreground);

/// The cases to score and what the folder says about the classes. `dir` is an nnU-Net v2 raw
/// dataset (dataset.json; the `split` folder imagesTs or imagesTr, labels optional) or, when it
/// has no dataset.json, a plain folder of NAME_0000.nii.gz (NAME_0001.nii.gz, ... up to the
/// model's `input_channels`; -1 = as many consecutive files as there are), which has no labels.
struct EvalCases {
  std::vector<io::DatasetCase> cases;     // sorted by name; label empty when unlabelled
  bool plain_folder = false;              // no dataset.json (split ignored)
  std::vector<std::string> class_names;   // from dataset.json (softmax datasets)
  std::vector<infer::Region> regions;     // from dataset.json (region datasets)
  std::vector<int> regions_class_order;
};
EvalCases list_eval_cases(const std::string& dir, const std::string& split,
                          int64_t input_channels);

/// Fills the scoring conventions the model does not state (classes, regions) from the folder.
void complete_conventions(Conventions& c, const EvalCases& ec);

/// Reads a label map (values 0..255) and checks it lies on `grid` (kInvalidArgument naming
/// the file otherwise; kFormat for a value outside 0..255).
std::vector<uint8_t> read_label_map(const std::string& path, const io::Grid& grid);

/// Means per class and of the per-case foreground means (after the cases are in).
void finish_means(Evaluation& ev);

/// Segments every case of `split` ("test" or "train") and scores it. `on_case(i, n, name)`
/// reports progress (false cancels).
Evaluation evaluate_dataset(const Graph& g, Backend& be, const std::string& dataset_dir,
                            const std::string& split, const SegmentRequest& req,
                            const std::function<bool(int, int, const std::string&)>& on_case);

/// A model scored against a reference model (fidelity), and both against the folder's labels
/// when every case has one.
struct FidelityEvaluation {
  std::string dataset_dir, split;
  bool labelled = false;      // every case has a label map: `dice` and `reference_dice` are set
  bool plain_folder = false;
  Evaluation fidelity;        // the model's labels scored against the reference's labels
  Evaluation dice;            // the model against the labels (labelled only)
  Evaluation reference_dice;  // the reference against the labels (labelled only)
  std::string json() const;
};

/// Segments every case with `model` and `reference` (each with its own request: preprocessing
/// and post-processing conventions) and scores the model's labels against the reference's with
/// case_dice() under the reference's conventions (classes/regions from the folder's
/// dataset.json when the model metadata has none; else from the output channels). Two
/// segmentations per case, as many as scoring both models against labels. Fails with
/// kInvalidArgument when the two models' outputs differ in channel count (they do not segment
/// the same classes).
FidelityEvaluation evaluate_fidelity(const Graph& model, const SegmentRequest& model_req,
                                     const Graph& reference, const SegmentRequest& reference_req,
                                     Backend& be, const std::string& dir, const std::string& split,
                                     const std::function<bool(int, int, const std::string&)>& on_case);

}  // namespace efq
