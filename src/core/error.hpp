// Typed errors of the C++ core. Library code throws efq::Error; the C boundary (capi/) turns it
// into an efq_status and a thread-local message. The codes mirror efq_status one to one.
#pragma once

#include <new>
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

/// The one mapping of the exception being handled (call inside a catch block) to an Error: an
/// efq::Error keeps its code and message; std::bad_alloc is kOutOfMemory ("out of memory"); any
/// other exception comes from code outside ours and gets `foreign` — kBackend where a backend
/// kernel ran, kInternal elsewhere (its message then starts "internal error: ").
inline Error current_exception_as_error(ErrorCode foreign) {
  const std::string prefix = foreign == ErrorCode::kInternal ? "internal error: " : "";
  try {
    throw;
  } catch (const Error& e) {
    return e;
  } catch (const std::bad_alloc&) {
    return Error(ErrorCode::kOutOfMemory, "out of memory");
  } catch (const std::exception& e) {
    return Error(foreign, prefix + e.what());
  } catch (...) {
    return Error(foreign, prefix + "unknown exception");
  }
}

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) {
  throw Error(code, message);
}

}  // namespace efq
