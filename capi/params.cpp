// The parameter table. Defaults of parameters that have an options field are read from that
// field's initializer (quant::QuantOptions, quant::AdmmOptions, Conventions), so each default is
// written once in code; the remaining defaults (0 = unset, "" = none) are written here.
#include "capi/params.hpp"

#include <cstring>
#include <map>

#include "capi/handles.hpp"
#include "core/error.hpp"
#include "infer/conventions.hpp"
#include "io/preprocess.hpp"
#include "quant/options.hpp"

namespace efq::capi {

namespace {

void check_blend(const std::string& v) {
  if (v != "gaussian" && v != "constant")
    fail(ErrorCode::kInvalidArgument, "blend '" + v + "' (gaussian|constant)");
}
void check_split(const std::string& v) {
  if (v != "test" && v != "train") fail(ErrorCode::kInvalidArgument, "split '" + v + "' (test|train)");
}
void check_axes(const std::string& v) { parse_axes(v); }
void check_activation(const std::string& v) { parse_activation(v); }
void check_method(const std::string& v) { quant::parse_method(v); }
void check_grid(const std::string& v) { quant::parse_grid(v); }
void check_weight_grid(const std::string& v) { quant::parse_weight_range(v); }
void check_wbits_choices(const std::string& v) { quant::parse_wbits_choices(v); }
void check_normalization(const std::string& v) {
  for (const std::string& item : split_list(v)) io::parse_normalization(item);
}
void check_layer_overrides(const std::string& v) {
  std::map<std::string, quant::LayerOverride> tmp;
  for (const std::string& item : layer_override_items(v)) quant::parse_layer_override(item, tmp);
}

std::vector<ParamSpec> make_table() {
  using P = ParamType;
  using S = ParamScope;
  const quant::QuantOptions q;
  const quant::AdmmOptions& a = q.admm;
  const Conventions c;
  const double no = 0;
  auto b = [](bool v) { return v ? 1.0 : 0.0; };
  // clang-format off
  return {
    {EFQ_PARAM_THREADS, "threads", P::kInt, 0, 1024, 0, "", "worker threads, 0 = all cores", nullptr, S::kInference},
    {EFQ_PARAM_DEVICE, "device", P::kString, 0, 0, 0, "", "compute device: cpu, opencl or opencl:N; empty = the environment variable EFQ_DEVICE, else cpu", nullptr, S::kInference},
    {EFQ_PARAM_ROI_D, "roi D", P::kInt, 0, 4096, 0, "", "sliding-window size along the network's D axis, 0 = unset (set D, H, W together)", nullptr, S::kInference},
    {EFQ_PARAM_ROI_H, "roi H", P::kInt, 0, 4096, 0, "", "sliding-window size along H", nullptr, S::kInference},
    {EFQ_PARAM_ROI_W, "roi W", P::kInt, 0, 4096, 0, "", "sliding-window size along W", nullptr, S::kInference},
    {EFQ_PARAM_OVERLAP, "overlap", P::kReal, 0, 0.99, c.overlap, "", "sliding-window overlap", nullptr, S::kInference},
    {EFQ_PARAM_BLEND, "blend", P::kString, 0, 0, 0, c.gaussian ? "gaussian" : "constant", "window blending: gaussian|constant", check_blend, S::kInference},
    {EFQ_PARAM_AXES, "axes", P::kString, 0, 0, 0, c.axes == Axes::kIJK ? "ijk" : "kji", "voxel axis order: the network's D,H,W are the stored axes i,j,k (ijk) or k,j,i (kji)", check_axes, S::kInference},
    {EFQ_PARAM_NORMALIZATION, "normalization", P::kString, 0, 0, 0, "", "one spec or one per modality joined by ';': none|zscore|zscore-nonzero|ct:LO,HI|pct:P1,P2", check_normalization, S::kInference},
    {EFQ_PARAM_SPACING_X, "spacing x", P::kReal, 0, 100, 0, "", "model voxel spacing in mm along i (an image with another spacing is resampled), 0 = unset (set x, y, z together)", nullptr, S::kInference},
    {EFQ_PARAM_SPACING_Y, "spacing y", P::kReal, 0, 100, 0, "", "target spacing in mm along j", nullptr, S::kInference},
    {EFQ_PARAM_SPACING_Z, "spacing z", P::kReal, 0, 100, 0, "", "target spacing in mm along k", nullptr, S::kInference},
    {EFQ_PARAM_ACTIVATION, "activation", P::kString, 0, 0, 0, to_string(c.activation), "output activation: none|softmax|sigmoid", check_activation, S::kInference},
    {EFQ_PARAM_THRESHOLD, "threshold", P::kReal, 0, 1, c.threshold, "", "sigmoid threshold", nullptr, S::kInference},
    {EFQ_PARAM_SPLIT, "split", P::kString, 0, 0, 0, "test", "dataset split to evaluate: test|train", check_split, S::kEvaluation},
    {EFQ_PARAM_WANT_PROBABILITIES, "want probabilities", P::kInt, 0, 1, no, "", "keep probability maps in a segmentation", nullptr, S::kSegmentation},
    {EFQ_PARAM_WBITS, "weight bits", P::kInt, 2, 8, double(q.wbits), "", "weight bits, 2..8 (the first and last layer stay 8-bit while first/last 8-bit is 1)", nullptr, S::kQuantization},
    {EFQ_PARAM_ABITS, "activation bits", P::kInt, 0, 8, double(q.abits), "", "activation bits at the quantized layers' inputs, 2..8; 0 = weights only (1 is refused)", nullptr, S::kQuantization},
    {EFQ_PARAM_METHOD, "method", P::kString, 0, 0, 0, quant::to_string(q.method), "efficientq (ADMM reconstruction) | rtn (round-to-nearest, min-max scales) | mse (MSE-optimal scales, no ADMM)", check_method, S::kQuantization},
    {EFQ_PARAM_GRID, "grid", P::kString, 0, 0, 0, quant::to_string(q.grid), "symmetric | asymmetric (deployable integer grids) | faithful (the reference implementation's grid and behaviour: per-tensor scales, attention pyramid, best iterate)", check_grid, S::kQuantization},
    {EFQ_PARAM_PER_TENSOR, "per tensor", P::kInt, 0, 1, b(!q.per_channel), "", "one weight scale per layer (the faithful grid's default)", nullptr, S::kQuantization},
    {EFQ_PARAM_LAYER_OVERRIDES, "layer override", P::kString, 0, 0, 0, "", "per-layer overrides joined by ';': NAME=w8,a8|NAME=skip|NAME=a-none", check_layer_overrides, S::kQuantization},
    {EFQ_PARAM_ATTENTION, "attention", P::kInt, 0, 1, b(q.attention), "", "class-balancing attention", nullptr, S::kQuantization},
    {EFQ_PARAM_REGULARIZER, "regularizer", P::kInt, 0, 1, b(a.regularizer), "", "the pull towards the FP weights (eta term)", nullptr, S::kQuantization},
    {EFQ_PARAM_ITERATIONS, "iterations", P::kInt, 1, 10000, double(a.iterations), "", "ADMM iterations per layer (the maximum with early stop)", nullptr, S::kQuantization},
    {EFQ_PARAM_RHO, "rho", P::kReal, 1e-6, 1e6, a.rho_mult, "", "initial rho multiplier (rho max = 100x)", nullptr, S::kQuantization},
    {EFQ_PARAM_ETA, "eta", P::kReal, 0, 1e6, a.eta_mult, "", "eta multiplier", nullptr, S::kQuantization},
    {EFQ_PARAM_CALIB_CROP_D, "calibration crop D", P::kInt, 0, 4096, 0, "", "calibration crop along D, 0 = min(size, 192) rounded down to a multiple of 64 (set D, H, W together)", nullptr, S::kQuantization},
    {EFQ_PARAM_CALIB_CROP_H, "calibration crop H", P::kInt, 0, 4096, 0, "", "calibration crop along H", nullptr, S::kQuantization},
    {EFQ_PARAM_CALIB_CROP_W, "calibration crop W", P::kInt, 0, 4096, 0, "", "calibration crop along W", nullptr, S::kQuantization},
    {EFQ_PARAM_BODY_MASK, "body mask", P::kInt, 0, 1, b(q.body_mask), "", "attention weight 1 where the first modality is 0", nullptr, S::kQuantization},
    {EFQ_PARAM_FIRST_LAST_8BIT, "first/last 8-bit", P::kInt, 0, 1, b(q.first_last_8bit), "", "first and last layer W8 with FP input", nullptr, S::kQuantization},
    {EFQ_PARAM_INT8, "int8", P::kInt, 0, 1, no, "", "run a quantized model with real int8 convolutions where the layer allows it", nullptr, S::kInference},
    {EFQ_PARAM_ACT_SCALE_SEARCH, "activation scale search", P::kInt, 0, 2, static_cast<double>(q.act_scale), "", "how each activation scale is chosen among the MSE-optimal, the min-max scale and steps between: 0 = the MSE-optimal, 1 = the smallest error of the layer's output, 2 = of the network's output (5 forward passes per layer); the faithful grid uses 0", nullptr, S::kQuantization},
    {EFQ_PARAM_EARLY_STOP, "early stop", P::kInt, 0, 1, b(a.early_stop), "", "end a layer's ADMM once its iterate stops changing or its loss plateaus over a whole rho phase (not the faithful grid; 8-bit weights always run at most 10 iterations)", nullptr, S::kQuantization},
    {EFQ_PARAM_WEIGHT_GRID, "weight grid", P::kString, 0, 0, 0, quant::to_string(q.weight_range), "symmetric grid's weight codes below 8 bits: odd|full|narrow (odd, full: 2^b levels; narrow: 2^b-1)", check_weight_grid, S::kQuantization},
    {EFQ_PARAM_SENSITIVITY, "sensitivity", P::kInt, 0, 1, b(q.sensitivity), "", "before quantizing, each layer's sensitivity at 2/3/4/8 bits (that layer alone projected without ADMM, the rest FP32; the network's fidelity and output MSE on the calibration crop) in the report; cost: layers x 4 forward passes", nullptr, S::kQuantization},
    {EFQ_PARAM_MEMORY_LIMIT_MB, "memory limit", P::kInt, 0, 1 << 30, no, "", "MiB a call may allocate for what file headers and requests imply, checked before allocating; 0 = physical memory minus 1/8", nullptr, S::kContext},
    {EFQ_PARAM_BUDGET_FIDELITY, "budget fidelity", P::kReal, 0, 1, q.budget_fidelity, "", "choose per-layer weight widths for the fewest packed bytes with calibration-crop fidelity >= this; 0 = off", nullptr, S::kQuantization},
    {EFQ_PARAM_WBITS_CHOICES, "weight width choices", P::kString, 0, 0, 0, quant::to_string(q.wbits_choices), "the widths the budget chooses from, e.g. 2,3,4,8 (each 2..8, once)", check_wbits_choices, S::kQuantization},
    {EFQ_PARAM_CODE_DESCENT, "code descent", P::kInt, 0, 1000, double(a.descent_sweeps), "", "after ADMM, at most N sweeps of greedy coordinate descent on each layer's weight codes against its reconstruction loss (scales fixed, bias re-fitted); 0 = off; not the faithful grid", nullptr, S::kQuantization},
  };
  // clang-format on
}

}  // namespace

const std::vector<ParamSpec>& param_table() {
  static const std::vector<ParamSpec> table = make_table();
  return table;
}

const ParamSpec& param_spec(efq_param p) {
  for (const ParamSpec& s : param_table())
    if (s.id == p) return s;
  fail(ErrorCode::kInvalidArgument, "unknown parameter " + std::to_string(static_cast<int>(p)));
}

static_assert(sizeof(efq_param) == sizeof(int), "efq_param is an int in the C ABI");

efq_param checked_param(const efq_param* p) {
  int code = 0;
  std::memcpy(&code, p, sizeof code);
  for (const ParamSpec& s : param_table())
    if (static_cast<int>(s.id) == code) return s.id;
  fail(ErrorCode::kInvalidArgument, "unknown parameter " + std::to_string(code));
}

std::string param_label(efq_param p) {
  return "parameter " + std::to_string(static_cast<int>(p)) + " (" + param_spec(p).name + ")";
}

namespace {

template <typename Map>
auto find_set(const efq_config* cfg, Map efq_config::*map, efq_param p, ParamType want)
    -> std::optional<typename Map::mapped_type> {
  if (param_spec(p).type != want) fail(ErrorCode::kInternal, param_label(p) + " read as the wrong type");
  if (!cfg) return std::nullopt;
  auto it = (cfg->*map).find(p);
  if (it == (cfg->*map).end()) return std::nullopt;
  return it->second;
}

}  // namespace

std::optional<int64_t> config_int_set(const efq_config* cfg, efq_param p) {
  return find_set(cfg, &efq_config::ints, p, ParamType::kInt);
}
std::optional<double> config_real_set(const efq_config* cfg, efq_param p) {
  return find_set(cfg, &efq_config::reals, p, ParamType::kReal);
}
std::optional<std::string> config_string_set(const efq_config* cfg, efq_param p) {
  return find_set(cfg, &efq_config::strings, p, ParamType::kString);
}

int64_t config_int(const efq_config* cfg, efq_param p) {
  return config_int_set(cfg, p).value_or(static_cast<int64_t>(param_spec(p).dflt));
}
double config_real(const efq_config* cfg, efq_param p) {
  return config_real_set(cfg, p).value_or(param_spec(p).dflt);
}
std::string config_string(const efq_config* cfg, efq_param p) {
  return config_string_set(cfg, p).value_or(param_spec(p).dflt_string);
}

int64_t memory_limit_bytes(const efq_context* ctx, const efq_config* cfg) {
  int64_t mb = ctx ? ctx->memory_limit_mb : 0;
  if (auto v = config_int_set(cfg, EFQ_PARAM_MEMORY_LIMIT_MB)) mb = *v;
  return mb * (int64_t{1} << 20);
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> items;
  size_t pos = 0;
  while (true) {
    const size_t semi = s.find(';', pos);
    items.push_back(s.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos));
    if (semi == std::string::npos) break;
    pos = semi + 1;
  }
  return items;
}

std::vector<std::string> layer_override_items(const std::string& s) {
  if (s.empty()) return {};
  std::vector<std::string> items = split_list(s);
  if (items.back().empty()) items.pop_back();  // "A=w8;" is one override
  return items;
}

}  // namespace efq::capi
