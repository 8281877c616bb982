// Time types shared by every layer. Monotonic time drives timeouts; wall time only stamps
// events (ce-time) and tokens (exp/nbf).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace wps {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using WallClock = std::chrono::system_clock;
using WallTime = WallClock::time_point;

using std::chrono::milliseconds;
using std::chrono::seconds;

// RFC 3339 UTC with seconds precision, e.g. "2024-05-01T10:00:00Z".
std::string formatRfc3339(WallTime t);
inline int64_t unixSeconds(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace wps
