// Shared pieces of the `efficientq` command line: argument parsing, status checking, progress,
// Ctrl-C. The options that set library parameters come from the library's table (options.hpp).
#pragma once

#include <efficientq/efficientq.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace cli {

/// A failed step: printed as one line on stderr, exit code 1 (usage errors: 2).
struct Failure : std::runtime_error {
  explicit Failure(const std::string& m, int code = 1) : std::runtime_error(m), exit_code(code) {}
  int exit_code;
};

/// Throws Failure with the library's message when `s` is not EFQ_OK.
void check(efq_status s, const std::string& what);

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;  // "--roi" -> values (repeatable)
  bool has(const std::string& k) const { return options.count(k) != 0; }
  std::string get(const std::string& k, const std::string& dflt = "") const;
};

/// Parses argv: `value_options` take one value each, `flags` none, `multi` take every following
/// non-option word. Unknown options are usage errors.
Args parse(int argc, char** argv, const std::vector<std::string>& value_options,
           const std::vector<std::string>& flags, const std::vector<std::string>& multi = {});

/// RAII owners of C handles.
struct Context {
  efq_context* p = nullptr;
  explicit Context(bool quiet);
  ~Context() { efq_context_destroy(p); }
};
struct Config {
  efq_config* p = nullptr;
  Config();
  ~Config() { efq_config_destroy(p); }
};

/// Loads an ONNX (FP32, fake-quant or QDQ) or .efq model, by file extension.
efq_model* load_model(const Context& ctx, const std::string& path);

/// Output level, set by --quiet / --verbose (accepted by every command, see parse()).
enum class Verbosity { kQuiet, kNormal, kVerbose };
Verbosity verbosity();
void set_verbosity(Verbosity v);

/// The progress callback: a bar with ETA on a terminal, plain lines otherwise (progress.cpp).
int show_progress(void* user, const efq_progress* p);

/// Installs the SIGINT and SIGTERM handlers; progress callbacks return non-zero once one fired.
void install_interrupt_handler();
bool interrupted();
/// 128 + the signal received (130 for SIGINT, 143 for SIGTERM); 130 when none was.
int interrupted_exit_code();

/// Before any work: each given output option's path (not "-") must lie in an existing, writable
/// folder and, unless --force is given, must not be one of `inputs` (same file after resolving
/// symlinks and relative paths). Throws Failure naming the path (output_paths.cpp).
void check_outputs(const Args& a, const std::vector<std::string>& output_options,
                   const std::vector<std::string>& inputs);
extern const char* kForceHelp;

/// Writes text to FILE or stdout ("-").
void write_text(const std::string& path, const std::string& text);

int cmd_inspect(int argc, char** argv);
int cmd_segment(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_phantom(int argc, char** argv);
int cmd_quantize(int argc, char** argv);
int cmd_verify(int argc, char** argv);
int cmd_overlay(int argc, char** argv);

/// Parses a whole word as a number (usage error naming the option otherwise).
double to_real(const std::string& opt, const std::string& v);
int64_t to_int(const std::string& opt, const std::string& v);

/// Splits on a separator.
std::vector<std::string> split_on(const std::string& s, char sep);

}  // namespace cli
