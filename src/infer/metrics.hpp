// Segmentation metrics: Dice for binary masks, per label value, and per region (nnU-Net v2
// regions, e.g. BraTS whole tumor = labels {1, 2, 3}).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/region.hpp"

namespace efq::infer {

/// efq::Region (core/region.hpp) under its historical name.
using Region = efq::Region;

/// Dice = 2|P ∩ R| / (|P| + |R|) of two masks (nonzero = inside). Conventions: both empty -> 1,
/// exactly one empty -> 0. Throws kInvalidArgument when the sizes differ.
/// @since 0.1
double dice(const std::vector<uint8_t>& pred_mask, const std::vector<uint8_t>& ref_mask);

/// Dice of each label value k in [0, num_classes), background 0 included (index k = label k),
/// with the conventions of dice(). Values >= num_classes belong to no class.
/// Throws kInvalidArgument when the sizes differ or num_classes is not in [1, 256].
/// @since 0.1
std::vector<double> dice_per_class(const std::vector<uint8_t>& pred_labels,
                                   const std::vector<uint8_t>& ref_labels, int num_classes);

/// Dice of each region (mask = label in region.labels), in the order of `regions`.
/// Throws kInvalidArgument when the sizes differ.
/// @since 0.1
std::vector<double> dice_per_region(const std::vector<uint8_t>& pred_labels,
                                    const std::vector<uint8_t>& ref_labels,
                                    const std::vector<Region>& regions);

}  // namespace efq::infer
