// The command line's parameter-backed options, made from the library's parameter table
// (capi/params.cpp, read through efq_param_list and efq_param_get_info): which commands offer a
// parameter (its scope), its type, bounds, default and help all come from there. A parameter
// gets `--NAME VALUE` (its name with spaces as '-'; an int 0/1 becomes the switch `--NAME`, or
// `--no-NAME` when its default is 1) unless a row of kCliForms (options.cpp) gives it another
// spelling or shape (a D,H,W triple, named values, a repeatable option). So a new row in the
// library's table is all a new parameter needs to appear, parsed and documented, in every command
// of its scope; tests/cli_options checks that each command's --help lists exactly these options.
#pragma once

#include <efficientq/efficientq.h>

#include <string>
#include <utility>
#include <vector>

#include "cli.hpp"

namespace cli {

/// How an option's words become parameter values.
enum class OptionForm {
  kValue,     ///< --flag VALUE: an int, real or string (`words` may name int values)
  kTriple,    ///< --flag A,B,C: three parameters of one type, set together
  kSwitch,    ///< --flag (no value): sets the parameter to `switch_value`
  kPathSwitch,///< --flag FILE: the command writes FILE; the parameter is set to `switch_value`
  kRepeated,  ///< --flag VALUE, repeatable: the values joined by ';' (a list parameter)
};

/// One parameter-backed option.
struct ParamOption {
  std::string flag;                 ///< "--wbits"
  std::string metavar;              ///< "N", "D,H,W", "gaussian|constant"; "" for a switch
  OptionForm form = OptionForm::kValue;
  std::vector<efq_param> params;    ///< one, or three for kTriple
  efq_param_info info{};            ///< the library's description of params[0]
  int64_t switch_value = 1;         ///< kSwitch, kPathSwitch
  std::vector<std::pair<std::string, int64_t>> words;  ///< named int values ("none" = 0)
  bool words_only = false;          ///< only `words` are accepted, no number
  std::string help;                 ///< the library's help of params[0], then what the CLI adds
};

/// The options of every parameter whose scope is in `scopes`, in the table's order. Throws
/// Failure when the library's table cannot be read.
std::vector<ParamOption> param_options(const std::vector<efq_param_scope>& scopes);

/// Appends the options' flags to parse()'s lists: value options and switches.
void add_param_flags(const std::vector<ParamOption>& options, std::vector<std::string>& values,
                     std::vector<std::string>& switches);

/// The options' --help section: a heading, then per option "  --flag META" and its help with the
/// default, wrapped at 100 columns.
std::string param_help(const std::vector<ParamOption>& options);

/// Sets the config from the options given in `a`; usage errors (a bad number or word) throw
/// Failure with exit code 2, values the library refuses throw Failure naming the flag.
void apply_param_options(const std::vector<ParamOption>& options, const Args& a, efq_config* cfg);

/// The heading of the section param_help() prints.
extern const char* kParamHelpHeading;

}  // namespace cli
