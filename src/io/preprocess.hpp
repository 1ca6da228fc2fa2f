// Intensity normalisation of one modality, as named in the model metadata `normalization` field
// (docs/model-metadata.md): none, zscore, zscore-nonzero, ct:LO,HI, pct:P1,P2.
#pragma once

#include <string>
#include <vector>

namespace efq::io {

/// A parsed normalisation spec. `a`, `b` are LO/HI for kCtWindow and P1/P2 for kPercentile.
/// @since 0.1
struct Normalization {
  enum class Kind { kNone, kZScore, kZScoreNonzero, kCtWindow, kPercentile } kind = Kind::kNone;
  double a = 0, b = 0;
};

/// Parses "none" | "zscore" | "zscore-nonzero" | "ct:LO,HI" | "pct:P1,P2".
/// Throws kInvalidArgument, quoting the spec, on junk, LO >= HI, P outside [0, 100] or P1 >= P2.
/// @since 0.1
Normalization parse_normalization(const std::string& spec);

/// Normalises `data` in place:
/// - zscore: (x - mean) / max(std, 1e-8) over all voxels (population std, in double);
/// - zscore-nonzero: mean/std over voxels != 0, only those are transformed, zeros stay 0;
/// - ct: clip to [LO, HI], then (x - LO) / (HI - LO);
/// - pct: clip to the P1-th/P2-th percentiles (linear interpolation between order statistics,
///   as numpy's default), then zscore over all voxels.
/// Empty data is left as is. Thread-safe.
/// @since 0.1
void normalize(std::vector<float>& data, const Normalization& n);

}  // namespace efq::io
