// A named set of label values (an nnU-Net v2 region). In core because both io (datasets) and
// infer (metrics, conventions) use it, and io must not depend on infer.
#pragma once

#include <string>
#include <vector>

namespace efq {

/// A named set of label values (an nnU-Net v2 region); its mask is "label in labels".
/// @since 0.1
struct Region {
  std::string name;
  std::vector<int> labels;
};

}  // namespace efq
