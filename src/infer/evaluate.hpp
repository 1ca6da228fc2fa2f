// Dice evaluation of a model on an nnU-Net v2 raw dataset split.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "graph/graph.hpp"
#include "infer/segment.hpp"

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

/// Segments every case of `split` ("test" or "train") and scores it. `on_case(i, n, name)`
/// reports progress (false cancels).
Evaluation evaluate_dataset(const Graph& g, Backend& be, const std::string& dataset_dir,
                            const std::string& split, const SegmentRequest& req,
                            const std::function<bool(int, int, const std::string&)>& on_case);

}  // namespace efq
