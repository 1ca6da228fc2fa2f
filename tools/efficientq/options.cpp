#include "options.hpp"

#include <cctype>
#include <cstdio>

namespace cli {

namespace {

// Where the command line spells or shapes a parameter otherwise than `--NAME VALUE`. Parameters
// without a row here get the derived option (options.hpp).
struct CliForm {
  efq_param param;
  const char* flag;
  OptionForm form;
  const char* metavar;
  std::vector<efq_param> more = {};  // kTriple: the second and third parameters
  int64_t switch_value = 1;
  std::vector<std::pair<std::string, int64_t>> words = {};
  bool words_only = false;
};

const std::vector<CliForm>& cli_forms() {
  using F = OptionForm;
  static const std::vector<CliForm> forms = {
      {EFQ_PARAM_ROI_D, "--roi", F::kTriple, "D,H,W", {EFQ_PARAM_ROI_H, EFQ_PARAM_ROI_W}},
      {EFQ_PARAM_SPACING_X, "--spacing", F::kTriple, "X,Y,Z",
       {EFQ_PARAM_SPACING_Y, EFQ_PARAM_SPACING_Z}},
      {EFQ_PARAM_CALIB_CROP_D, "--calib-crop", F::kTriple, "D,H,W",
       {EFQ_PARAM_CALIB_CROP_H, EFQ_PARAM_CALIB_CROP_W}},
      {EFQ_PARAM_NORMALIZATION, "--normalize", F::kValue, "SPEC"},
      {EFQ_PARAM_INT8, "--int8", F::kValue, "on|off", {}, 1, {{"off", 0}, {"on", 1}}, true},
      {EFQ_PARAM_WANT_PROBABILITIES, "--probabilities", F::kPathSwitch, "PROB.nii.gz"},
      {EFQ_PARAM_WBITS, "--wbits", F::kValue, "N"},
      {EFQ_PARAM_ABITS, "--abits", F::kValue, "N|none", {}, 1, {{"none", 0}}},
      {EFQ_PARAM_LAYER_OVERRIDES, "--layer", F::kRepeated, "OVERRIDE"},
      {EFQ_PARAM_FIRST_LAST_8BIT, "--all-layers", F::kSwitch, "", {}, 0},
      {EFQ_PARAM_ITERATIONS, "--iters", F::kValue, "N"},
      {EFQ_PARAM_WBITS_CHOICES, "--wbits-choices", F::kValue, "LIST"},
      {EFQ_PARAM_ACT_SCALE_SEARCH, "--act-scale", F::kValue, "als|layer|network", {}, 1,
       {{"als", 0}, {"layer", 1}, {"network", 2}}, true},
  };
  return forms;
}

// "first/last 8-bit" -> "first-last-8-bit"
std::string flag_word(const char* name) {
  std::string out;
  for (const char* c = name; *c; ++c)
    out += (*c == ' ' || *c == '/') ? '-'
                                    : static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
  return out;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

efq_param_info describe(efq_param p) {
  efq_param_info info{};
  info.struct_size = sizeof info;
  check(efq_param_get_info(p, &info), "reading the library's parameter table");
  return info;
}

// The option of `info`'s parameter when no CliForm names it.
ParamOption derived_option(const efq_param_info& info) {
  ParamOption o;
  o.flag = "--" + flag_word(info.name);
  const bool boolean = info.type == EFQ_TYPE_INT && info.min == 0 && info.max == 1;
  if (boolean) {
    o.form = OptionForm::kSwitch;
    o.switch_value = info.default_value == 0 ? 1 : 0;
    if (o.switch_value == 0) o.flag = "--no-" + flag_word(info.name);
  } else {
    o.metavar = info.type == EFQ_TYPE_INT    ? "N"
                : info.type == EFQ_TYPE_REAL ? "X"
                                             : flag_word(info.name);
    if (info.type == EFQ_TYPE_STRING)
      for (char& c : o.metavar)
        c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return o;
}

ParamOption from_form(const CliForm& f) {
  ParamOption o;
  o.flag = f.flag;
  o.metavar = f.metavar;
  o.form = f.form;
  o.params = f.more;
  o.switch_value = f.switch_value;
  o.words = f.words;
  o.words_only = f.words_only;
  return o;
}

// The help line's text: the library's help, what the switch does, the words, the default.
std::string help_text(const ParamOption& o) {
  std::string h = o.info.help;
  if (o.form == OptionForm::kSwitch || o.form == OptionForm::kPathSwitch) {
    if (o.switch_value == 0) h = "off: " + h;
    return h;
  }
  if (o.form == OptionForm::kRepeated) h += " (repeatable)";
  if (!o.words.empty()) {
    h += "; ";
    for (size_t i = 0; i < o.words.size(); ++i)
      h += (i ? ", " : "") + o.words[i].first + " = " + std::to_string(o.words[i].second);
  }
  std::string dflt;
  if (o.info.type == EFQ_TYPE_STRING) {
    dflt = o.info.default_string;
  } else {
    dflt = number_text(o.info.default_value);
    for (const auto& [word, value] : o.words)
      if (value == o.info.default_value) dflt = word;
  }
  // "0 = all cores", "0 = unset": the help already says what the default 0 means.
  const bool said = o.info.type != EFQ_TYPE_STRING && o.info.default_value == 0 &&
                    o.info.help && std::string(o.info.help).find("0 = ") != std::string::npos;
  if (!dflt.empty() && !said) h += " (default " + dflt + ")";
  return h;
}

std::string join_words(const ParamOption& o) {
  std::string s;
  for (const auto& w : o.words) s += (s.empty() ? "" : "|") + w.first;
  return s;
}

void set_value(const ParamOption& o, efq_param p, efq_param_type type, const std::string& v,
               efq_config* cfg) {
  for (const auto& [word, value] : o.words)
    if (v == word) return check(efq_config_set_int(cfg, p, value), o.flag);
  if (o.words_only) throw Failure(o.flag + " '" + v + "' (expected " + join_words(o) + ")", 2);
  if (type == EFQ_TYPE_INT) check(efq_config_set_int(cfg, p, to_int(o.flag, v)), o.flag);
  else if (type == EFQ_TYPE_REAL) check(efq_config_set_real(cfg, p, to_real(o.flag, v)), o.flag);
  else check(efq_config_set_string(cfg, p, v.c_str()), o.flag);
}

}  // namespace

const char* kParamHelpHeading =
    "Parameters (the library's; an unset one takes the model metadata's value where it has one,\n"
    "else the default shown):\n";

std::vector<ParamOption> param_options(const std::vector<efq_param_scope>& scopes) {
  size_t n = 0;
  check(efq_param_list(nullptr, 0, &n), "reading the library's parameter table");
  std::vector<efq_param> all(n);
  check(efq_param_list(all.data(), all.size(), &n), "reading the library's parameter table");
  std::vector<efq_param> grouped;  // second and third parameters of a triple
  for (const CliForm& f : cli_forms()) grouped.insert(grouped.end(), f.more.begin(), f.more.end());
  std::vector<ParamOption> out;
  for (efq_param p : all) {
    const efq_param_info info = describe(p);
    bool wanted = false;
    for (efq_param_scope s : scopes) wanted = wanted || info.scope == s;
    bool is_grouped = false;
    for (efq_param g : grouped) is_grouped = is_grouped || g == p;
    if (!wanted || is_grouped) continue;
    ParamOption o = derived_option(info);
    for (const CliForm& f : cli_forms())
      if (f.param == p) o = from_form(f);
    o.params.insert(o.params.begin(), p);
    o.info = info;
    o.help = help_text(o);
    out.push_back(o);
  }
  return out;
}

void add_param_flags(const std::vector<ParamOption>& options, std::vector<std::string>& values,
                     std::vector<std::string>& switches) {
  for (const ParamOption& o : options)
    (o.form == OptionForm::kSwitch ? switches : values).push_back(o.flag);
}

std::string param_help(const std::vector<ParamOption>& options) {
  constexpr size_t kIndent = 25, kWidth = 100;
  std::string out = kParamHelpHeading;
  for (const ParamOption& o : options) {
    std::string line = "  " + o.flag + (o.metavar.empty() ? "" : " " + o.metavar);
    // Words of the help, wrapped; the first goes on the flag's line when it fits.
    size_t col = line.size();
    if (col + 1 >= kIndent) {
      line += "\n" + std::string(kIndent, ' ');
    } else {
      line += std::string(kIndent - col, ' ');
    }
    col = kIndent;
    size_t pos = 0;
    bool first = true;
    while (pos < o.help.size()) {
      size_t end = o.help.find(' ', pos);
      if (end == std::string::npos) end = o.help.size();
      const std::string word = o.help.substr(pos, end - pos);
      if (!first && col + 1 + word.size() > kWidth) {
        line += "\n" + std::string(kIndent, ' ');
        col = kIndent;
        first = true;
      }
      line += (first ? "" : " ") + word;
      col += (first ? 0 : 1) + word.size();
      first = false;
      pos = end + 1;
    }
    out += line + "\n";
  }
  return out;
}

void apply_param_options(const std::vector<ParamOption>& options, const Args& a, efq_config* cfg) {
  for (const ParamOption& o : options) {
    if (!a.has(o.flag)) continue;
    const efq_param p = o.params[0];
    switch (o.form) {
      case OptionForm::kValue:
        set_value(o, p, o.info.type, a.get(o.flag), cfg);
        break;
      case OptionForm::kTriple: {
        const std::vector<std::string> v = split_on(a.get(o.flag), ',');
        if (v.size() != 3 || o.params.size() != 3) throw Failure(o.flag + " needs " + o.metavar, 2);
        for (size_t d = 0; d < 3; ++d) set_value(o, o.params[d], o.info.type, v[d], cfg);
        break;
      }
      case OptionForm::kSwitch:
      case OptionForm::kPathSwitch:
        check(efq_config_set_int(cfg, p, o.switch_value), o.flag);
        break;
      case OptionForm::kRepeated: {
        std::string joined;
        for (const std::string& v : a.options.at(o.flag)) joined += (joined.empty() ? "" : ";") + v;
        check(efq_config_set_string(cfg, p, joined.c_str()), o.flag);
        break;
      }
    }
  }
}

}  // namespace cli
