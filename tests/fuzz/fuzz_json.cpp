// libFuzzer target: the JSON a user hands us. The first byte picks the parser: even = the model
// metadata (metadata_props["efficientq"], parse_conventions), odd = an nnU-Net dataset.json
// (load_dataset on a folder whose dataset.json is the input and whose imagesTs/labelsTs hold one
// tiny case, so the file-matching code runs too).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "fuzz_common.hpp"
#include "infer/conventions.hpp"
#include "io/dataset.hpp"

namespace {
std::string dataset_dir() {
  static std::string dir = [] {
    // The system temporary folder (TMPDIR, else /tmp: std::filesystem's lookup).
    std::string tmpl = (std::filesystem::temp_directory_path() / "efq_fuzz_json_XXXXXX").string();
    const char* d = mkdtemp(tmpl.data());
    if (!d) std::abort();
    const std::string s(d);
    for (const char* sub : {"/imagesTr", "/labelsTr", "/imagesTs", "/labelsTs"})
      mkdir((s + sub).c_str(), 0700);
    for (const char* file : {"/imagesTs/case_000_0000.nii.gz", "/labelsTs/case_000.nii.gz",
                             "/imagesTr/case_001_0000.nii.gz", "/imagesTr/case_001_0001.nii.gz",
                             "/labelsTr/case_001.nii.gz"}) {
      FILE* f = std::fopen((s + file).c_str(), "wb");
      if (f) std::fclose(f);
    }
    return s;
  }();
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) == 0) {
    efq::fuzz::run_parser([&] { efq::parse_conventions(text, "fuzz.onnx"); });
    return 0;
  }
  const std::string dir = dataset_dir();
  FILE* f = std::fopen((dir + "/dataset.json").c_str(), "wb");
  if (!f) std::abort();
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  efq::fuzz::run_parser([&] { efq::io::load_dataset(dir); });
  return 0;
}
