// Version, status strings, the thread-local error message.
#include <dnnl.h>

#include <cstdlib>
#include <string>

#include "capi/guard.hpp"

namespace efq::capi {
namespace {
thread_local std::string g_last_error;
}
void set_last_error(const std::string& msg) { g_last_error = msg; }
void clear_last_error() { g_last_error.clear(); }
const char* last_error_cstr() { return g_last_error.c_str(); }
}  // namespace efq::capi

extern "C" {

unsigned efq_version_number(void) { return EFQ_VERSION_NUMBER; }

const char* efq_version_string(void) { return EFQ_VERSION_STRING_BUILD; }

const char* efq_build_info(void) {
  static const std::string info = [] {
    const dnnl_version_t* v = dnnl_version();
    return std::string("libefficientq ") + EFQ_VERSION_STRING_BUILD + "; backends: cpu (oneDNN " +
           std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
           std::to_string(v->patch) + "); compiler: " + __VERSION__;
  }();
  return info.c_str();
}

const char* efq_status_string(efq_status s) {
  switch (s) {
    case EFQ_OK: return "ok";
    case EFQ_ERR_INVALID_ARGUMENT: return "invalid argument";
    case EFQ_ERR_IO: return "I/O error";
    case EFQ_ERR_FORMAT: return "format error";
    case EFQ_ERR_UNSUPPORTED: return "unsupported";
    case EFQ_ERR_OUT_OF_MEMORY: return "out of memory";
    case EFQ_ERR_BACKEND: return "backend error";
    case EFQ_ERR_NUMERICAL: return "numerical error";
    case EFQ_ERR_CANCELLED: return "cancelled";
    case EFQ_ERR_INVALID_STATE: return "invalid state";
    case EFQ_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char* efq_last_error_message(void) { return efq::capi::last_error_cstr(); }

void efq_string_free(char* s) { std::free(s); }

}  // extern "C"
