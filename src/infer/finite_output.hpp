// Non-finite network outputs: a model with NaN/Inf weights, or one that overflows, gives NaN
// probabilities, which argmax would turn into a silent all-background segmentation. Inference
// checks every window's output and fails with a clear error naming the node where the first
// non-finite value appeared.
#pragma once

#include <string>

#include "core/tensor.hpp"
#include "infer/executor.hpp"

namespace efq {

/// The first index of a non-finite value of `t` (float32), or -1.
int64_t first_non_finite(const Tensor& t);

/// Throws kNumerical when the network output `y` of `input` holds NaN or Inf. The message names
/// the first node whose output is not finite, found by running `input` again through `ex` (only
/// on failure) with an observer, and says how many output values are affected.
void check_finite_output(const Graph& g, Executor& ex, const Tensor& input, const Tensor& y);

}  // namespace efq
