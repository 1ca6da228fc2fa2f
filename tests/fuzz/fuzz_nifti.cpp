// libFuzzer target: the NIfTI reader (raw header checks, libnifti's header parse, voxel reading
// through znzlib, datatype conversion). read_nifti takes a path, so each input is written to a
// file in a private temp folder; the first byte picks the name (.nii or .nii.gz: znzlib reads a
// plain stream through gzip too, and a gzip stream is fuzzed through its compressed bytes).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "fuzz_common.hpp"
#include "io/nifti.hpp"

namespace {
std::string temp_dir() {
  static std::string dir = [] {
    // The system temporary folder (TMPDIR, else /tmp: std::filesystem's lookup).
    std::string tmpl = (std::filesystem::temp_directory_path() / "efq_fuzz_nifti_XXXXXX").string();
    const char* d = mkdtemp(tmpl.data());
    if (!d) std::abort();
    return std::string(d);
  }();
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string path = temp_dir() + (data[0] & 1 ? "/in.nii.gz" : "/in.nii");
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  std::fwrite(data + 1, 1, size - 1, f);
  std::fclose(f);
  efq::fuzz::run_parser([&] { efq::io::read_nifti(path); });
  std::remove(path.c_str());
  return 0;
}
