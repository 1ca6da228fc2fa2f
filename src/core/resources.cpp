#include "core/resources.hpp"

#include <sys/resource.h>

namespace efq {

double peak_rss_mib() {
  struct rusage u {};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0.0;
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

}  // namespace efq
