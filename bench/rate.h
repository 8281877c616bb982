// Fixed-rate send scheduling for the open-loop ("--rate") modes. Send k (k = 0, 1, 2, ...) is
// due at start + (k + 1) / rate, so by `start + t` exactly floor(t * rate) sends are due. The
// caller polls take(now) (typically from a periodic timer) and issues what it returns. When the
// caller fell behind (a stall), take() returns at most `maxBurst` at a time, so the backlog is
// caught up over several polls instead of in one burst; no send is ever dropped. Each send keeps
// its intended time (intendedTime), which latency is measured from, so queueing delay caused by
// the generator itself is not hidden (no coordinated omission). Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace wps::bench {

class FixedRateScheduler {
 public:
  using Clock = std::chrono::steady_clock;

  // perSecond > 0; maxBurst >= 1.
  FixedRateScheduler(double perSecond, Clock::time_point start, uint64_t maxBurst);

  // Sends due by `now` (floor((now - start) * rate)), issued or not.
  uint64_t dueBy(Clock::time_point now) const;
  // How many sends to issue now: min(dueBy(now) - issued(), maxBurst). Counts them as issued.
  uint64_t take(Clock::time_point now);
  // Sends issued so far (the sum of take()'s results).
  uint64_t issued() const { return issued_; }
  // Sends due but not yet issued.
  uint64_t backlog(Clock::time_point now) const;
  // When send `index` (0-based) is due.
  Clock::time_point intendedTime(uint64_t index) const;
  // When the next send not yet issued is due.
  Clock::time_point nextDue() const { return intendedTime(issued_); }
  double rate() const { return rate_; }

 private:
  double rate_;
  Clock::time_point start_;
  uint64_t maxBurst_;
  uint64_t issued_ = 0;
};

}  // namespace wps::bench
