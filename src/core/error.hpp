// Typed errors of the C++ core. Library code throws efq::Error; the C boundary (capi/) turns it
// into an efq_status and a thread-local message. The codes mirror efq_status one to one.
#pragma once

#include <stdexcept>
#include <string>

namespace efq {

enum class ErrorCode : int {
  kInvalidArgument = 1,
  kIo = 2,
  kFormat = 3,
  kUnsupported = 4,
  kOutOfMemory = 5,
  kBackend = 6,
  kNumerical = 7,
  kCancelled = 8,
  kInvalidState = 9,
  kInternal = 99,
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) {
  throw Error(code, message);
}

}  // namespace efq
