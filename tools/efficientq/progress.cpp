// Progress display of the command line: a bar with elapsed time and ETA on a terminal, plain
// lines otherwise (a line when a stage starts, then at most every 10 s, and when it ends; every
// step with --verbose), nothing with --quiet.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <map>
#include <string>

#include "cli.hpp"

namespace cli {

namespace {

using Clock = std::chrono::steady_clock;

Verbosity g_verbosity = Verbosity::kNormal;

struct StageState {
  Clock::time_point start, last_print;
  int64_t last_step = -1;
};

std::string format_seconds(double s) {
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

// The fields of the library's report that its struct_size covers (efficientq.h, the struct_size
// rule): an older library's struct may end before ours, a newer one's after; fields it lacks stay
// absent (null, 0), which every use below handles.
efq_progress fields_that_fit(const efq_progress* reported) {
  efq_progress p;
  std::memset(&p, 0, sizeof p);
  std::memcpy(&p, reported, std::min(reported->struct_size, sizeof p));
  return p;
}

}  // namespace

Verbosity verbosity() { return g_verbosity; }
void set_verbosity(Verbosity v) { g_verbosity = v; }

int show_progress(void*, const efq_progress* reported) {
  if (interrupted()) return 1;  // asks the library to stop; it then writes nothing
  if (g_verbosity == Verbosity::kQuiet) return 0;
  const efq_progress fitting = fields_that_fit(reported);
  const efq_progress* p = &fitting;
  static std::map<std::string, StageState> stages;
  static const bool tty = isatty(STDERR_FILENO) != 0;
  static bool line_open = false;
  const std::string stage = p->stage ? p->stage : "?";
  const std::string item = p->item ? p->item : "";
  const auto now = Clock::now();
  StageState& s = stages[stage];
  const bool restarted = s.last_step < 0 || p->step < s.last_step;
  if (restarted) s.start = s.last_print = now;
  const bool new_step = restarted || p->step != s.last_step;
  s.last_step = p->step;
  const bool done = p->total > 0 && p->step >= p->total;
  const double elapsed = std::chrono::duration<double>(now - s.start).count();
  std::string eta;
  if (done)
    eta = "done in " + format_seconds(elapsed);
  else if (p->step > 0 && p->total > 0 && elapsed > 1)
    eta = "ETA " + format_seconds(elapsed / double(p->step) * double(p->total - p->step));

  if (tty) {
    // Redraw at most 10 times a second, always on a new step.
    if (!new_step && std::chrono::duration<double>(now - s.last_print).count() < 0.1) return 0;
    s.last_print = now;
    const int width = 24;
    const int filled = p->total > 0 ? static_cast<int>(width * std::min<int64_t>(p->step, p->total) / p->total) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '.');
    std::fprintf(stderr, "\r%-9s [%s] %lld/%lld %-9s %.40s\033[K", stage.c_str(), bar.c_str(),
                 static_cast<long long>(p->step), static_cast<long long>(p->total), eta.c_str(),
                 item.c_str());
    line_open = !done;
    if (done) std::fputc('\n', stderr);
    std::fflush(stderr);
    return 0;
  }
  (void)line_open;
  if (!new_step) return 0;
  const bool verbose = g_verbosity == Verbosity::kVerbose;
  const double since_print = std::chrono::duration<double>(now - s.last_print).count();
  if (!(verbose || restarted || done || since_print >= 10.0)) return 0;
  s.last_print = now;
  std::fprintf(stderr, "[%s] %lld/%lld%s%s%s%s\n", stage.c_str(), static_cast<long long>(p->step),
               static_cast<long long>(p->total), item.empty() ? "" : " ", item.c_str(),
               eta.empty() ? "" : "  ", eta.c_str());
  return 0;
}

}  // namespace cli
