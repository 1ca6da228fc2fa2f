// Atomic outputs: every file the library writes goes to a unique temporary name in the same
// folder and is renamed into place only when complete, so a failure never leaves a half-written
// file behind (and never clobbers an existing one).
#pragma once

#include <string>

namespace efq {

/// A unique temporary name next to `path` (unique across processes and threads), ending in
/// `ending` (writers that pick a format by extension, e.g. ".nii.gz").
std::string temporary_path_for(const std::string& path, const std::string& ending = "");

/// Renames the complete temporary file `tmp` over `path`; on failure removes `tmp` and throws
/// kIo naming both.
void commit_temporary(const std::string& tmp, const std::string& path);

/// Writes `bytes` to `path` atomically.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace efq
