#include "cli.hpp"

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace cli {

namespace {
std::atomic<int> g_signal{0};  // the interrupting signal, 0 while none came
int64_t g_memory_limit_mb = -1;  // --memory-limit, -1 while not given
extern "C" void on_signal(int sig) { g_signal = sig; }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string tok;
  while (std::getline(ss, tok, sep)) out.push_back(tok);
  return out;
}

}  // namespace

double to_real(const std::string& opt, const std::string& v) {
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    if (used == v.size()) return d;
  } catch (...) {
  }
  throw Failure(opt + ": '" + v + "' is not a number", 2);
}

int64_t to_int(const std::string& opt, const std::string& v) {
  try {
    size_t used = 0;
    long long d = std::stoll(v, &used);
    if (used == v.size()) return d;
  } catch (...) {
  }
  throw Failure(opt + ": '" + v + "' is not an integer", 2);
}

namespace {

void log_to_stderr(void*, efq_log_level level, const char* msg) {
  const char* prefix = level == EFQ_LOG_ERROR     ? "error: "
                       : level == EFQ_LOG_WARNING ? "warning: "
                       : level == EFQ_LOG_DEBUG   ? "debug: "
                                                  : "";
  std::fprintf(stderr, "%s%s\n", prefix, msg);
}

}  // namespace

std::vector<std::string> split_on(const std::string& s, char sep) { return split(s, sep); }

void check(efq_status s, const std::string& what) {
  if (s == EFQ_OK) return;
  std::string msg = efq_last_error_message();
  if (s == EFQ_ERR_CANCELLED || interrupted())
    throw Failure("interrupted; no output written", interrupted_exit_code());
  throw Failure(what + ": " + (msg.empty() ? efq_status_string(s) : msg));
}

std::string Args::get(const std::string& k, const std::string& dflt) const {
  auto it = options.find(k);
  return it == options.end() || it->second.empty() ? dflt : it->second.back();
}

Args parse(int argc, char** argv, const std::vector<std::string>& value_options,
           const std::vector<std::string>& flags, const std::vector<std::string>& multi) {
  Args a;
  auto in = [](const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v)
      if (x == s) return true;
    return false;
  };
  for (int k = 0; k < argc; ++k) {
    std::string w = argv[k];
    if (w.size() > 1 && w[0] == '-' && !(w.size() > 1 && (std::isdigit(w[1]) || w[1] == '.'))) {
      if (w == "--quiet" || w == "-q" || w == "--verbose" || w == "-v") {
        // Global: every command accepts them; the last one wins.
        set_verbosity(w == "--quiet" || w == "-q" ? Verbosity::kQuiet : Verbosity::kVerbose);
        a.options[w == "-q" ? "--quiet" : w == "-v" ? "--verbose" : w];
        a.options.erase(w == "--quiet" || w == "-q" ? "--verbose" : "--quiet");
      } else if (w == "--memory-limit") {
        // Global: every command accepts it (loads included); applied to the context.
        if (k + 1 >= argc) throw Failure(w + " needs a value (MB)", 2);
        g_memory_limit_mb = to_int(w, argv[++k]);
        if (g_memory_limit_mb < 1) throw Failure(w + ": '" + argv[k] + "' must be at least 1 (MB)", 2);
        a.options[w].push_back(argv[k]);
      } else if (in(flags, w)) {
        a.options[w];
      } else if (in(value_options, w)) {
        if (k + 1 >= argc) throw Failure(w + " needs a value", 2);
        a.options[w].push_back(argv[++k]);
      } else if (in(multi, w)) {
        // Each occurrence is kept as one entry, its words joined by '\n'.
        std::string joined;
        while (k + 1 < argc && argv[k + 1][0] != '-')
          joined += (joined.empty() ? "" : "\n") + std::string(argv[++k]);
        if (joined.empty()) throw Failure(w + " needs at least one value", 2);
        a.options[w].push_back(joined);
      } else {
        throw Failure("unknown option " + w + " (see --help)", 2);
      }
    } else {
      a.positional.push_back(w);
    }
  }
  return a;
}

Context::Context(bool quiet) {
  check(efq_context_create(&p), "context");
  if (quiet) set_verbosity(Verbosity::kQuiet);
  // Errors are reported by the command itself (one line); warnings unless --quiet; the library's
  // informational lines (files loaded, cases evaluated) with --verbose.
  if (verbosity() != Verbosity::kQuiet)
    efq_context_set_log_callback(p, log_to_stderr, nullptr,
                                 verbosity() == Verbosity::kVerbose ? EFQ_LOG_INFO : EFQ_LOG_WARNING);
  efq_context_set_progress_callback(p, show_progress, nullptr);
  if (g_memory_limit_mb > 0)
    check(efq_context_set_int(p, EFQ_PARAM_MEMORY_LIMIT_MB, g_memory_limit_mb), "--memory-limit");
}

Config::Config() { check(efq_config_create(&p), "config"); }

efq_model* load_model(const Context& ctx, const std::string& path) {
  efq_model* m = nullptr;
  const bool efq = path.size() > 4 && path.compare(path.size() - 4, 4, ".efq") == 0;
  check(efq ? efq_model_load_efq(ctx.p, path.c_str(), &m) : efq_model_load_onnx(ctx.p, path.c_str(), &m),
        "loading the model");
  return m;
}

// SIGTERM (kill, timeout, a job scheduler) is handled like Ctrl-C: the running call is cancelled
// at its next progress report and nothing is written.
void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}
bool interrupted() { return g_signal != 0; }
int interrupted_exit_code() { return 128 + (g_signal != 0 ? g_signal.load() : SIGINT); }

const char* kForceHelp =
    "  --force                allow an output to overwrite one of the inputs\n";

void write_text(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    return;
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!(f << text << '\n')) {
      std::remove(tmp.c_str());
      throw Failure("cannot write " + path);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Failure("cannot write " + path);
  }
}

}  // namespace cli
