// Synthetic, seed-deterministic 3D phantoms for tests, the demo, training and benchmarks:
//  - kLiver: a LiTS-like abdominal CT in Hounsfield units (labels 0 background, 1 liver, 2 tumor);
//  - kBrats: a BraTS-like skull-stripped brain MRI with FLAIR, T1, T1ce, T2
//    (labels 0 background, 1 necrotic core, 2 edema, 3 enhancing tumor).
// Every random number comes from our own PRNG (prng.hpp), so a (kind, seed, dim) triple gives the
// same arrays on every platform and standard library.
//
// Axes: i, j, k with i fastest in memory (index = i + nx*(j + ny*k)). The anatomy is laid out in
// RAS-like orientation: +i towards the patient's right, +j anterior, +k superior; k is the slice
// axis. Anatomy is defined relative to the field of view, so a non-default `dim` resamples the
// same body; the spacing is scaled so the field of view in mm stays the default one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace efq::phantom {

/// One generated case: images and labels on the same voxel grid.
/// @since 0.1
struct PhantomCase {
  int64_t dim[3] = {0, 0, 0};           ///< voxels along i, j, k
  double spacing[3] = {1.0, 1.0, 1.0};  ///< voxel size in mm along i, j, k
  /// One array per modality (see modality_names()), each dim[0]*dim[1]*dim[2] values,
  /// index = i + dim[0]*(j + dim[1]*k). CT in HU; MRI in arbitrary positive units, exactly 0
  /// outside the brain.
  std::vector<std::vector<float>> modalities;
  std::vector<uint8_t> labels;  ///< same indexing as the modalities
};

/// Which phantom to generate.
/// @since 0.1
enum class Kind { kLiver, kBrats };

/// Generation options. A zero entry in `dim` selects that axis' default
/// (liver 96 x 96 x 64 at 1.5 x 1.5 x 2.5 mm, brats 96 x 96 x 96 at 1.5 mm).
/// @since 0.1
struct PhantomOptions {
  Kind kind = Kind::kLiver;
  uint64_t seed = 0;
  int64_t dim[3] = {0, 0, 0};
};

/// Smallest accepted extent of any axis (smaller grids cannot hold the anatomy).
/// @since 0.1
inline constexpr int64_t kMinPhantomDim = 16;
/// Largest accepted extent of any axis.
/// @since 0.1
inline constexpr int64_t kMaxPhantomDim = 1024;

/// Generates one case. Deterministic: the same options give bit-identical arrays.
/// Every liver case has at least one tumor voxel; every brats case has non-empty labels 1, 2 and 3.
/// Thread-safe (no shared state). Throws efq::Error(kInvalidArgument) when a dim entry is
/// negative, or positive but outside [kMinPhantomDim, kMaxPhantomDim].
/// @since 0.1
PhantomCase generate(const PhantomOptions& opt);

/// The seed of case `index` of a dataset generated from `dataset_seed` (a hash of both).
/// @since 0.1
uint64_t case_seed(uint64_t dataset_seed, int64_t index);

/// Channel names in storage order: {"CT"} or {"FLAIR", "T1", "T1ce", "T2"}.
/// @since 0.1
std::vector<std::string> modality_names(Kind kind);

/// File-name prefix of the cases of a dataset: "liver" or "brats".
/// @since 0.1
std::string case_prefix(Kind kind);

/// nnU-Net v2 dataset.json text: channel_names, labels (brats as regions whole tumor [1,2,3],
/// tumor core [1,3], enhancing tumor [3] with regions_class_order [2,1,3], which fuses the
/// regions back into our label values), numTraining and file_ending ".nii.gz".
/// Throws efq::Error(kInvalidArgument) when num_train < 0.
/// @since 0.1
std::string dataset_json(Kind kind, int num_train);

/// Writes an nnU-Net v2 raw dataset under `out_dir` (created if missing): dataset.json,
/// imagesTr/<prefix>_NNN_XXXX.nii.gz, labelsTr/<prefix>_NNN.nii.gz, imagesTs/, labelsTs/.
/// Training case n uses case_seed(seed, n); test case t is numbered and seeded as case
/// num_train + t, so identifiers and anatomies never repeat between the splits. CT is stored
/// as int16 (rounded HU), MRI as float32, labels as uint8. `dim` may be nullptr (defaults).
/// Throws efq::Error(kInvalidArgument) for negative counts or a bad dim, kIo when a folder
/// or file cannot be written.
/// @since 0.1
void write_dataset(Kind kind, int num_train, int num_test, uint64_t seed, const int64_t dim[3],
                   const std::string& out_dir);

}  // namespace efq::phantom
