// Context and configuration handles. What each parameter is lives in the table (capi/params.cpp).
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/params.hpp"

using efq::capi::guarded;
using efq::capi::param_label;
using efq::capi::param_spec;
using efq::capi::ParamSpec;
using efq::capi::ParamType;
using efq::capi::require;

namespace {

const ParamSpec& typed_spec(efq_param p, ParamType type, const char* what) {
  const ParamSpec& s = param_spec(p);
  if (s.type != type) efq::fail(efq::ErrorCode::kInvalidArgument, param_label(p) + " is not " + what);
  return s;
}

}  // namespace

extern "C" {

efq_status efq_context_create(efq_context** out) {
  return guarded([&] {
    require(out, "ctx_out");
    *out = new efq_context();
  });
}

void efq_context_destroy(efq_context* ctx) { delete ctx; }

efq_status efq_context_set_log_callback(efq_context* ctx, efq_log_fn fn, void* user,
                                        efq_log_level max_level) {
  return guarded([&] {
    require(ctx, "ctx");
    ctx->log_fn = fn;
    ctx->log_user = user;
    ctx->log_max = max_level;
  });
}

efq_status efq_context_set_progress_callback(efq_context* ctx, efq_progress_fn fn, void* user) {
  return guarded([&] {
    require(ctx, "ctx");
    ctx->progress_fn = fn;
    ctx->progress_user = user;
  });
}

efq_status efq_context_set_int(efq_context* ctx, efq_param p, int64_t v) {
  return guarded([&] {
    require(ctx, "ctx");
    if (p != EFQ_PARAM_MEMORY_LIMIT_MB)
      efq::fail(efq::ErrorCode::kInvalidArgument,
                param_label(p) + " is not a context parameter (only EFQ_PARAM_MEMORY_LIMIT_MB is)");
    const ParamSpec& s = typed_spec(p, ParamType::kInt, "an int");
    if (v < s.min || v > s.max)
      efq::fail(efq::ErrorCode::kInvalidArgument,
                param_label(p) + " = " + std::to_string(v) + " out of [" +
                    std::to_string(static_cast<int64_t>(s.min)) + ", " +
                    std::to_string(static_cast<int64_t>(s.max)) + "]");
    ctx->memory_limit_mb = v;
  });
}

efq_status efq_config_create(efq_config** out) {
  return guarded([&] {
    require(out, "config_out");
    *out = new efq_config();
  });
}

void efq_config_destroy(efq_config* c) { delete c; }

efq_status efq_config_set_int(efq_config* c, efq_param p, int64_t v) {
  return guarded([&] {
    require(c, "config");
    const ParamSpec& s = typed_spec(p, ParamType::kInt, "an int");
    if (v < s.min || v > s.max)
      efq::fail(efq::ErrorCode::kInvalidArgument,
                param_label(p) + " = " + std::to_string(v) + " out of [" +
                    std::to_string(static_cast<int64_t>(s.min)) + ", " +
                    std::to_string(static_cast<int64_t>(s.max)) + "]");
    c->ints[p] = v;
  });
}

efq_status efq_config_set_real(efq_config* c, efq_param p, double v) {
  return guarded([&] {
    require(c, "config");
    const ParamSpec& s = typed_spec(p, ParamType::kReal, "a real");
    if (!(v >= s.min && v <= s.max))
      efq::fail(efq::ErrorCode::kInvalidArgument, param_label(p) + " = " + std::to_string(v) +
                                                      " out of [" + std::to_string(s.min) + ", " +
                                                      std::to_string(s.max) + "]");
    c->reals[p] = v;
  });
}

efq_status efq_config_set_string(efq_config* c, efq_param p, const char* v) {
  return guarded([&] {
    require(c, "config");
    require(v, "value");
    const ParamSpec& s = typed_spec(p, ParamType::kString, "a string");
    if (s.check) s.check(v);
    c->strings[p] = v;
  });
}

efq_status efq_param_bounds(efq_param p, double* min_out, double* max_out, double* default_out) {
  return guarded([&] {
    const ParamSpec& s = param_spec(p);
    if (s.type == ParamType::kString)
      efq::fail(efq::ErrorCode::kInvalidArgument, param_label(p) + " is a string");
    if (min_out) *min_out = s.min;
    if (max_out) *max_out = s.max;
    if (default_out) *default_out = s.dflt;
  });
}

}  // extern "C"
