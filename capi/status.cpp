// Version, status strings, the thread-local error message.
#include <cstdlib>
#include <exception>
#include <string>

#include "backends/backend.hpp"
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
  // Built once, from what each compiled-in backend reports (Backend::info): e.g.
  // "backends: cpu (devices: cpu; threads: 2; oneDNN 2.6.3, OpenMP 201511, OpenBLAS 0.3.21)".
  static const std::string info = [] {
    std::string s = std::string("libefficientq ") + EFQ_VERSION_STRING_BUILD + "; backends: ";
    try {
      bool first_backend = true;
      for (const efq::BackendInfo& b : efq::backend_infos()) {
        s += (first_backend ? "" : ", ") + b.name + " (devices:";
        first_backend = false;
        for (const std::string& d : b.devices) s += " " + d;
        s += "; threads: " + std::to_string(b.threads) + ";";
        bool first_version = true;
        for (const auto& v : b.versions) {
          s += (first_version ? " " : ", ") + v.first + " " + v.second;
          first_version = false;
        }
        s += ")";
      }
    } catch (const std::exception& e) {  // a backend that cannot start still leaves a string
      s += std::string("(unavailable: ") + e.what() + ")";
    }
    return s + "; compiler: " + __VERSION__;
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
