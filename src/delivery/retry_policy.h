// How the outbox treats one finished delivery attempt (docs/delivery.md, "Retry schedule"):
// classification of the outcome, exponential backoff with jitter, and Retry-After.
// Pure functions and a value class; thread-safe as long as the jitter source is.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "common/status.h"
#include "common/time.h"
#include "http/message.h"

namespace wps::delivery {

// What becomes of an event after one attempt.
enum class AttemptVerdict {
  kDelivered,  // 2xx: removed
  kRetry,      // 408, 429, 5xx, transport errors, validation failure: rescheduled
  kGone,       // 410: dropped (reason "gone")
  kRejected,   // any other answer (other 4xx, 1xx/3xx): dropped (reason "rejected")
};

// The verdict of an attempt that reached the upstream client: its response or its error.
// Every client error (kUnavailable, kDeadlineExceeded, kResourceExhausted, ...) is retried:
// the upstream did not accept the event. A validation failure is classified by the caller
// (always kRetry).
AttemptVerdict classifyAttempt(const StatusOr<http::HttpResponse>& outcome);

// The value of a Retry-After header (RFC 9110 §10.2.3) as a delay from `now`: delta-seconds
// (1*DIGIT) or an HTTP-date in any of the three formats of RFC 9110 §5.6.7 (IMF-fixdate,
// RFC 850, asctime), always GMT. A date in the past is a zero delay. nullopt when the value is
// neither (negative, fractional, empty, garbage, an invalid date).
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value, WallTime now);

class RetryPolicy {
 public:
  // A uniform random number in [0, 1). Called once per backoff; tests inject a fixed one.
  using JitterSource = std::function<double()>;

  // `maxDelay` caps the backoff and Retry-After (delivery.max_retry_delay_seconds). An empty
  // `jitter` uses a thread-local Mersenne Twister seeded from std::random_device.
  explicit RetryPolicy(std::chrono::milliseconds maxDelay, JitterSource jitter = {});

  // The delay after the `attempts`-th failed attempt (attempts >= 1), "equal jitter": the
  // ceiling is 1 s doubled per earlier attempt and capped at maxDelay; the delay is uniform in
  // [ceiling / 2, ceiling]. So it never drops to zero (a down upstream is not hammered) and
  // retries of many events spread over half the ceiling.
  std::chrono::milliseconds backoff(uint32_t attempts) const;

  // The delay before the next attempt after the `attempts`-th failed one ended with `outcome`:
  // for 429 and 503 with a valid Retry-After, that delay (relative to `now`, the loop's wall
  // clock) capped at maxDelay and at least kMinRetryAfter; otherwise backoff(attempts).
  std::chrono::milliseconds retryDelay(uint32_t attempts,
                                       const StatusOr<http::HttpResponse>& outcome,
                                       WallTime now) const;

  // The shortest delay a Retry-After leads to ("Retry-After: 0" must not make a busy loop).
  static constexpr std::chrono::milliseconds kMinRetryAfter{1000};
  // The ceiling of the first retry.
  static constexpr std::chrono::milliseconds kInitialDelay{1000};

  std::chrono::milliseconds maxDelay() const { return maxDelay_; }

 private:
  std::chrono::milliseconds maxDelay_;
  JitterSource jitter_;
};

}  // namespace wps::delivery
