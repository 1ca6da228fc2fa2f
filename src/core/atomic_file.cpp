#include "core/atomic_file.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "core/error.hpp"

namespace efq {

std::string temporary_path_for(const std::string& path, const std::string& ending) {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;  // unique across processes; the counter across threads
  return path + ".tmp-" + std::to_string(rd()) + "-" + std::to_string(counter++) + ending;
}

void commit_temporary(const std::string& tmp, const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    fail(ErrorCode::kIo, "cannot write '" + path + "': rename from '" + tmp + "' failed (" +
                             ec.message() + ")");
  }
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = temporary_path_for(path);
  FILE* f = std::fopen(tmp.c_str(), "wbx");  // x: never reuse an existing file
  if (!f)
    fail(ErrorCode::kIo, "cannot create '" + tmp + "' (to write '" + path + "'): " + std::strerror(errno));
  errno = 0;
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
  const int err = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(tmp.c_str());
    fail(ErrorCode::kIo, "cannot write '" + path + "': " + std::strerror(err ? err : EIO) + " (disk full?)");
  }
  commit_temporary(tmp, path);
}

}  // namespace efq
