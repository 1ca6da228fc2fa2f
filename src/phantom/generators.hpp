// Internal entry points of the two phantom generators, called by generate() once the options
// have been validated and the defaults filled in. Not part of the public API.
#pragma once

#include <cstdint>

#include "phantom/phantom.hpp"

namespace efq::phantom::detail {

/// The LiTS-like abdominal CT (liver.cpp). `dim` entries are valid (>= kMinPhantomDim).
PhantomCase generate_liver(uint64_t seed, const int64_t dim[3]);

/// The BraTS-like 4-modality brain MRI (brats.cpp). `dim` entries are valid.
PhantomCase generate_brats(uint64_t seed, const int64_t dim[3]);

/// Default grid and spacing of each kind.
void default_geometry(Kind kind, int64_t dim_out[3], double spacing_out[3]);

}  // namespace efq::phantom::detail
