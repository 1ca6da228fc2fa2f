// The calibration batch: each case preprocessed like inference, centre-cropped to one size and
// stacked on N; with it, the optional body mask (QuantOptions::body_mask).
#pragma once

#include <vector>

#include "core/tensor.hpp"
#include "graph/graph.hpp"
#include "infer/conventions.hpp"
#include "io/image.hpp"
#include "quant/options.hpp"

namespace efq::quant {

struct CalibrationBatch {
  Tensor input;  // [N, C, D, H, W]
  Tensor body;   // [N, 1, D, H, W], 1 where the first modality is nonzero (with has_body)
  bool has_body = false;
  const Tensor* body_or_null() const { return has_body ? &body : nullptr; }
};

/// Builds the batch from the cases' modality images (each case checked against the model). The
/// crop is QuantOptions::calib_crop, else default_calibration_crop of the first case.
CalibrationBatch make_calibration_batch(const Graph& g,
                                        const std::vector<const std::vector<io::Image>*>& cases,
                                        const Conventions& conv, const QuantOptions& opt);

/// METHOD §1.4 default calibration crop for a volume of spatial size `s`.
std::vector<int64_t> default_calibration_crop(const Shape& spatial);

/// Center-crops (zero-pads where smaller) [N, C, D, H, W] to `crop`.
Tensor center_crop(const Tensor& x, const std::vector<int64_t>& crop);

}  // namespace efq::quant
