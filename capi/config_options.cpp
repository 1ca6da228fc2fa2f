// A config turned into the options of the C++ core. Values are read through the parameter table
// (capi/params.hpp): an unset parameter keeps the options struct's default, or the model's
// metadata value for the conventions.
#include "capi/config_options.hpp"

#include "capi/params.hpp"
#include "core/error.hpp"

namespace efq::capi {

namespace {

// Three parameters set together (ROI, spacing, calibration crop): all or none, each > 0.
template <typename T, typename Get>
std::optional<std::vector<T>> triple(const efq_config* cfg, const efq_param (&ids)[3], Get get,
                                     const std::string& what) {
  const auto x = get(cfg, ids[0]), y = get(cfg, ids[1]), z = get(cfg, ids[2]);
  if (!x && !y && !z) return std::nullopt;
  if (!(x && y && z && *x > 0 && *y > 0 && *z > 0))
    fail(ErrorCode::kInvalidArgument, "set all three " + what);
  return std::vector<T>{*x, *y, *z};
}

}  // namespace

Conventions effective_conventions(const efq_model& m, const efq_config* cfg) {
  Conventions c = m.conventions;
  if (!cfg) return c;
  if (auto roi = triple<int64_t>(cfg, {EFQ_PARAM_ROI_D, EFQ_PARAM_ROI_H, EFQ_PARAM_ROI_W},
                                 config_int_set, "ROI sizes (D, H, W)"))
    c.roi = *roi;
  if (auto v = config_real_set(cfg, EFQ_PARAM_OVERLAP)) c.overlap = *v;
  if (auto v = config_string_set(cfg, EFQ_PARAM_BLEND)) c.gaussian = *v == "gaussian";
  if (auto v = config_string_set(cfg, EFQ_PARAM_AXES)) c.axes = parse_axes(*v);
  if (auto v = config_string_set(cfg, EFQ_PARAM_NORMALIZATION)) c.normalization = split_list(*v);
  if (auto sp = triple<double>(cfg, {EFQ_PARAM_SPACING_X, EFQ_PARAM_SPACING_Y, EFQ_PARAM_SPACING_Z},
                               config_real_set, "spacings (x, y, z) > 0"))
    c.spacing = *sp;
  if (auto v = config_string_set(cfg, EFQ_PARAM_ACTIVATION)) c.activation = parse_activation(*v);
  if (auto v = config_real_set(cfg, EFQ_PARAM_THRESHOLD)) c.threshold = *v;
  return c;
}

quant::QuantOptions quant_options(const efq_config* cfg) {
  const quant::GridKind grid = quant::parse_grid(config_string(cfg, EFQ_PARAM_GRID));
  const bool faithful = grid == quant::GridKind::kFaithful;
  quant::QuantOptions o = faithful ? quant::QuantOptions::faithful() : quant::QuantOptions{};
  o.grid = grid;
  if (auto v = config_string_set(cfg, EFQ_PARAM_WEIGHT_GRID)) {
    if (grid != quant::GridKind::kSymmetric)
      fail(ErrorCode::kInvalidArgument, "weight grid '" + *v + "' applies to the symmetric grid only (grid is '" +
                                            quant::to_string(grid) + "')");
    o.weight_range = quant::parse_weight_range(*v);
  }
  if (auto v = config_string_set(cfg, EFQ_PARAM_METHOD)) o.method = quant::parse_method(*v);
  if (auto v = config_int_set(cfg, EFQ_PARAM_WBITS)) o.wbits = static_cast<int>(*v);
  if (auto v = config_int_set(cfg, EFQ_PARAM_ABITS)) o.abits = static_cast<int>(*v);
  if (o.abits == 1)
    fail(ErrorCode::kInvalidArgument, "activation bits must be 0 (none) or 2..8");
  if (auto v = config_int_set(cfg, EFQ_PARAM_PER_TENSOR)) o.per_channel = *v == 0;
  if (auto v = config_int_set(cfg, EFQ_PARAM_ATTENTION)) o.attention = *v != 0;
  if (auto v = config_int_set(cfg, EFQ_PARAM_REGULARIZER)) o.admm.regularizer = *v != 0;
  if (auto v = config_int_set(cfg, EFQ_PARAM_ITERATIONS)) o.admm.iterations = static_cast<int>(*v);
  if (auto v = config_real_set(cfg, EFQ_PARAM_RHO)) {
    o.admm.rho_mult = *v;
    o.admm.rho_max_mult = 100 * *v;
  }
  if (auto v = config_real_set(cfg, EFQ_PARAM_ETA)) o.admm.eta_mult = *v;
  if (auto v = config_int_set(cfg, EFQ_PARAM_SENSITIVITY)) o.sensitivity = *v != 0;
  if (auto v = config_real_set(cfg, EFQ_PARAM_BUDGET_FIDELITY)) o.budget_fidelity = *v;
  if (auto v = config_string_set(cfg, EFQ_PARAM_WBITS_CHOICES)) {
    if (!(o.budget_fidelity > 0))
      fail(ErrorCode::kInvalidArgument, "weight width choices '" + *v +
                                            "' need a budget fidelity (EFQ_PARAM_BUDGET_FIDELITY > 0)");
    o.wbits_choices = quant::parse_wbits_choices(*v);
  }
  if (auto v = config_int_set(cfg, EFQ_PARAM_BODY_MASK)) o.body_mask = *v != 0;
  if (auto v = config_int_set(cfg, EFQ_PARAM_FIRST_LAST_8BIT)) o.first_last_8bit = *v != 0;
  if (auto v = config_int_set(cfg, EFQ_PARAM_ACT_SCALE_SEARCH))
    o.act_scale = static_cast<quant::ActScaleRule>(*v);
  // The faithful grid runs the reference's fixed iteration count whatever is asked.
  if (auto v = config_int_set(cfg, EFQ_PARAM_EARLY_STOP); v && !faithful) o.admm.early_stop = *v != 0;
  if (auto v = config_int_set(cfg, EFQ_PARAM_CODE_DESCENT); v && !faithful)
    o.admm.descent_sweeps = static_cast<int>(*v);
  // A crop size of 0 means unset (the METHOD §1.4 rule).
  const int64_t cd = config_int(cfg, EFQ_PARAM_CALIB_CROP_D), ch = config_int(cfg, EFQ_PARAM_CALIB_CROP_H),
                cw = config_int(cfg, EFQ_PARAM_CALIB_CROP_W);
  if (cd || ch || cw) {
    if (!(cd > 0 && ch > 0 && cw > 0))
      fail(ErrorCode::kInvalidArgument, "set all three calibration crop sizes (D, H, W)");
    o.calib_crop = {cd, ch, cw};
  }
  for (const std::string& item : layer_override_items(config_string(cfg, EFQ_PARAM_LAYER_OVERRIDES)))
    quant::parse_layer_override(item, o.overrides);
  return o;
}

int config_threads(const efq_config* cfg) {
  return static_cast<int>(config_int(cfg, EFQ_PARAM_THREADS));
}
bool config_int8(const efq_config* cfg) { return config_int(cfg, EFQ_PARAM_INT8) != 0; }
bool config_want_probabilities(const efq_config* cfg) {
  return config_int(cfg, EFQ_PARAM_WANT_PROBABILITIES) != 0;
}
std::string config_device(const efq_config* cfg) { return config_string(cfg, EFQ_PARAM_DEVICE); }
std::string config_split(const efq_config* cfg) { return config_string(cfg, EFQ_PARAM_SPLIT); }

}  // namespace efq::capi
