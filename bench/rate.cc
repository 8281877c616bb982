#include "bench/rate.h"

#include <algorithm>
#include <cmath>

namespace wps::bench {

FixedRateScheduler::FixedRateScheduler(double perSecond, Clock::time_point start, uint64_t maxBurst)
    : rate_(perSecond > 0 ? perSecond : 1.0),
      start_(start),
      maxBurst_(std::max<uint64_t>(1, maxBurst)) {}

uint64_t FixedRateScheduler::dueBy(Clock::time_point now) const {
  if (now <= start_) return 0;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count();
  // long double keeps the product exact enough for hours at millions per second.
  const long double due = static_cast<long double>(ns) * static_cast<long double>(rate_) / 1e9L;
  return static_cast<uint64_t>(std::floor(due));
}

uint64_t FixedRateScheduler::backlog(Clock::time_point now) const {
  const uint64_t due = dueBy(now);
  return due > issued_ ? due - issued_ : 0;
}

uint64_t FixedRateScheduler::take(Clock::time_point now) {
  const uint64_t n = std::min(backlog(now), maxBurst_);
  issued_ += n;
  return n;
}

FixedRateScheduler::Clock::time_point FixedRateScheduler::intendedTime(uint64_t index) const {
  const long double ns =
      static_cast<long double>(index + 1) * 1e9L / static_cast<long double>(rate_);
  return start_ + std::chrono::nanoseconds(static_cast<int64_t>(std::ceil(ns)));
}

}  // namespace wps::bench
