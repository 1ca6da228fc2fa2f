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

template <typename F>
efq_status guarded(F&& body) noexcept {
  try {
    clear_last_error();
    body();
    return EFQ_OK;
  } catch (const efq::Error& e) {
    set_last_error(e.what());
    return static_cast<efq_status>(static_cast<int>(e.code()));
  } catch (const std::bad_alloc&) {
    set_last_error("out of memory");
    return EFQ_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_last_error(std::string("internal error: ") + e.what());
    return EFQ_ERR_INTERNAL;
  } catch (...) {
    set_last_error("internal error: unknown exception");
    return EFQ_ERR_INTERNAL;
  }
}

inline void require(const void* p, const char* name) {
  if (!p) fail(ErrorCode::kInvalidArgument, std::string(name) + " is NULL");
}

}  // namespace efq::capi
