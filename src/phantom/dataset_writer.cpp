// write_dataset: an nnU-Net v2 raw dataset of phantom cases (dataset.json, imagesTr, labelsTr,
// imagesTs, labelsTs), written through io/nifti.hpp.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/error.hpp"
#include "io/image.hpp"
#include "io/nifti.hpp"
#include "phantom/phantom.hpp"

namespace efq::phantom {
namespace {

/// Zero-padded case number, at least three digits ("007", "1234").
std::string case_number(int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%03lld", static_cast<long long>(n));
  return buf;
}

std::string channel_suffix(size_t c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "_%04zu", c);
  return buf;
}

void make_dir(const std::filesystem::path& p) {
  std::error_code ec;
  std::filesystem::create_directories(p, ec);
  if (ec || !std::filesystem::is_directory(p)) {
    fail(ErrorCode::kIo, "phantom: cannot create folder '" + p.string() + "'" +
                             (ec ? ": " + ec.message() : std::string()));
  }
}

void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) fail(ErrorCode::kIo, "phantom: cannot write '" + p.string() + "'");
}

/// Generates case `index` and writes its images into `images` and its labels into `labels`.
void write_case(Kind kind, uint64_t seed, int64_t index, const int64_t dim[3],
                const std::filesystem::path& images, const std::filesystem::path& labels) {
  PhantomOptions opt;
  opt.kind = kind;
  opt.seed = case_seed(seed, index);
  for (int a = 0; a < 3; ++a) opt.dim[a] = dim ? dim[a] : 0;
  const PhantomCase pc = generate(opt);

  // Volume centered on the world origin, axes along +x, +y, +z.
  double origin[3];
  for (int a = 0; a < 3; ++a) {
    origin[a] = -0.5 * static_cast<double>(pc.dim[a] - 1) * pc.spacing[a];
  }
  const io::Grid grid = io::make_grid(pc.dim, pc.spacing, origin);
  // CT keeps integral HU as int16 (what scanners store); MRI intensities stay float32.
  const int datatype = kind == Kind::kLiver ? io::kNiftiInt16 : io::kNiftiFloat32;

  const std::string name = case_prefix(kind) + "_" + case_number(index);
  for (size_t c = 0; c < pc.modalities.size(); ++c) {
    const std::filesystem::path p = images / (name + channel_suffix(c) + ".nii.gz");
    io::write_nifti_image(p.string(), grid, pc.modalities[c], datatype);
  }
  io::write_nifti_labels((labels / (name + ".nii.gz")).string(), grid, pc.labels);
}

}  // namespace

void write_dataset(Kind kind, int num_train, int num_test, uint64_t seed, const int64_t dim[3],
                   const std::string& out_dir) {
  if (num_train < 0 || num_test < 0) {
    fail(ErrorCode::kInvalidArgument, "phantom: write_dataset case counts must be >= 0 (train " +
                                          std::to_string(num_train) + ", test " +
                                          std::to_string(num_test) + ")");
  }
  if (out_dir.empty()) fail(ErrorCode::kInvalidArgument, "phantom: write_dataset out_dir is empty");
  const std::string json = dataset_json(kind, num_train);  // also validates kind
  if (dim) {                                               // validate before touching the disk
    for (int a = 0; a < 3; ++a) {
      if (dim[a] != 0 && (dim[a] < kMinPhantomDim || dim[a] > kMaxPhantomDim)) {
        fail(ErrorCode::kInvalidArgument,
             "phantom: write_dataset dim[" + std::to_string(a) + "] = " + std::to_string(dim[a]) +
                 " is outside [" + std::to_string(kMinPhantomDim) + ", " +
                 std::to_string(kMaxPhantomDim) + "] (0 selects the default)");
      }
    }
  }

  const std::filesystem::path root(out_dir);
  const std::filesystem::path images_tr = root / "imagesTr", labels_tr = root / "labelsTr";
  const std::filesystem::path images_ts = root / "imagesTs", labels_ts = root / "labelsTs";
  for (const auto& p : {images_tr, labels_tr, images_ts, labels_ts}) make_dir(p);
  write_text(root / "dataset.json", json);

  for (int n = 0; n < num_train; ++n) write_case(kind, seed, n, dim, images_tr, labels_tr);
  for (int t = 0; t < num_test; ++t) {
    write_case(kind, seed, int64_t{num_train} + t, dim, images_ts, labels_ts);
  }
}

}  // namespace efq::phantom
