// Public entry points of the phantom module: option checks, defaults, names, dataset.json.
#include "phantom/phantom.hpp"

#include <sstream>

#include "core/error.hpp"
#include "phantom/generators.hpp"
#include "phantom/prng.hpp"

namespace efq::phantom {

namespace detail {

void default_geometry(Kind kind, int64_t dim_out[3], double spacing_out[3]) {
  if (kind == Kind::kLiver) {
    const int64_t d[3] = {96, 96, 64};
    const double s[3] = {1.5, 1.5, 2.5};
    for (int a = 0; a < 3; ++a) {
      dim_out[a] = d[a];
      spacing_out[a] = s[a];
    }
  } else {
    for (int a = 0; a < 3; ++a) {
      dim_out[a] = 96;
      spacing_out[a] = 1.5;
    }
  }
}

}  // namespace detail

namespace {

void check_kind(Kind kind) {
  if (kind != Kind::kLiver && kind != Kind::kBrats) {
    fail(ErrorCode::kInvalidArgument,
         "phantom: unknown Kind value " + std::to_string(static_cast<int>(kind)));
  }
}

}  // namespace

PhantomCase generate(const PhantomOptions& opt) {
  check_kind(opt.kind);
  int64_t def_dim[3];
  double def_spacing[3];
  detail::default_geometry(opt.kind, def_dim, def_spacing);

  int64_t dim[3];
  double spacing[3];
  for (int a = 0; a < 3; ++a) {
    const int64_t d = opt.dim[a];
    if (d != 0 && (d < kMinPhantomDim || d > kMaxPhantomDim)) {
      fail(ErrorCode::kInvalidArgument,
           "phantom: dim[" + std::to_string(a) + "] = " + std::to_string(d) + " is outside [" +
               std::to_string(kMinPhantomDim) + ", " + std::to_string(kMaxPhantomDim) +
               "] (0 selects the default " + std::to_string(def_dim[a]) + ")");
    }
    dim[a] = d == 0 ? def_dim[a] : d;
    // The anatomy spans the field of view, so keep the default field of view in mm.
    spacing[a] = def_spacing[a] * static_cast<double>(def_dim[a]) / static_cast<double>(dim[a]);
  }

  PhantomCase out = opt.kind == Kind::kLiver ? detail::generate_liver(opt.seed, dim)
                                             : detail::generate_brats(opt.seed, dim);
  for (int a = 0; a < 3; ++a) {
    out.dim[a] = dim[a];
    out.spacing[a] = spacing[a];
  }
  return out;
}

uint64_t case_seed(uint64_t dataset_seed, int64_t index) {
  return hash_seed(dataset_seed, static_cast<uint64_t>(index));
}

std::vector<std::string> modality_names(Kind kind) {
  check_kind(kind);
  if (kind == Kind::kLiver) return {"CT"};
  return {"FLAIR", "T1", "T1ce", "T2"};
}

std::string case_prefix(Kind kind) {
  check_kind(kind);
  return kind == Kind::kLiver ? "liver" : "brats";
}

std::string dataset_json(Kind kind, int num_train) {
  check_kind(kind);
  if (num_train < 0) {
    fail(ErrorCode::kInvalidArgument,
         "phantom: dataset_json num_train = " + std::to_string(num_train) + " is negative");
  }
  const std::vector<std::string> names = modality_names(kind);
  std::ostringstream s;
  s << "{\n";
  if (kind == Kind::kLiver) {
    s << "  \"name\": \"EfqLiverPhantom\",\n"
      << "  \"description\": \"Synthetic LiTS-like abdominal CT (HU) from libefficientq\",\n";
  } else {
    s << "  \"name\": \"EfqBratsPhantom\",\n"
      << "  \"description\": \"Synthetic BraTS-like brain MRI from libefficientq\",\n";
  }
  s << "  \"channel_names\": {";
  for (size_t c = 0; c < names.size(); ++c) {
    s << (c ? ", " : "") << "\"" << c << "\": \"" << names[c] << "\"";
  }
  s << "},\n";
  if (kind == Kind::kLiver) {
    s << "  \"labels\": {\"background\": 0, \"liver\": 1, \"tumor\": 2},\n";
  } else {
    // Regions, fused back into our label values in this order: whole tumor -> 2 (edema),
    // tumor core -> 1 (necrotic core), enhancing tumor -> 3.
    s << "  \"labels\": {\"background\": 0, \"whole tumor\": [1, 2, 3], \"tumor core\": [1, 3], "
         "\"enhancing tumor\": [3]},\n"
      << "  \"regions_class_order\": [2, 1, 3],\n";
  }
  s << "  \"numTraining\": " << num_train << ",\n"
    << "  \"file_ending\": \".nii.gz\"\n"
    << "}\n";
  return s.str();
}

}  // namespace efq::phantom
