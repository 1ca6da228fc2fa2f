// Context and configuration handles.
#include <cmath>
#include <cstring>

#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "io/preprocess.hpp"

using efq::capi::guarded;
using efq::capi::require;

namespace {

struct ParamSpec {
  efq_param param;
  enum { kInt, kReal, kString } type;
  double min, max, dflt;
};

const ParamSpec kParams[] = {
    {EFQ_PARAM_THREADS, ParamSpec::kInt, 0, 1024, 0},
    {EFQ_PARAM_DEVICE, ParamSpec::kString, 0, 0, 0},
    {EFQ_PARAM_ROI_D, ParamSpec::kInt, 0, 4096, 0},
    {EFQ_PARAM_ROI_H, ParamSpec::kInt, 0, 4096, 0},
    {EFQ_PARAM_ROI_W, ParamSpec::kInt, 0, 4096, 0},
    {EFQ_PARAM_OVERLAP, ParamSpec::kReal, 0, 0.99, 0.25},
    {EFQ_PARAM_BLEND, ParamSpec::kString, 0, 0, 0},
    {EFQ_PARAM_AXES, ParamSpec::kString, 0, 0, 0},
    {EFQ_PARAM_NORMALIZATION, ParamSpec::kString, 0, 0, 0},
    {EFQ_PARAM_SPACING_X, ParamSpec::kReal, 0, 100, 0},
    {EFQ_PARAM_SPACING_Y, ParamSpec::kReal, 0, 100, 0},
    {EFQ_PARAM_SPACING_Z, ParamSpec::kReal, 0, 100, 0},
    {EFQ_PARAM_ACTIVATION, ParamSpec::kString, 0, 0, 0},
    {EFQ_PARAM_THRESHOLD, ParamSpec::kReal, 0, 1, 0.5},
    {EFQ_PARAM_SPLIT, ParamSpec::kString, 0, 0, 0},
    {EFQ_PARAM_WANT_PROBABILITIES, ParamSpec::kInt, 0, 1, 0},
};

const ParamSpec& spec(efq_param p) {
  for (const auto& s : kParams)
    if (s.param == p) return s;
  efq::fail(efq::ErrorCode::kInvalidArgument, "unknown parameter " + std::to_string(p));
}

void check_string(efq_param p, const std::string& v) {
  switch (p) {
    case EFQ_PARAM_BLEND:
      if (v != "gaussian" && v != "constant")
        efq::fail(efq::ErrorCode::kInvalidArgument, "blend '" + v + "' (gaussian|constant)");
      break;
    case EFQ_PARAM_AXES: efq::parse_axes(v); break;
    case EFQ_PARAM_ACTIVATION: efq::parse_activation(v); break;
    case EFQ_PARAM_SPLIT:
      if (v != "test" && v != "train")
        efq::fail(efq::ErrorCode::kInvalidArgument, "split '" + v + "' (test|train)");
      break;
    case EFQ_PARAM_NORMALIZATION: {
      size_t pos = 0;
      while (true) {
        size_t semi = v.find(';', pos);
        efq::io::parse_normalization(v.substr(pos, semi - pos));
        if (semi == std::string::npos) break;
        pos = semi + 1;
      }
      break;
    }
    default: break;
  }
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
    const ParamSpec& s = spec(p);
    if (s.type != ParamSpec::kInt)
      efq::fail(efq::ErrorCode::kInvalidArgument, "parameter " + std::to_string(p) + " is not an int");
    if (v < s.min || v > s.max)
      efq::fail(efq::ErrorCode::kInvalidArgument,
                "parameter " + std::to_string(p) + " = " + std::to_string(v) + " out of [" +
                    std::to_string(static_cast<int64_t>(s.min)) + ", " +
                    std::to_string(static_cast<int64_t>(s.max)) + "]");
    c->ints[p] = v;
  });
}

efq_status efq_config_set_real(efq_config* c, efq_param p, double v) {
  return guarded([&] {
    require(c, "config");
    const ParamSpec& s = spec(p);
    if (s.type != ParamSpec::kReal)
      efq::fail(efq::ErrorCode::kInvalidArgument, "parameter " + std::to_string(p) + " is not a real");
    if (!(v >= s.min && v <= s.max))
      efq::fail(efq::ErrorCode::kInvalidArgument, "parameter " + std::to_string(p) + " = " +
                                                      std::to_string(v) + " out of [" +
                                                      std::to_string(s.min) + ", " +
                                                      std::to_string(s.max) + "]");
    c->reals[p] = v;
  });
}

efq_status efq_config_set_string(efq_config* c, efq_param p, const char* v) {
  return guarded([&] {
    require(c, "config");
    require(v, "value");
    const ParamSpec& s = spec(p);
    if (s.type != ParamSpec::kString)
      efq::fail(efq::ErrorCode::kInvalidArgument, "parameter " + std::to_string(p) + " is not a string");
    check_string(p, v);
    c->strings[p] = v;
  });
}

efq_status efq_param_bounds(efq_param p, double* min_out, double* max_out, double* default_out) {
  return guarded([&] {
    const ParamSpec& s = spec(p);
    if (s.type == ParamSpec::kString)
      efq::fail(efq::ErrorCode::kInvalidArgument, "parameter " + std::to_string(p) + " is a string");
    if (min_out) *min_out = s.min;
    if (max_out) *max_out = s.max;
    if (default_out) *default_out = s.dflt;
  });
}

}  // extern "C"

namespace efq::capi {

Conventions effective_conventions(const efq_model& m, const efq_config* cfg) {
  Conventions c = m.conventions;
  if (!cfg) return c;
  auto str = [&](efq_param p) -> const std::string* {
    auto it = cfg->strings.find(p);
    return it == cfg->strings.end() ? nullptr : &it->second;
  };
  auto real = [&](efq_param p) -> const double* {
    auto it = cfg->reals.find(p);
    return it == cfg->reals.end() ? nullptr : &it->second;
  };
  auto integer = [&](efq_param p) -> const int64_t* {
    auto it = cfg->ints.find(p);
    return it == cfg->ints.end() ? nullptr : &it->second;
  };
  const int64_t* rd = integer(EFQ_PARAM_ROI_D);
  const int64_t* rh = integer(EFQ_PARAM_ROI_H);
  const int64_t* rw = integer(EFQ_PARAM_ROI_W);
  if (rd || rh || rw) {
    if (!(rd && rh && rw && *rd > 0 && *rh > 0 && *rw > 0))
      fail(ErrorCode::kInvalidArgument, "set all three ROI sizes (D, H, W)");
    c.roi = {*rd, *rh, *rw};
  }
  if (auto* v = real(EFQ_PARAM_OVERLAP)) c.overlap = *v;
  if (auto* v = str(EFQ_PARAM_BLEND)) c.gaussian = *v == "gaussian";
  if (auto* v = str(EFQ_PARAM_AXES)) c.axes = parse_axes(*v);
  if (auto* v = str(EFQ_PARAM_NORMALIZATION)) {
    c.normalization.clear();
    size_t pos = 0;
    while (true) {
      size_t semi = v->find(';', pos);
      c.normalization.push_back(v->substr(pos, semi - pos));
      if (semi == std::string::npos) break;
      pos = semi + 1;
    }
  }
  const double* sx = real(EFQ_PARAM_SPACING_X);
  const double* sy = real(EFQ_PARAM_SPACING_Y);
  const double* sz = real(EFQ_PARAM_SPACING_Z);
  if (sx || sy || sz) {
    if (!(sx && sy && sz && *sx > 0 && *sy > 0 && *sz > 0))
      fail(ErrorCode::kInvalidArgument, "set all three spacings (x, y, z) > 0");
    c.spacing = std::vector<double>{*sx, *sy, *sz};
  }
  if (auto* v = str(EFQ_PARAM_ACTIVATION)) c.activation = parse_activation(*v);
  if (auto* v = real(EFQ_PARAM_THRESHOLD)) c.threshold = *v;
  return c;
}

int config_threads(const efq_config* cfg) {
  if (!cfg) return 0;
  auto it = cfg->ints.find(EFQ_PARAM_THREADS);
  return it == cfg->ints.end() ? 0 : static_cast<int>(it->second);
}

std::string config_device(const efq_config* cfg) {
  if (!cfg) return "";
  auto it = cfg->strings.find(EFQ_PARAM_DEVICE);
  return it == cfg->strings.end() ? "" : it->second;
}

}  // namespace efq::capi
