// RetryPolicy: classification of attempt outcomes, backoff with equal jitter, Retry-After.
#include "delivery/retry_policy.h"

#include <gtest/gtest.h>

namespace wps::delivery {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

StatusOr<http::HttpResponse> answer(int status, http::HttpHeaders headers = {}) {
  return http::HttpResponse{status, std::move(headers), ""};
}

// 2026-12-07T08:00:00Z
const WallTime kNow = WallTime(std::chrono::seconds(1796630400));

TEST(ClassifyAttemptTest, SuccessIsDelivered) {
  EXPECT_EQ(classifyAttempt(answer(200)), AttemptVerdict::kDelivered);
  EXPECT_EQ(classifyAttempt(answer(204)), AttemptVerdict::kDelivered);
  EXPECT_EQ(classifyAttempt(answer(299)), AttemptVerdict::kDelivered);
}

TEST(ClassifyAttemptTest, TransientFailuresAreRetried) {
  for (int s : {408, 429, 500, 502, 503, 504, 599})
    EXPECT_EQ(classifyAttempt(answer(s)), AttemptVerdict::kRetry) << s;
  for (StatusCode c : {StatusCode::kUnavailable, StatusCode::kDeadlineExceeded,
                       StatusCode::kResourceExhausted, StatusCode::kInvalidArgument}) {
    EXPECT_EQ(classifyAttempt(Status(c, "x")), AttemptVerdict::kRetry);
  }
}

TEST(ClassifyAttemptTest, GoneIsDroppedAsGone) {
  EXPECT_EQ(classifyAttempt(answer(410)), AttemptVerdict::kGone);
}

TEST(ClassifyAttemptTest, OtherAnswersAreRejected) {
  for (int s : {400, 401, 403, 404, 405, 409, 413, 422, 451, 499, 301, 302, 100})
    EXPECT_EQ(classifyAttempt(answer(s)), AttemptVerdict::kRejected) << s;
}

TEST(RetryPolicyTest, BackoffDoublesFromOneSecondUpToTheCap) {
  RetryPolicy top(60s, [] { return 1.0; });
  EXPECT_EQ(top.backoff(1), 1000ms);
  EXPECT_EQ(top.backoff(2), 2000ms);
  EXPECT_EQ(top.backoff(3), 4000ms);
  EXPECT_EQ(top.backoff(6), 32000ms);
  EXPECT_EQ(top.backoff(7), 60000ms);
  EXPECT_EQ(top.backoff(1000), 60000ms);  // no overflow for many attempts
}

TEST(RetryPolicyTest, EqualJitterStaysWithinHalfTheCeilingAndTheCeiling) {
  RetryPolicy bottom(60s, [] { return 0.0; });
  EXPECT_EQ(bottom.backoff(1), 500ms);
  EXPECT_EQ(bottom.backoff(3), 2000ms);
  EXPECT_EQ(bottom.backoff(20), 30000ms);
  RetryPolicy middle(60s, [] { return 0.5; });
  EXPECT_EQ(middle.backoff(2), 1500ms);
  RetryPolicy real(10s);  // the default jitter source
  for (uint32_t attempts = 1; attempts < 10; ++attempts) {
    milliseconds ceiling = std::min<milliseconds>(1000ms * (1 << (attempts - 1)), 10000ms);
    for (int i = 0; i < 50; ++i) {
      milliseconds d = real.backoff(attempts);
      EXPECT_GE(d, ceiling / 2);
      EXPECT_LE(d, ceiling);
    }
  }
}

TEST(RetryPolicyTest, OutOfRangeJitterIsClamped) {
  EXPECT_EQ(RetryPolicy(60s, [] { return 7.0; }).backoff(1), 1000ms);
  EXPECT_EQ(RetryPolicy(60s, [] { return -1.0; }).backoff(1), 500ms);
}

TEST(RetryPolicyTest, CapBelowOneSecondCapsTheFirstRetry) {
  EXPECT_EQ(RetryPolicy(400ms, [] { return 1.0; }).backoff(1), 400ms);
}

TEST(RetryAfterTest, DeltaSeconds) {
  EXPECT_EQ(parseRetryAfter("3", kNow), 3000ms);
  EXPECT_EQ(parseRetryAfter(" 120 ", kNow), 120000ms);
  EXPECT_EQ(parseRetryAfter("0", kNow), 0ms);
  EXPECT_EQ(parseRetryAfter("99999999999999999999", kNow), milliseconds(999999999000));
}

TEST(RetryAfterTest, HttpDateInEveryFormat) {
  EXPECT_EQ(parseRetryAfter("Mon, 07 Dec 2026 08:00:05 GMT", kNow), 5000ms);
  EXPECT_EQ(parseRetryAfter("Monday, 07-Dec-26 08:01:00 GMT", kNow), 60000ms);
  EXPECT_EQ(parseRetryAfter("Mon Dec  7 08:00:10 2026", kNow), 10000ms);
  EXPECT_EQ(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kNow), 0ms);  // in the past
}

TEST(RetryAfterTest, BadValuesAreIgnored) {
  for (std::string_view bad :
       {"", " ", "-1", "+3", "3.5", "3s", "abc", "0x10", "Mon, 07 Dec 2026 08:00:05",
        "Mon, 07 Dec 2026 08:00:05 GMT trailing", "Mon, 32 Dec 2026 08:00:05 GMT",
        "Mon, 07 Foo 2026 08:00:05 GMT", "2026-12-07T08:00:05Z"}) {
    EXPECT_EQ(parseRetryAfter(bad, kNow), std::nullopt) << bad;
  }
}

TEST(RetryAfterTest, HonouredOn429And503CappedAndFloored) {
  RetryPolicy p(60s, [] { return 0.0; });
  EXPECT_EQ(p.retryDelay(1, answer(429, {{"Retry-After", "3"}}), kNow), 3000ms);
  EXPECT_EQ(p.retryDelay(5, answer(503, {{"retry-after", "7"}}), kNow), 7000ms);
  EXPECT_EQ(p.retryDelay(1, answer(429, {{"Retry-After", "3600"}}), kNow), 60000ms);
  EXPECT_EQ(p.retryDelay(1, answer(429, {{"Retry-After", "0"}}), kNow),
            RetryPolicy::kMinRetryAfter);
  EXPECT_EQ(p.retryDelay(1, answer(503, {{"Retry-After", "Mon, 07 Dec 2026 08:00:04 GMT"}}), kNow),
            4000ms);
}

TEST(RetryAfterTest, IgnoredOnOtherStatusesAndWhenInvalid) {
  RetryPolicy p(60s, [] { return 0.0; });
  // Normal backoff (attempt 3: ceiling 4 s, jitter 0 → 2 s).
  EXPECT_EQ(p.retryDelay(3, answer(500, {{"Retry-After", "30"}}), kNow), 2000ms);
  EXPECT_EQ(p.retryDelay(3, answer(502, {{"Retry-After", "30"}}), kNow), 2000ms);
  EXPECT_EQ(p.retryDelay(3, answer(429, {{"Retry-After", "soon"}}), kNow), 2000ms);
  EXPECT_EQ(p.retryDelay(3, answer(503, {{"Retry-After", "-5"}}), kNow), 2000ms);
  EXPECT_EQ(p.retryDelay(3, answer(429), kNow), 2000ms);
  EXPECT_EQ(p.retryDelay(3, Status(StatusCode::kUnavailable, "down"), kNow), 2000ms);
}

}  // namespace
}  // namespace wps::delivery
