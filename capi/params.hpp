// The one table of configuration parameters (efq_param): type, bounds, default, help text and
// the check of a string value. efq_config_set_*, efq_param_bounds and the conversion of a config
// into the quantizer / inference options (capi/config_options.cpp) all read it, so a parameter
// is added in one row here (and its enum value in efficientq.h, append-only).
#pragma once

#include <efficientq/efficientq.h>

#include <optional>
#include <string>
#include <vector>

struct efq_config;

namespace efq::capi {

enum class ParamType { kInt, kReal, kString };  // values equal efq_param_type's

/// Which calls read a parameter (values equal efq_param_scope's). The CLI offers a parameter on
/// the commands that make those calls (tools/efficientq/options.cpp).
enum class ParamScope { kInference, kSegmentation, kEvaluation, kQuantization, kContext };

struct ParamSpec {
  efq_param id;
  const char* name;  // short library name, used in messages ("wbits", "layer override", ...)
  ParamType type;
  double min, max;   // numeric parameters (inclusive)
  double dflt;       // numeric parameters: the value an unset parameter has
  std::string dflt_string;  // string parameters: the value an unset parameter has
  const char* help;
  void (*check)(const std::string& value);  // string parameters: throws on a bad value; may be null
  ParamScope scope;
};

/// Every parameter, in enum order (efq_param_list relies on it).
const std::vector<ParamSpec>& param_table();

/// The row of `p`; throws kInvalidArgument ("unknown parameter N") when there is none.
const ParamSpec& param_spec(efq_param p);

/// The parameter a host passed, checked against the table: read as an int through its address,
/// because a host may pass any int and loading a value outside the enumerators as the enum type
/// is undefined behaviour in C++ (UBSan's enum check found it). Throws kInvalidArgument
/// ("unknown parameter N") when the table has no such parameter.
efq_param checked_param(const efq_param* p);

/// "parameter N (name)" for messages.
std::string param_label(efq_param p);

/// The value set in `cfg` (null: none), or nothing when unset. Throws kInternal when `p` is not
/// of that type (a programming error in the conversion code).
std::optional<int64_t> config_int_set(const efq_config* cfg, efq_param p);
std::optional<double> config_real_set(const efq_config* cfg, efq_param p);
std::optional<std::string> config_string_set(const efq_config* cfg, efq_param p);

/// The value set in `cfg`, else the table's default.
int64_t config_int(const efq_config* cfg, efq_param p);
double config_real(const efq_config* cfg, efq_param p);
std::string config_string(const efq_config* cfg, efq_param p);

/// The memory limit of a call in bytes (core/memory_budget.hpp): EFQ_PARAM_MEMORY_LIMIT_MB of
/// `cfg` when set, else of `ctx` (both may be null); 0 = the default.
int64_t memory_limit_bytes(const efq_context* ctx, const efq_config* cfg);

/// The items of a ';'-joined list ("a;b" -> {"a", "b"}; "" -> {""}).
std::vector<std::string> split_list(const std::string& s);

/// The overrides of an EFQ_PARAM_LAYER_OVERRIDES value: split_list without a trailing empty item
/// ("" -> none, "A=w8;" -> {"A=w8"}).
std::vector<std::string> layer_override_items(const std::string& s);

}  // namespace efq::capi
