// Where the unit tests find the machine's folders, looked up rather than written as literals:
// the scratch folder (EFQ_TEST_TMP, set by ctest; else the system temporary folder, which honours
// TMPDIR) and Debian mricron-data's templates (EFQ_MRICRON_DIR in the environment; else the CMake
// cache variable of the same name, compiled in as EFQ_MRICRON_DIR_DEFAULT).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#ifndef EFQ_MRICRON_DIR_DEFAULT
#error "EFQ_MRICRON_DIR_DEFAULT comes from tests/CMakeLists.txt (cache variable EFQ_MRICRON_DIR)"
#endif

namespace efq_test {

/// The tests' scratch root: $EFQ_TEST_TMP, else <system temp folder>/efq_test_tmp.
inline std::filesystem::path tmp_root() {
  const char* env = std::getenv("EFQ_TEST_TMP");
  if (env && *env) return std::filesystem::path(env);
  return std::filesystem::temp_directory_path() / "efq_test_tmp";
}

/// mricron-data's templates folder, with a trailing slash.
inline std::string mricron_templates() {
  const char* env = std::getenv("EFQ_MRICRON_DIR");
  const std::string root = (env && *env) ? env : EFQ_MRICRON_DIR_DEFAULT;
  return root + "/templates/";
}

}  // namespace efq_test
