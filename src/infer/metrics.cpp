// Dice from label histograms: one pass over the volumes fills 256-bin counts, then every class
// or region is a sum over bins, so the cost does not grow with the number of classes.
#include "infer/metrics.hpp"

#include <array>

#include "core/error.hpp"

namespace efq::infer {
namespace {

double dice_from_counts(int64_t inter, int64_t pred, int64_t ref) {
  if (pred + ref == 0) return 1.0;
  return 2.0 * static_cast<double>(inter) / static_cast<double>(pred + ref);
}

void check_sizes(const char* fn, size_t pred, size_t ref) {
  if (pred != ref)
    fail(ErrorCode::kInvalidArgument, std::string(fn) + ": prediction has " + std::to_string(pred) +
                                          " voxels, reference has " + std::to_string(ref));
}

/// Joint histogram: pred[v], ref[v] counts and agree[v] = voxels where both equal v.
struct Counts {
  std::array<int64_t, 256> pred{}, ref{}, agree{};
};

Counts count(const std::vector<uint8_t>& p, const std::vector<uint8_t>& r) {
  Counts c;
  for (size_t v = 0; v < p.size(); ++v) {
    ++c.pred[p[v]];
    ++c.ref[r[v]];
    if (p[v] == r[v]) ++c.agree[p[v]];
  }
  return c;
}

}  // namespace

double dice(const std::vector<uint8_t>& pred_mask, const std::vector<uint8_t>& ref_mask) {
  check_sizes("dice", pred_mask.size(), ref_mask.size());
  int64_t inter = 0, np = 0, nr = 0;
  for (size_t v = 0; v < pred_mask.size(); ++v) {
    const bool p = pred_mask[v] != 0, r = ref_mask[v] != 0;
    np += p;
    nr += r;
    inter += p && r;
  }
  return dice_from_counts(inter, np, nr);
}

std::vector<double> dice_per_class(const std::vector<uint8_t>& pred_labels,
                                   const std::vector<uint8_t>& ref_labels, int num_classes) {
  check_sizes("dice_per_class", pred_labels.size(), ref_labels.size());
  if (num_classes < 1 || num_classes > 256)
    fail(ErrorCode::kInvalidArgument,
         "dice_per_class: num_classes is " + std::to_string(num_classes) + " (must be 1..256)");
  const Counts c = count(pred_labels, ref_labels);
  std::vector<double> out(static_cast<size_t>(num_classes));
  for (int k = 0; k < num_classes; ++k) out[k] = dice_from_counts(c.agree[k], c.pred[k], c.ref[k]);
  return out;
}

std::vector<double> dice_per_region(const std::vector<uint8_t>& pred_labels,
                                    const std::vector<uint8_t>& ref_labels,
                                    const std::vector<Region>& regions) {
  check_sizes("dice_per_region", pred_labels.size(), ref_labels.size());
  std::vector<double> out;
  out.reserve(regions.size());
  if (regions.empty()) return out;
  // Joint 256x256 histogram: a region's intersection needs pairs (p, r) with both inside.
  std::vector<int64_t> joint(256 * 256, 0);
  for (size_t v = 0; v < pred_labels.size(); ++v) ++joint[pred_labels[v] * 256 + ref_labels[v]];
  for (const Region& region : regions) {
    std::array<bool, 256> in{};
    for (int l : region.labels)
      if (l >= 0 && l < 256) in[l] = true;
    int64_t inter = 0, np = 0, nr = 0;
    for (int p = 0; p < 256; ++p)
      for (int r = 0; r < 256; ++r) {
        const int64_t n = joint[p * 256 + r];
        if (n == 0) continue;
        np += in[p] ? n : 0;
        nr += in[r] ? n : 0;
        inter += in[p] && in[r] ? n : 0;
      }
    out.push_back(dice_from_counts(inter, np, nr));
  }
  return out;
}

}  // namespace efq::infer
