// NIfTI-1/2 reading and writing (.nii, .nii.gz) through libnifti's nifti2 API.
// Every function throws efq::Error whose message names the file; nothing aborts or prints
// (libnifti itself may print to stderr on malformed files; its debug level is set to 0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/image.hpp"

namespace efq::io {

/// NIfTI datatype codes accepted by write_nifti_image (values of NIFTI's DT_* constants).
/// @since 0.1
constexpr int kNiftiUint8 = 2;
constexpr int kNiftiInt16 = 4;
constexpr int kNiftiFloat32 = 16;

/// Reads one 3-D volume (3-D, or 4-D with a single time point) of any integer or float
/// datatype into float32, applying scl_slope/scl_inter when the slope is nonzero and not the
/// identity (1, 0). The returned grid carries a copy of the header for writing outputs "like" it.
/// Throws: kIo (missing/unreadable file, truncated data), kFormat (not NIfTI, more than one
/// volume, dimensions <= 0 or more than 2^31 voxels, checked before any data is read),
/// kUnsupported (complex/RGB datatypes), kNumerical (NaN/Inf voxels, with their count).
/// Thread-safe for distinct files.
/// @since 0.1
Image read_nifti(const std::string& path);

/// The bytes read_nifti(path) allocates, from the header alone (voxels × (stored bytes + 4)),
/// after the same header checks. read_nifti checks it against the memory limit
/// (core/memory_budget.hpp) before reading any voxel; a caller reading several files adds them up.
int64_t nifti_read_bytes(const std::string& path);

/// Writes a uint8 label map on `like`'s grid: same dims, qform, sform, xyzt_units (and thus
/// orientation) as the source header, scl reset to 1/0, description "efficientq".
/// `path` must end in .nii or .nii.gz. The write is atomic (temp file in the same directory,
/// then rename): on any failure the temp file is removed, `path` is untouched, kIo is thrown.
/// Throws kInvalidArgument when labels.size() != like.voxels().
/// @since 0.1
void write_nifti_labels(const std::string& path, const Grid& like,
                        const std::vector<uint8_t>& labels);

/// Writes float32 data on `like`'s grid; channels > 1 gives a 4-D file with nt = channels,
/// channel slowest (data index = voxel + voxels * c). Atomic like write_nifti_labels.
/// @since 0.1
void write_nifti_float(const std::string& path, const Grid& like, const std::vector<float>& data,
                       int64_t channels = 1);

/// Writes a 3-D volume as `datatype` (kNiftiUint8, kNiftiInt16 or kNiftiFloat32); for integer
/// types values are rounded to nearest and clamped to the type's range. For phantoms.
/// Atomic like write_nifti_labels.
/// @since 0.1
void write_nifti_image(const std::string& path, const Grid& like, const std::vector<float>& data,
                       int datatype);

}  // namespace efq::io
