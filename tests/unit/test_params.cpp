// The parameter table (capi/params.cpp) against the public header, efq_param_bounds and the
// options the C++ core receives (capi/config_options.cpp).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "capi/config_options.hpp"
#include "capi/params.hpp"
#include "core/error.hpp"

using namespace efq;
using efq::capi::ParamType;

namespace {

struct HeaderParam {
  int value;
  std::string default_text;  // "(default V)" on the enum's line, else empty
};

// EFQ_PARAM_* enumerators of the public header, with the default its comment documents.
std::map<std::string, HeaderParam> header_params() {
  std::ifstream f(std::string(EFQ_SOURCE_DIR) + "/include/efficientq/efficientq.h");
  REQUIRE(f.good());
  std::map<std::string, HeaderParam> out;
  const std::regex item(R"(^\s*(EFQ_PARAM_\w+)\s*=\s*(\d+))");
  const std::regex dflt(R"(\(default ([-0-9.]+)\))");
  std::string line;
  while (std::getline(f, line)) {
    std::smatch m, d;
    if (!std::regex_search(line, m, item)) continue;
    HeaderParam p{std::stoi(m[2]), ""};
    if (std::regex_search(line, d, dflt)) p.default_text = d[1];
    out[m[1]] = p;
  }
  return out;
}

using Config = std::unique_ptr<efq_config, void (*)(efq_config*)>;
Config make_config() {
  efq_config* c = nullptr;
  REQUIRE(efq_config_create(&c) == EFQ_OK);
  return Config(c, efq_config_destroy);
}

double table_default(efq_param p) {
  double lo = 0, hi = 0, d = 0;
  REQUIRE(efq_param_bounds(p, &lo, &hi, &d) == EFQ_OK);
  return d;
}

}  // namespace

TEST_CASE("every efq_param of the public header has one table row, and no row is extra") {
  const auto header = header_params();
  REQUIRE(header.size() >= 35);
  CHECK(header.at("EFQ_PARAM_EARLY_STOP").value == 58);  // append-only: values never move
  for (const auto& [name, hp] : header) {
    CAPTURE(name);
    int rows = 0;
    for (const auto& s : capi::param_table()) rows += s.id == hp.value ? 1 : 0;
    CHECK(rows == 1);
  }
  CHECK(capi::param_table().size() == header.size());
}

TEST_CASE("efq_param_bounds returns the table's bounds and a default within them") {
  const auto header = header_params();
  for (const auto& s : capi::param_table()) {
    CAPTURE(s.name);
    double lo = -7, hi = -7, d = -7;
    const efq_status st = efq_param_bounds(s.id, &lo, &hi, &d);
    if (s.type == ParamType::kString) {
      CHECK(st == EFQ_ERR_INVALID_ARGUMENT);
      continue;
    }
    REQUIRE(st == EFQ_OK);
    CHECK(lo == s.min);
    CHECK(hi == s.max);
    CHECK(d == s.dflt);
    CHECK(d >= lo);
    CHECK(d <= hi);
    for (const auto& [name, hp] : header)  // the documented default, where the header has one
      if (hp.value == s.id && !hp.default_text.empty()) CHECK(d == doctest::Approx(std::stod(hp.default_text)));
  }
  CHECK(efq_param_bounds(static_cast<efq_param>(3), nullptr, nullptr, nullptr) == EFQ_ERR_INVALID_ARGUMENT);
}

TEST_CASE("an empty config gives the quantizer options the table's defaults") {
  const auto cfg = make_config();
  const quant::QuantOptions o = capi::quant_options(cfg.get());
  CHECK(o.wbits == table_default(EFQ_PARAM_WBITS));
  CHECK(o.abits == table_default(EFQ_PARAM_ABITS));
  CHECK(!o.per_channel == (table_default(EFQ_PARAM_PER_TENSOR) != 0));
  CHECK(o.attention == (table_default(EFQ_PARAM_ATTENTION) != 0));
  CHECK(o.admm.regularizer == (table_default(EFQ_PARAM_REGULARIZER) != 0));
  CHECK(o.admm.iterations == table_default(EFQ_PARAM_ITERATIONS));
  CHECK(o.admm.rho_mult == table_default(EFQ_PARAM_RHO));
  CHECK(o.admm.rho_max_mult == 100 * table_default(EFQ_PARAM_RHO));
  CHECK(o.admm.eta_mult == table_default(EFQ_PARAM_ETA));
  CHECK(o.body_mask == (table_default(EFQ_PARAM_BODY_MASK) != 0));
  CHECK(o.first_last_8bit == (table_default(EFQ_PARAM_FIRST_LAST_8BIT) != 0));
  CHECK(static_cast<int>(o.act_scale) == table_default(EFQ_PARAM_ACT_SCALE_SEARCH));
  CHECK(o.admm.early_stop == (table_default(EFQ_PARAM_EARLY_STOP) != 0));
  CHECK(quant::to_string(o.method) == capi::param_spec(EFQ_PARAM_METHOD).dflt_string);
  CHECK(quant::to_string(o.grid) == capi::param_spec(EFQ_PARAM_GRID).dflt_string);
  CHECK(o.calib_crop.empty());
  CHECK(o.overrides.empty());
  CHECK(capi::config_threads(cfg.get()) == table_default(EFQ_PARAM_THREADS));
  CHECK(capi::config_split(cfg.get()) == capi::param_spec(EFQ_PARAM_SPLIT).dflt_string);
  const Conventions c;  // an unset parameter keeps the model's value; the table shows the default
  CHECK(c.overlap == table_default(EFQ_PARAM_OVERLAP));
  CHECK(c.threshold == table_default(EFQ_PARAM_THRESHOLD));
  CHECK(to_string(c.activation) == capi::param_spec(EFQ_PARAM_ACTIVATION).dflt_string);
}

TEST_CASE("values set in a config reach the quantizer options") {
  const auto cfg = make_config();
  REQUIRE(efq_config_set_int(cfg.get(), EFQ_PARAM_WBITS, 3) == EFQ_OK);
  REQUIRE(efq_config_set_int(cfg.get(), EFQ_PARAM_ABITS, 0) == EFQ_OK);
  REQUIRE(efq_config_set_int(cfg.get(), EFQ_PARAM_ITERATIONS, 7) == EFQ_OK);
  REQUIRE(efq_config_set_real(cfg.get(), EFQ_PARAM_RHO, 2.0) == EFQ_OK);
  REQUIRE(efq_config_set_int(cfg.get(), EFQ_PARAM_PER_TENSOR, 1) == EFQ_OK);
  REQUIRE(efq_config_set_int(cfg.get(), EFQ_PARAM_EARLY_STOP, 1) == EFQ_OK);
  REQUIRE(efq_config_set_int(cfg.get(), EFQ_PARAM_ACT_SCALE_SEARCH, 2) == EFQ_OK);
  REQUIRE(efq_config_set_string(cfg.get(), EFQ_PARAM_LAYER_OVERRIDES, "a=w8;b=skip;") == EFQ_OK);
  const quant::QuantOptions o = capi::quant_options(cfg.get());
  CHECK(o.wbits == 3);
  CHECK(o.abits == 0);
  CHECK(o.admm.iterations == 7);
  CHECK(o.admm.rho_max_mult == 200.0);
  CHECK(!o.per_channel);
  CHECK(o.admm.early_stop);
  CHECK(o.act_scale == quant::ActScaleRule::kNetworkError);
  REQUIRE(o.overrides.size() == 2);
  CHECK(o.overrides.at("a").wbits == 8);
  CHECK(o.overrides.at("b").skip);
}

TEST_CASE("the faithful grid keeps its fixed iteration count and per-tensor scales") {
  const auto cfg = make_config();
  REQUIRE(efq_config_set_string(cfg.get(), EFQ_PARAM_GRID, "faithful") == EFQ_OK);
  REQUIRE(efq_config_set_int(cfg.get(), EFQ_PARAM_EARLY_STOP, 1) == EFQ_OK);
  const quant::QuantOptions o = capi::quant_options(cfg.get());
  CHECK(!o.admm.early_stop);
  CHECK(!o.per_channel);
}

TEST_CASE("set_int/set_real refuse values outside the table's bounds and the wrong type") {
  const auto cfg = make_config();
  for (const auto& s : capi::param_table()) {
    CAPTURE(s.name);
    if (s.type == ParamType::kInt) {
      CHECK(efq_config_set_int(cfg.get(), s.id, static_cast<int64_t>(s.max) + 1) == EFQ_ERR_INVALID_ARGUMENT);
      CHECK(efq_config_set_int(cfg.get(), s.id, static_cast<int64_t>(s.min) - 1) == EFQ_ERR_INVALID_ARGUMENT);
      CHECK(efq_config_set_int(cfg.get(), s.id, static_cast<int64_t>(s.min)) == EFQ_OK);
      CHECK(efq_config_set_real(cfg.get(), s.id, s.min) == EFQ_ERR_INVALID_ARGUMENT);
    } else if (s.type == ParamType::kReal) {
      CHECK(efq_config_set_real(cfg.get(), s.id, s.max * 2 + 1) == EFQ_ERR_INVALID_ARGUMENT);
      CHECK(efq_config_set_real(cfg.get(), s.id, s.max) == EFQ_OK);
      CHECK(efq_config_set_int(cfg.get(), s.id, 0) == EFQ_ERR_INVALID_ARGUMENT);
    } else {
      CHECK(efq_config_set_int(cfg.get(), s.id, 0) == EFQ_ERR_INVALID_ARGUMENT);
      if (!s.dflt_string.empty())
        CHECK(efq_config_set_string(cfg.get(), s.id, s.dflt_string.c_str()) == EFQ_OK);
    }
  }
}

TEST_CASE("budget fidelity: off by default, taken in [0, 1], refused outside it or NaN") {
  const auto cfg = make_config();
  const quant::QuantOptions d = capi::quant_options(cfg.get());
  CHECK(d.budget_fidelity == table_default(EFQ_PARAM_BUDGET_FIDELITY));
  CHECK(d.budget_fidelity == 0);  // off
  CHECK(quant::to_string(d.wbits_choices) == capi::param_spec(EFQ_PARAM_WBITS_CHOICES).dflt_string);
  CHECK(d.wbits_choices == std::vector<int>{2, 3, 4, 8});
  for (double bad : {-0.01, 1.0000001, 1.5, std::nan("")}) {
    CAPTURE(bad);
    CHECK(efq_config_set_real(cfg.get(), EFQ_PARAM_BUDGET_FIDELITY, bad) == EFQ_ERR_INVALID_ARGUMENT);
    CHECK(std::string(efq_last_error_message()).find("budget fidelity") != std::string::npos);
  }
  REQUIRE(efq_config_set_real(cfg.get(), EFQ_PARAM_BUDGET_FIDELITY, 1.0) == EFQ_OK);
  CHECK(capi::quant_options(cfg.get()).budget_fidelity == 1.0);
  REQUIRE(efq_config_set_real(cfg.get(), EFQ_PARAM_BUDGET_FIDELITY, 0.98) == EFQ_OK);
  REQUIRE(efq_config_set_string(cfg.get(), EFQ_PARAM_WBITS_CHOICES, "8,2,4") == EFQ_OK);
  const quant::QuantOptions o = capi::quant_options(cfg.get());
  CHECK(o.budget_fidelity == 0.98);
  CHECK(o.wbits_choices == std::vector<int>{2, 4, 8});  // ascending
}

TEST_CASE("weight width choices: a bad list is refused when set, naming the bad item") {
  const auto cfg = make_config();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "''"},       {"2,,4", "''"},   {"2,4,", "''"},  {"1,4", "'1'"},   {"2,9", "'9'"},
      {"2,x", "'x'"},   {"2, 4", "' 4'"}, {"2,4,2", "2 given twice"},       {"-2", "'-2'"},
      {"4.0", "'4.0'"}};
  for (const auto& [text, named] : bad) {
    CAPTURE(text);
    CHECK(efq_config_set_string(cfg.get(), EFQ_PARAM_WBITS_CHOICES, text.c_str()) == EFQ_ERR_INVALID_ARGUMENT);
    const std::string msg = efq_last_error_message();
    CAPTURE(msg);
    CHECK(msg.find("weight width choices '" + text + "'") != std::string::npos);
    CHECK(msg.find(named) != std::string::npos);
  }
  CHECK(quant::parse_wbits_choices("3") == std::vector<int>{3});
  CHECK(quant::parse_wbits_choices("8,3,2") == std::vector<int>{2, 3, 8});
}

TEST_CASE("weight width choices without a budget fidelity are refused by the options") {
  const auto cfg = make_config();
  REQUIRE(efq_config_set_string(cfg.get(), EFQ_PARAM_WBITS_CHOICES, "2,4") == EFQ_OK);
  CHECK_THROWS_WITH_AS(capi::quant_options(cfg.get()),
                       doctest::Contains("need a budget fidelity"), Error);
  REQUIRE(efq_config_set_real(cfg.get(), EFQ_PARAM_BUDGET_FIDELITY, 0.9) == EFQ_OK);
  CHECK(capi::quant_options(cfg.get()).wbits_choices == std::vector<int>{2, 4});
}

TEST_CASE("efq_param_list and efq_param_get_info give every table row, in increasing value") {
  size_t n = 0;
  REQUIRE(efq_param_list(nullptr, 0, &n) == EFQ_OK);
  REQUIRE(n == capi::param_table().size());
  // Sentinel: the smallest parameter (a valid enumerator: an out-of-range value is undefined
  // behaviour that UBSan reports). The list is increasing, so no correct write puts it at n - 1.
  const efq_param sentinel = EFQ_PARAM_THREADS;
  REQUIRE(capi::param_table().front().id == sentinel);
  std::vector<efq_param> all(n + 2, sentinel);
  size_t n2 = 0;
  REQUIRE(efq_param_list(all.data(), n - 1, &n2) == EFQ_OK);  // a short buffer: n - 1 written
  CHECK(n2 == n);
  CHECK(all[n - 1] == sentinel);
  REQUIRE(efq_param_list(all.data(), all.size(), &n2) == EFQ_OK);
  CHECK(all[n] == sentinel);
  CHECK(all[n - 1] != sentinel);
  CHECK(efq_param_list(nullptr, 1, &n2) == EFQ_ERR_INVALID_ARGUMENT);
  CHECK(efq_param_list(all.data(), 1, nullptr) == EFQ_ERR_INVALID_ARGUMENT);
  for (size_t i = 0; i < n; ++i) {
    const capi::ParamSpec& s = capi::param_table()[i];
    CAPTURE(s.name);
    CHECK(all[i] == s.id);
    if (i > 0) CHECK(static_cast<int>(all[i - 1]) < static_cast<int>(all[i]));
    efq_param_info info{};
    info.struct_size = sizeof info;
    REQUIRE(efq_param_get_info(s.id, &info) == EFQ_OK);
    CHECK(info.param == s.id);
    CHECK(static_cast<int>(info.type) == static_cast<int>(s.type));
    CHECK(static_cast<int>(info.scope) == static_cast<int>(s.scope));
    CHECK(std::string(info.name) == s.name);
    CHECK(std::string(info.help) == s.help);
    CHECK(std::string(info.help).size() > 5);
    if (s.type == ParamType::kString) {
      CHECK(std::string(info.default_string) == s.dflt_string);
      CHECK(info.min == 0);
      CHECK(info.max == 0);
    } else {
      double lo = 0, hi = 0, d = 0;
      REQUIRE(efq_param_bounds(s.id, &lo, &hi, &d) == EFQ_OK);
      CHECK(info.min == lo);
      CHECK(info.max == hi);
      CHECK(info.default_value == d);
      CHECK(std::string(info.default_string).empty());
    }
  }
  // The scopes the calls read (spot checks against what capi/ does with each parameter).
  efq_param_info info{};
  info.struct_size = sizeof info;
  REQUIRE(efq_param_get_info(EFQ_PARAM_MEMORY_LIMIT_MB, &info) == EFQ_OK);
  CHECK(info.scope == EFQ_SCOPE_CONTEXT);  // the one efq_context_set_int takes
  REQUIRE(efq_param_get_info(EFQ_PARAM_SPLIT, &info) == EFQ_OK);
  CHECK(info.scope == EFQ_SCOPE_EVALUATION);
  REQUIRE(efq_param_get_info(EFQ_PARAM_ROI_D, &info) == EFQ_OK);
  CHECK(info.scope == EFQ_SCOPE_INFERENCE);
  REQUIRE(efq_param_get_info(EFQ_PARAM_WBITS, &info) == EFQ_OK);
  CHECK(info.scope == EFQ_SCOPE_QUANTIZATION);
}

TEST_CASE("efq_param_get_info refuses unknown parameters and short structs, writing nothing past") {
  efq_param_info info{};
  info.struct_size = sizeof info;
  CHECK(efq_param_get_info(static_cast<efq_param>(3), &info) == EFQ_ERR_INVALID_ARGUMENT);
  CHECK(std::string(efq_last_error_message()).find("unknown parameter 3") != std::string::npos);
  CHECK(efq_param_get_info(EFQ_PARAM_WBITS, nullptr) == EFQ_ERR_INVALID_ARGUMENT);
  info.struct_size = sizeof(size_t) + 8;
  CHECK(efq_param_get_info(EFQ_PARAM_WBITS, &info) == EFQ_ERR_INVALID_ARGUMENT);
  // A first-version struct inside a larger buffer: the bytes after it stay untouched.
  unsigned char buf[sizeof(efq_param_info) + 16];
  std::memset(buf, 0xAB, sizeof buf);
  efq_param_info* p = reinterpret_cast<efq_param_info*>(buf);
  p->struct_size = sizeof(efq_param_info);
  REQUIRE(efq_param_get_info(EFQ_PARAM_WBITS, p) == EFQ_OK);
  CHECK(p->type == EFQ_TYPE_INT);
  for (size_t i = sizeof(efq_param_info); i < sizeof buf; ++i) CHECK(buf[i] == 0xAB);
}
