// Process resource figures for reports (audit trail: how much memory a run needed).
#pragma once

namespace efq {

/// Peak resident set size of this process so far, in MiB (getrusage; 0 if unavailable).
double peak_rss_mib();

}  // namespace efq
