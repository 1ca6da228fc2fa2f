// Context and configuration handles.
#include <cmath>
#include <cstring>

#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "io/preprocess.hpp"
#include "quant/options.hpp"

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
    {EFQ_PARAM_WBITS, ParamSpec::kInt, 2, 8, 4},
    {EFQ_PARAM_ABITS, ParamSpec::kInt, 0, 8, 8},
    {EFQ_PARAM_METHOD, ParamSpec::kString, 0, 0, 0},
    {EFQ_PARAM_GRID, ParamSpec::kString, 0, 0, 0},
    {EFQ_PARAM_PER_TENSOR, ParamSpec::kInt, 0, 1, 0},
    {EFQ_PARAM_LAYER_OVERRIDES, ParamSpec::kString, 0, 0, 0},
    {EFQ_PARAM_ATTENTION, ParamSpec::kInt, 0, 1, 1},
    {EFQ_PARAM_REGULARIZER, ParamSpec::kInt, 0, 1, 1},
    {EFQ_PARAM_ITERATIONS, ParamSpec::kInt, 1, 10000, 200},
    {EFQ_PARAM_RHO, ParamSpec::kReal, 1e-6, 1e6, 10},
    {EFQ_PARAM_ETA, ParamSpec::kReal, 0, 1e6, 1},
    {EFQ_PARAM_CALIB_CROP_D, ParamSpec::kInt, 0, 4096, 0},
    {EFQ_PARAM_CALIB_CROP_H, ParamSpec::kInt, 0, 4096, 0},
    {EFQ_PARAM_CALIB_CROP_W, ParamSpec::kInt, 0, 4096, 0},
    {EFQ_PARAM_BODY_MASK, ParamSpec::kInt, 0, 1, 0},
    {EFQ_PARAM_FIRST_LAST_8BIT, ParamSpec::kInt, 0, 1, 1},
    {EFQ_PARAM_INT8, ParamSpec::kInt, 0, 1, 0},
    {EFQ_PARAM_ACT_SCALE_SEARCH, ParamSpec::kInt, 0, 2, 1},
    {EFQ_PARAM_EARLY_STOP, ParamSpec::kInt, 0, 1, 1},
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
    case EFQ_PARAM_METHOD: efq::quant::parse_method(v); break;
    case EFQ_PARAM_GRID: efq::quant::parse_grid(v); break;
    case EFQ_PARAM_LAYER_OVERRIDES: {
      std::map<std::string, efq::quant::LayerOverride> tmp;
      size_t pos = 0;
      while (pos < v.size()) {
        size_t semi = v.find(';', pos);
        efq::quant::parse_layer_override(v.substr(pos, semi - pos), tmp);
        if (semi == std::string::npos) break;
        pos = semi + 1;
      }
      break;
    }
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

quant::QuantOptions quant_options(const efq_config* cfg) {
  auto integer = [&](efq_param p, int64_t d) {
    if (!cfg) return d;
    auto it = cfg->ints.find(p);
    return it == cfg->ints.end() ? d : it->second;
  };
  auto real = [&](efq_param p, double d) {
    if (!cfg) return d;
    auto it = cfg->reals.find(p);
    return it == cfg->reals.end() ? d : it->second;
  };
  auto str = [&](efq_param p, const std::string& d) {
    if (!cfg) return d;
    auto it = cfg->strings.find(p);
    return it == cfg->strings.end() ? d : it->second;
  };
  const quant::GridKind grid = quant::parse_grid(str(EFQ_PARAM_GRID, "symmetric"));
  quant::QuantOptions o = grid == quant::GridKind::kFaithful ? quant::QuantOptions::faithful()
                                                             : quant::QuantOptions{};
  o.grid = grid;
  o.method = quant::parse_method(str(EFQ_PARAM_METHOD, "efficientq"));
  o.wbits = static_cast<int>(integer(EFQ_PARAM_WBITS, 4));
  o.abits = static_cast<int>(integer(EFQ_PARAM_ABITS, 8));
  if (o.abits == 1) fail(ErrorCode::kInvalidArgument, "activation bits must be 0 (none) or 2..8");
  if (integer(EFQ_PARAM_PER_TENSOR, grid == quant::GridKind::kFaithful ? 1 : 0)) o.per_channel = false;
  else o.per_channel = true;
  o.attention = integer(EFQ_PARAM_ATTENTION, 1) != 0;
  o.admm.regularizer = integer(EFQ_PARAM_REGULARIZER, 1) != 0;
  o.admm.iterations = static_cast<int>(integer(EFQ_PARAM_ITERATIONS, 200));
  o.admm.rho_mult = real(EFQ_PARAM_RHO, 10);
  o.admm.rho_max_mult = 100 * o.admm.rho_mult;
  o.admm.eta_mult = real(EFQ_PARAM_ETA, 1);
  o.body_mask = integer(EFQ_PARAM_BODY_MASK, 0) != 0;
  o.first_last_8bit = integer(EFQ_PARAM_FIRST_LAST_8BIT, 1) != 0;
  o.act_scale = static_cast<quant::ActScaleRule>(integer(EFQ_PARAM_ACT_SCALE_SEARCH, 1));
  if (grid != quant::GridKind::kFaithful) o.admm.early_stop = integer(EFQ_PARAM_EARLY_STOP, 1) != 0;
  const int64_t cd = integer(EFQ_PARAM_CALIB_CROP_D, 0), ch = integer(EFQ_PARAM_CALIB_CROP_H, 0),
                cw = integer(EFQ_PARAM_CALIB_CROP_W, 0);
  if (cd || ch || cw) {
    if (!(cd > 0 && ch > 0 && cw > 0))
      fail(ErrorCode::kInvalidArgument, "set all three calibration crop sizes (D, H, W)");
    o.calib_crop = {cd, ch, cw};
  }
  const std::string ov = str(EFQ_PARAM_LAYER_OVERRIDES, "");
  size_t pos = 0;
  while (pos < ov.size()) {
    size_t semi = ov.find(';', pos);
    quant::parse_layer_override(ov.substr(pos, semi - pos), o.overrides);
    if (semi == std::string::npos) break;
    pos = semi + 1;
  }
  return o;
}

bool config_int8(const efq_config* cfg) {
  if (!cfg) return false;
  auto it = cfg->ints.find(EFQ_PARAM_INT8);
  return it != cfg->ints.end() && it->second != 0;
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
