// SHA-256 (FIPS 180-4) of files, for the audit trail in reports and model cards.
#pragma once

#include <string>

namespace efq {

/// Lower-case hex SHA-256 of a file's bytes (throws kIo when unreadable).
std::string sha256_file(const std::string& path);
std::string sha256_bytes(const std::string& bytes);

}  // namespace efq
