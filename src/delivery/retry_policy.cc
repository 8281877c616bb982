#include "delivery/retry_policy.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>

#include "common/strings.h"

namespace wps::delivery {

using std::chrono::milliseconds;

AttemptVerdict classifyAttempt(const StatusOr<http::HttpResponse>& outcome) {
  if (!outcome) return AttemptVerdict::kRetry;
  int s = outcome->status;
  if (s >= 200 && s <= 299) return AttemptVerdict::kDelivered;
  if (s == 408 || s == 429 || (s >= 500 && s <= 599)) return AttemptVerdict::kRetry;
  if (s == 410) return AttemptVerdict::kGone;
  return AttemptVerdict::kRejected;
}

namespace {

// Unix seconds of an HTTP-date in one of the RFC 9110 §5.6.7 formats (C locale names), or
// nullopt. strptime must consume the whole value.
std::optional<int64_t> parseHttpDate(const std::string& value) {
  static constexpr std::array<const char*, 3> kFormats = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850:     Sunday, 06-Nov-94 08:49:37 GMT
      "%a %b %e %H:%M:%S %Y",       // asctime:     Sun Nov  6 08:49:37 1994
  };
  for (const char* format : kFormats) {
    struct tm tm = {};
    const char* end = strptime(value.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    time_t t = timegm(&tm);
    if (t == static_cast<time_t>(-1)) continue;
    return static_cast<int64_t>(t);
  }
  return std::nullopt;
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

double defaultJitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

std::optional<milliseconds> parseRetryAfter(std::string_view value, WallTime now) {
  value = trim(value);
  if (allDigits(value)) {
    // Anything beyond a day is capped by the caller anyway; saturate instead of overflowing.
    if (value.size() > 9) return milliseconds(int64_t{999999999} * 1000);
    return milliseconds(static_cast<int64_t>(*parseUint64(value)) * 1000);
  }
  auto date = parseHttpDate(std::string(value));
  if (!date) return std::nullopt;
  auto at = WallTime(std::chrono::seconds(*date));
  if (at <= now) return milliseconds(0);
  return std::chrono::duration_cast<milliseconds>(at - now);
}

RetryPolicy::RetryPolicy(milliseconds maxDelay, JitterSource jitter)
    : maxDelay_(std::max(maxDelay, milliseconds(1))), jitter_(std::move(jitter)) {
  if (!jitter_) jitter_ = defaultJitter;
}

milliseconds RetryPolicy::backoff(uint32_t attempts) const {
  int64_t ceiling = kInitialDelay.count();
  for (uint32_t i = 1; i < attempts && ceiling < maxDelay_.count(); ++i)
    ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<int64_t>(maxDelay_.count()));
  double r = std::clamp(jitter_(), 0.0, 1.0);
  int64_t half = ceiling / 2;
  return milliseconds(half + static_cast<int64_t>(r * static_cast<double>(ceiling - half)));
}

milliseconds RetryPolicy::retryDelay(uint32_t attempts, const StatusOr<http::HttpResponse>& outcome,
                                     WallTime now) const {
  if (outcome && (outcome->status == 429 || outcome->status == 503)) {
    if (auto header = http::findHeader(outcome->headers, "Retry-After")) {
      if (auto delay = parseRetryAfter(*header, now)) {
        return std::clamp(*delay, std::min(kMinRetryAfter, maxDelay_), maxDelay_);
      }
    }
  }
  return backoff(attempts);
}

}  // namespace wps::delivery
