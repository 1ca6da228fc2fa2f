// The exception guard every extern "C" function runs its body in: exceptions become efq_status
// values plus a thread-local message; nothing escapes.
#pragma once

#include <efficientq/efficientq.h>

#include <new>
#include <string>

#include "core/error.hpp"

namespace efq::capi {

void set_last_error(const std::string& msg);
void clear_last_error();
const char* last_error_cstr();

/// ErrorCode -> efq_status: the values are the same by design, checked here at compile time.
constexpr efq_status to_status(ErrorCode c) { return static_cast<efq_status>(static_cast<int>(c)); }
static_assert(to_status(ErrorCode::kInvalidArgument) == EFQ_ERR_INVALID_ARGUMENT, "status values");
static_assert(to_status(ErrorCode::kIo) == EFQ_ERR_IO, "status values");
static_assert(to_status(ErrorCode::kFormat) == EFQ_ERR_FORMAT, "status values");
static_assert(to_status(ErrorCode::kUnsupported) == EFQ_ERR_UNSUPPORTED, "status values");
static_assert(to_status(ErrorCode::kOutOfMemory) == EFQ_ERR_OUT_OF_MEMORY, "status values");
static_assert(to_status(ErrorCode::kBackend) == EFQ_ERR_BACKEND, "status values");
static_assert(to_status(ErrorCode::kNumerical) == EFQ_ERR_NUMERICAL, "status values");
static_assert(to_status(ErrorCode::kCancelled) == EFQ_ERR_CANCELLED, "status values");
static_assert(to_status(ErrorCode::kInvalidState) == EFQ_ERR_INVALID_STATE, "status values");
static_assert(to_status(ErrorCode::kInternal) == EFQ_ERR_INTERNAL, "status values");

/// Runs `body`; an exception becomes an efq_status (current_exception_as_error: anything not an
/// efq::Error or bad_alloc is INTERNAL here) and the thread-local message.
template <typename F>
efq_status guarded(F&& body) noexcept {
  try {
    clear_last_error();
    body();
    return EFQ_OK;
  } catch (...) {
    const Error e = current_exception_as_error(ErrorCode::kInternal);
    set_last_error(e.what());
    return to_status(e.code());
  }
}

inline void require(const void* p, const char* name) {
  if (!p) fail(ErrorCode::kInvalidArgument, std::string(name) + " is NULL");
}

}  // namespace efq::capi
