// Context and configuration handles. What each parameter is lives in the table (capi/params.cpp).
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/params.hpp"
#include "capi/struct_size.hpp"

using efq::capi::guarded;
using efq::capi::param_label;
using efq::capi::param_spec;
using efq::capi::ParamSpec;
using efq::capi::ParamType;
using efq::capi::require;

namespace {

// efq_param_get_info casts the table's enums to the public ones.
using efq::capi::ParamScope;
static_assert(static_cast<int>(ParamType::kInt) == EFQ_TYPE_INT &&
                  static_cast<int>(ParamType::kReal) == EFQ_TYPE_REAL &&
                  static_cast<int>(ParamType::kString) == EFQ_TYPE_STRING,
              "ParamType values equal efq_param_type's");
static_assert(static_cast<int>(ParamScope::kInference) == EFQ_SCOPE_INFERENCE &&
                  static_cast<int>(ParamScope::kSegmentation) == EFQ_SCOPE_SEGMENTATION &&
                  static_cast<int>(ParamScope::kEvaluation) == EFQ_SCOPE_EVALUATION &&
                  static_cast<int>(ParamScope::kQuantization) == EFQ_SCOPE_QUANTIZATION &&
                  static_cast<int>(ParamScope::kContext) == EFQ_SCOPE_CONTEXT,
              "ParamScope values equal efq_param_scope's");

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

efq_status efq_context_set_int(efq_context* ctx, efq_param param, int64_t v) {
  return guarded([&] {
    const efq_param p = efq::capi::checked_param(&param);
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

efq_status efq_config_set_int(efq_config* c, efq_param param, int64_t v) {
  return guarded([&] {
    const efq_param p = efq::capi::checked_param(&param);
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

efq_status efq_config_set_real(efq_config* c, efq_param param, double v) {
  return guarded([&] {
    const efq_param p = efq::capi::checked_param(&param);
    require(c, "config");
    const ParamSpec& s = typed_spec(p, ParamType::kReal, "a real");
    if (!(v >= s.min && v <= s.max))
      efq::fail(efq::ErrorCode::kInvalidArgument, param_label(p) + " = " + std::to_string(v) +
                                                      " out of [" + std::to_string(s.min) + ", " +
                                                      std::to_string(s.max) + "]");
    c->reals[p] = v;
  });
}

efq_status efq_config_set_string(efq_config* c, efq_param param, const char* v) {
  return guarded([&] {
    const efq_param p = efq::capi::checked_param(&param);
    require(c, "config");
    require(v, "value");
    const ParamSpec& s = typed_spec(p, ParamType::kString, "a string");
    if (s.check) s.check(v);
    c->strings[p] = v;
  });
}

efq_status efq_param_bounds(efq_param param, double* min_out, double* max_out, double* default_out) {
  return guarded([&] {
    const efq_param p = efq::capi::checked_param(&param);
    const ParamSpec& s = param_spec(p);
    if (s.type == ParamType::kString)
      efq::fail(efq::ErrorCode::kInvalidArgument, param_label(p) + " is a string");
    if (min_out) *min_out = s.min;
    if (max_out) *max_out = s.max;
    if (default_out) *default_out = s.dflt;
  });
}

efq_status efq_param_get_info(efq_param param, efq_param_info* info_out) {
  return guarded([&] {
    const efq_param p = efq::capi::checked_param(&param);
    require(info_out, "info_out");
    efq::capi::check_struct_size(info_out->struct_size, efq::capi::kParamInfoV1Size, "info_out");
    const ParamSpec& s = param_spec(p);
    efq_param_info full;
    std::memset(&full, 0, sizeof full);
    full.param = s.id;
    full.type = static_cast<efq_param_type>(s.type);
    full.scope = static_cast<efq_param_scope>(s.scope);
    full.name = s.name;
    full.help = s.help;
    const bool numeric = s.type != ParamType::kString;
    full.min = numeric ? s.min : 0;
    full.max = numeric ? s.max : 0;
    full.default_value = numeric ? s.dflt : 0;
    full.default_string = s.dflt_string.c_str();  // the table is static: valid for the process
    efq::capi::copy_out_fitting(full, info_out, efq::capi::kParamInfoV1Size, "info_out");
  });
}

efq_status efq_param_list(efq_param* params_out, size_t capacity, size_t* count_out) {
  return guarded([&] {
    require(count_out, "count_out");
    if (capacity > 0) require(params_out, "params_out");
    const auto& table = efq::capi::param_table();
    for (size_t i = 0; i < table.size() && i < capacity; ++i) params_out[i] = table[i].id;
    *count_out = table.size();
  });
}

}  // extern "C"
