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

const std::vector<std::string> kInferenceOptions = {
    "--roi", "--overlap", "--blend", "--axes", "--normalize", "--spacing", "--activation",
    "--threshold", "--device", "--threads", "--int8"};

const char* kInferenceHelp =
    "  --roi D,H,W            sliding-window size in the network's D,H,W order\n"
    "  --overlap F            window overlap fraction in [0,1) (default 0.25)\n"
    "  --blend gaussian|constant\n"
    "  --axes ijk|kji         network D,H,W = stored voxel axes (i,j,k) or (k,j,i)\n"
    "  --normalize SPEC       none|zscore|zscore-nonzero|ct:LO,HI|pct:P1,P2; one for all\n"
    "                         modalities or one per modality joined by ';'\n"
    "  --spacing X,Y,Z        model voxel spacing in mm (resample when the image differs)\n"
    "  --activation none|softmax|sigmoid\n"
    "  --threshold T          sigmoid threshold (default 0.5)\n"
    "  --device NAME          compute device: cpu, opencl, opencl:N (default: EFQ_DEVICE,\n"
    "                         else cpu; `efficientq --version` lists the devices)\n"
    "  --threads N            worker threads (default: all cores)\n"
    "  --int8 on|off          quantized models: real int8 convolutions where possible (off)\n"
    "Defaults come from the model's metadata (see docs/model-metadata.md).\n";

void apply_inference_options(const Args& a, efq_config* cfg) {
  if (a.has("--roi")) {
    auto v = split(a.get("--roi"), ',');
    if (v.size() != 3) throw Failure("--roi needs D,H,W", 2);
    check(efq_config_set_int(cfg, EFQ_PARAM_ROI_D, to_int("--roi", v[0])), "--roi");
    check(efq_config_set_int(cfg, EFQ_PARAM_ROI_H, to_int("--roi", v[1])), "--roi");
    check(efq_config_set_int(cfg, EFQ_PARAM_ROI_W, to_int("--roi", v[2])), "--roi");
  }
  if (a.has("--spacing")) {
    auto v = split(a.get("--spacing"), ',');
    if (v.size() != 3) throw Failure("--spacing needs X,Y,Z", 2);
    check(efq_config_set_real(cfg, EFQ_PARAM_SPACING_X, to_real("--spacing", v[0])), "--spacing");
    check(efq_config_set_real(cfg, EFQ_PARAM_SPACING_Y, to_real("--spacing", v[1])), "--spacing");
    check(efq_config_set_real(cfg, EFQ_PARAM_SPACING_Z, to_real("--spacing", v[2])), "--spacing");
  }
  if (a.has("--overlap"))
    check(efq_config_set_real(cfg, EFQ_PARAM_OVERLAP, to_real("--overlap", a.get("--overlap"))),
          "--overlap");
  if (a.has("--threshold"))
    check(efq_config_set_real(cfg, EFQ_PARAM_THRESHOLD,
                              to_real("--threshold", a.get("--threshold"))),
          "--threshold");
  if (a.has("--int8")) {
    const std::string v = a.get("--int8");
    if (v != "on" && v != "off") throw Failure("--int8 takes on or off", 2);
    check(efq_config_set_int(cfg, EFQ_PARAM_INT8, v == "on"), "--int8");
  }
  if (a.has("--threads"))
    check(efq_config_set_int(cfg, EFQ_PARAM_THREADS, to_int("--threads", a.get("--threads"))),
          "--threads");
  const std::pair<const char*, efq_param> strs[] = {
      {"--blend", EFQ_PARAM_BLEND},           {"--axes", EFQ_PARAM_AXES},
      {"--normalize", EFQ_PARAM_NORMALIZATION}, {"--activation", EFQ_PARAM_ACTIVATION},
      {"--device", EFQ_PARAM_DEVICE}};
  for (const auto& [opt, param] : strs)
    if (a.has(opt)) check(efq_config_set_string(cfg, param, a.get(opt).c_str()), opt);
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
