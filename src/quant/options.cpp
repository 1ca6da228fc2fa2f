#include "quant/options.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace efq::quant {

Method parse_method(const std::string& s) {
  if (s == "efficientq") return Method::kEfficientQ;
  if (s == "rtn") return Method::kRtn;
  if (s == "mse") return Method::kMse;
  fail(ErrorCode::kInvalidArgument, "method '" + s + "' (expected efficientq|rtn|mse)");
}

std::string to_string(Method m) {
  return m == Method::kEfficientQ ? "efficientq" : m == Method::kRtn ? "rtn" : "mse";
}

ActScaleRule parse_act_scale_rule(const std::string& s) {
  if (s == "als") return ActScaleRule::kAls;
  if (s == "layer") return ActScaleRule::kLayerError;
  if (s == "network") return ActScaleRule::kNetworkError;
  fail(ErrorCode::kInvalidArgument, "activation scale rule '" + s + "' (expected als|layer|network)");
}

std::string to_string(ActScaleRule r) {
  return r == ActScaleRule::kAls ? "als" : r == ActScaleRule::kLayerError ? "layer" : "network";
}

QuantOptions QuantOptions::faithful() {
  QuantOptions o;
  o.grid = GridKind::kFaithful;
  o.per_channel = false;
  o.admm.per_channel = false;
  o.admm.warm_start_scales = false;
  o.admm.early_stop = false;  // the reference's fixed iteration count
  o.admm.short_path = false;
  o.admm.descent_sweeps = 0;  // not in the reference
  o.faithful_pyramid = true;
  o.select_unweighted = true;
  o.keep_best_of_baseline = false;
  return o;
}

std::vector<int> parse_wbits_choices(const std::string& s) {
  std::vector<int> out;
  size_t pos = 0;
  while (true) {
    const size_t comma = s.find(',', pos);
    const std::string tok = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const bool digits = !tok.empty() && tok.size() <= 2 &&
                        std::all_of(tok.begin(), tok.end(), [](unsigned char c) { return std::isdigit(c); });
    const int b = digits ? std::stoi(tok) : -1;
    if (b < 2 || b > 8)
      fail(ErrorCode::kInvalidArgument,
           "weight width choices '" + s + "': '" + tok + "' is not a width in 2..8");
    if (std::find(out.begin(), out.end(), b) != out.end())
      fail(ErrorCode::kInvalidArgument,
           "weight width choices '" + s + "': " + tok + " given twice");
    out.push_back(b);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string to_string(const std::vector<int>& widths) {
  std::string s;
  for (int b : widths) s += (s.empty() ? "" : ",") + std::to_string(b);
  return s;
}

void parse_layer_override(const std::string& spec, std::map<std::string, LayerOverride>& out) {
  const size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0)
    fail(ErrorCode::kInvalidArgument, "layer override '" + spec + "' (expected NAME=w8,a8|skip)");
  LayerOverride o;
  const std::string name = spec.substr(0, eq), rest = spec.substr(eq + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t comma = rest.find(',', pos);
    std::string tok = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto bits = [&](const std::string& t) {
      try {
        size_t used = 0;
        int b = std::stoi(t, &used);
        if (used == t.size() && b >= 2 && b <= 8) return b;
      } catch (...) {
      }
      fail(ErrorCode::kInvalidArgument, "layer override '" + spec + "': bad bit width '" + t + "'");
    };
    if (tok == "skip") o.skip = true;
    else if (tok == "a-none" || tok == "anone") o.abits = 0;
    else if (tok.size() > 1 && tok[0] == 'w') o.wbits = bits(tok.substr(1));
    else if (tok.size() > 1 && tok[0] == 'a') o.abits = bits(tok.substr(1));
    else fail(ErrorCode::kInvalidArgument, "layer override '" + spec + "': unknown item '" + tok + "'");
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  out[name] = o;
}

}  // namespace efq::quant
