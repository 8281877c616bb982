#include "common/time.h"

#include <ctime>

namespace wps {

std::string formatRfc3339(WallTime t) {
  // Events of one second share the text: the last one formatted is kept per thread.
  thread_local std::time_t cachedSecs = -1;
  thread_local char cached[32];
  std::time_t secs = WallClock::to_time_t(t);
  if (secs != cachedSecs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cachedSecs = secs;
  }
  return cached;
}

}  // namespace wps
