// The command line's parameter options against the library's parameter table (efq_param_list,
// efq_param_get_info) and against the real `efficientq COMMAND --help` (issue 14: "--help lists
// exactly the table's options"). Links the CLI's option code (tools/efficientq/options.cpp) and
// the shared library; runs the CLI binary (EFQ_CLI_PATH) for --help and parsing.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <efficientq/efficientq.h>

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "options.hpp"

namespace {

// Which commands make the calls of each scope (the library's efq_param_scope documents the
// calls; this is the CLI's command for each).
const std::map<std::string, std::vector<efq_param_scope>> kCommandScopes = {
    {"segment", {EFQ_SCOPE_INFERENCE, EFQ_SCOPE_SEGMENTATION}},
    {"eval", {EFQ_SCOPE_INFERENCE, EFQ_SCOPE_EVALUATION}},
    {"verify", {EFQ_SCOPE_INFERENCE}},
    {"quantize", {EFQ_SCOPE_INFERENCE, EFQ_SCOPE_QUANTIZATION}},
};

struct Run {
  int rc;
  std::string out;
};

Run run(const std::string& args) {
  const std::string cmd = std::string("'") + EFQ_CLI_PATH + "' " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Runs of whitespace as one space (the help is wrapped).
std::string squeeze(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    const bool ws = c == ' ' || c == '\n' || c == '\t';
    if (ws && !space && !out.empty()) out += ' ';
    if (!ws) out += c;
    space = ws;
  }
  return out;
}

// The parameter section of a --help text, split into one entry per option ("--flag" -> text).
std::vector<std::pair<std::string, std::string>> param_section(const std::string& help) {
  const size_t at = help.find(cli::kParamHelpHeading);
  REQUIRE(at != std::string::npos);
  std::istringstream in(help.substr(at + std::string(cli::kParamHelpHeading).size()));
  std::vector<std::pair<std::string, std::string>> entries;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("  --", 0) == 0) {
      const size_t end = line.find(' ', 2);
      entries.push_back({line.substr(2, end - 2), line});
    } else if (line.rfind("    ", 0) == 0 && !entries.empty()) {
      entries.back().second += "\n" + line;
    } else {
      break;  // the section ends at the first line that is neither
    }
  }
  return entries;
}

std::vector<efq_param> library_params() {
  size_t n = 0;
  REQUIRE(efq_param_list(nullptr, 0, &n) == EFQ_OK);
  std::vector<efq_param> all(n);
  REQUIRE(efq_param_list(all.data(), all.size(), &n) == EFQ_OK);
  REQUIRE(n == all.size());
  return all;
}

efq_param_info info_of(efq_param p) {
  efq_param_info info{};
  info.struct_size = sizeof info;
  REQUIRE(efq_param_get_info(p, &info) == EFQ_OK);
  return info;
}

}  // namespace

TEST_CASE("every library parameter is one option of each command of its scope, and no other") {
  const std::vector<efq_param> all = library_params();
  REQUIRE(all.size() >= 38);
  for (const auto& [command, scopes] : kCommandScopes) {
    const std::vector<cli::ParamOption> options = cli::param_options(scopes);
    for (efq_param p : all) {
      const efq_param_info info = info_of(p);
      CAPTURE(command);
      CAPTURE(info.name);
      int covered = 0;
      for (const cli::ParamOption& o : options)
        for (efq_param q : o.params) covered += q == p ? 1 : 0;
      bool in_scope = false;
      for (efq_param_scope s : scopes) in_scope = in_scope || info.scope == s;
      CHECK(covered == (in_scope ? 1 : 0));
    }
    std::set<std::string> flags;
    for (const cli::ParamOption& o : options) {
      CAPTURE(o.flag);
      CHECK(flags.insert(o.flag).second);  // no flag twice
    }
  }
}

TEST_CASE("context parameters are the global options `efficientq --help` lists") {
  const Run r = run("--help");
  REQUIRE(r.rc == 0);
  int context = 0;
  for (efq_param p : library_params()) {
    const efq_param_info info = info_of(p);
    if (info.scope != EFQ_SCOPE_CONTEXT) continue;
    ++context;
    std::string flag = "--";
    for (const char* c = info.name; *c; ++c) flag += *c == ' ' ? '-' : *c;
    CAPTURE(flag);
    CHECK(r.out.find(flag) != std::string::npos);
    CHECK(run("inspect " + flag + " 64 --help").rc == 0);  // every command accepts it
  }
  CHECK(context >= 1);
}

TEST_CASE("--help of each command lists exactly the table's options, each with the library's help") {
  for (const auto& [command, scopes] : kCommandScopes) {
    CAPTURE(command);
    const Run r = run(command + " --help");
    REQUIRE(r.rc == 0);
    const auto entries = param_section(r.out);
    const std::vector<cli::ParamOption> options = cli::param_options(scopes);
    REQUIRE(entries.size() == options.size());
    for (size_t i = 0; i < options.size(); ++i) {
      CAPTURE(options[i].flag);
      CHECK(entries[i].first == options[i].flag);
      // The first parameter's help text, as the library gives it, on the option's lines.
      const efq_param_info info = info_of(options[i].params[0]);
      CHECK(squeeze(entries[i].second).find(squeeze(info.help)) != std::string::npos);
      // Outside the generated section, no hand-written line for the same flag.
      const size_t section = r.out.find(cli::kParamHelpHeading);
      CHECK(r.out.substr(0, section).find("  " + options[i].flag + " ") == std::string::npos);
    }
  }
}

TEST_CASE("the flags the command line had keep their spelling") {
  const std::map<std::string, std::vector<std::string>> kept = {
      {"segment", {"--roi", "--overlap", "--blend", "--axes", "--normalize", "--spacing",
                   "--activation", "--threshold", "--device", "--threads", "--int8",
                   "--probabilities"}},
      {"eval", {"--roi", "--normalize", "--int8", "--split"}},
      {"verify", {"--roi", "--normalize", "--spacing", "--threads"}},
      {"quantize", {"--wbits", "--abits", "--method", "--grid", "--weight-grid", "--per-tensor",
                    "--sensitivity", "--layer", "--no-attention", "--no-regularizer",
                    "--body-mask", "--all-layers", "--act-scale", "--iters", "--rho", "--eta",
                    "--early-stop", "--calib-crop", "--roi", "--device", "--threads"}},
  };
  for (const auto& [command, flags] : kept) {
    std::set<std::string> have;
    for (const cli::ParamOption& o : cli::param_options(kCommandScopes.at(command))) have.insert(o.flag);
    for (const std::string& f : flags) {
      CAPTURE(command);
      CAPTURE(f);
      CHECK(have.count(f) == 1);
    }
  }
}

TEST_CASE("every listed option is accepted by the command's parser") {
  for (const auto& [command, scopes] : kCommandScopes) {
    for (const cli::ParamOption& o : cli::param_options(scopes)) {
      CAPTURE(command);
      CAPTURE(o.flag);
      // parse() runs before --help is honoured; the value is not applied with --help.
      const bool takes_value = o.form != cli::OptionForm::kSwitch;
      const Run r = run(command + " " + o.flag + (takes_value ? " 1" : "") + " --help");
      CHECK(r.rc == 0);
    }
    CHECK(run(command + " --no-such-parameter --help").rc == 2);  // the check can fail
  }
}

TEST_CASE("help shows the library's defaults, named values and switch meaning") {
  const Run r = run("quantize --help");
  REQUIRE(r.rc == 0);
  std::map<std::string, std::string> text;
  for (const auto& [flag, lines] : param_section(r.out)) text[flag] = squeeze(lines);
  CHECK(text.at("--wbits").find("(default 4)") != std::string::npos);
  CHECK(text.at("--iters").find("(default 200)") != std::string::npos);
  CHECK(text.at("--abits").find("none = 0 (default 8)") != std::string::npos);
  CHECK(text.at("--act-scale").find("als = 0, layer = 1, network = 2 (default layer)") !=
        std::string::npos);
  CHECK(text.at("--method").find("(default efficientq)") != std::string::npos);
  CHECK(text.at("--no-attention").find("off: class-balancing attention") != std::string::npos);
  CHECK(text.at("--all-layers").find("off: first and last layer") != std::string::npos);
  CHECK(text.at("--roi").rfind("--roi D,H,W", 0) == 0);
}

TEST_CASE("values are checked: words, numbers, triples, and the library's bounds naming the flag") {
  const auto options = cli::param_options(kCommandScopes.at("quantize"));
  efq_config* raw = nullptr;
  REQUIRE(efq_config_create(&raw) == EFQ_OK);
  std::unique_ptr<efq_config, void (*)(efq_config*)> cfg(raw, efq_config_destroy);
  auto apply = [&](const std::vector<std::string>& words) {
    std::vector<std::string> values, switches;
    cli::add_param_flags(options, values, switches);
    std::vector<char*> argv;
    for (const std::string& w : words) argv.push_back(const_cast<char*>(w.c_str()));
    const cli::Args a = cli::parse(static_cast<int>(argv.size()), argv.data(), values, switches);
    cli::apply_param_options(options, a, cfg.get());
  };
  auto failure = [&](const std::vector<std::string>& words, int code, const std::string& text) {
    CAPTURE(text);
    try {
      apply(words);
      FAIL("no failure");
    } catch (const cli::Failure& f) {
      CHECK(f.exit_code == code);
      CHECK(std::string(f.what()).find(text) != std::string::npos);
    }
  };
  CHECK_NOTHROW(apply({"--wbits", "3", "--abits", "none", "--act-scale", "network", "--roi",
                       "8,16,32", "--layer", "a=w8", "--layer", "b=skip", "--no-attention",
                       "--all-layers", "--rho", "5.5", "--method", "rtn"}));
  failure({"--act-scale", "best"}, 2, "--act-scale 'best' (expected als|layer|network)");
  failure({"--roi", "8,x,8"}, 2, "--roi: 'x' is not an integer");
  failure({"--roi", "8,8"}, 2, "--roi needs D,H,W");
  failure({"--wbits", "9"}, 1, "--wbits: parameter 40 (weight bits) = 9 out of [2, 8]");
  failure({"--method", "magic"}, 1, "--method: ");
  failure({"--layer", "a=w8", "--layer", "b=w99"}, 1, "--layer: ");
}
