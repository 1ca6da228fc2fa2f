// Reader of nnU-Net v2 "raw" datasets: DIR/dataset.json plus imagesTr/labelsTr/imagesTs/labelsTs,
// one file per case and modality named NAME_XXXX<file_ending> (XXXX = 4-digit channel index).
#pragma once

#include <string>
#include <vector>

#include "core/region.hpp"

namespace efq::io {

/// One case: its modality files in channel order and its label map (empty when it has none).
/// @since 0.1
struct DatasetCase {
  std::string name;
  std::vector<std::string> images;
  std::string label;
};

/// A parsed dataset. Paths in cases are DIR/imagesTr/NAME_0000.nii.gz etc.
/// @since 0.1
struct Dataset {
  std::string dir, name;  ///< name: dataset.json "name", else the folder's name
  /// From "channel_names" {"0": "T1", ...} (or nnU-Net v1 "modality"), in index order.
  std::vector<std::string> channel_names;
  /// Softmax datasets: the label name of value k (from "labels" {"background": 0, ...});
  /// empty entries for unnamed values. Empty for region datasets.
  std::vector<std::string> class_names;
  /// Region datasets (some label's value is a list, e.g. "whole tumor": [1, 2, 3]): every
  /// non-background label as a region, in file order (nnU-Net's order; regions_class_order[i]
  /// is the value written for regions[i]). Empty for softmax datasets.
  std::vector<Region> regions;
  std::vector<int> regions_class_order;
  std::string file_ending = ".nii.gz";
  /// imagesTr/labelsTr and imagesTs/labelsTs, sorted by case name.
  std::vector<DatasetCase> train, test;
};

/// Reads DIR/dataset.json and lists the cases. A labels folder that is absent means "no labels";
/// when it exists, every case must have its label file. Throws kIo (missing dataset.json or
/// folder) or kFormat (bad JSON with the parser's message, bad fields, a case missing a modality
/// file or its label file, an unexpected channel index), each naming the file.
/// @since 0.1
Dataset load_dataset(const std::string& dir);

}  // namespace efq::io
