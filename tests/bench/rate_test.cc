#include "bench/rate.h"

#include <gtest/gtest.h>

namespace wps::bench {
namespace {

using Clock = FixedRateScheduler::Clock;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kStart{seconds(1000)};

TEST(FixedRateScheduler, DueCountFollowsRateAndElapsedTime) {
  FixedRateScheduler s(1000, kStart, 1000000);
  EXPECT_EQ(s.dueBy(kStart - milliseconds(5)), 0u);
  EXPECT_EQ(s.dueBy(kStart), 0u);
  EXPECT_EQ(s.dueBy(kStart + microseconds(999)), 0u);
  EXPECT_EQ(s.dueBy(kStart + milliseconds(1)), 1u);
  EXPECT_EQ(s.dueBy(kStart + milliseconds(1500)), 1500u);
  EXPECT_EQ(s.dueBy(kStart + seconds(10)), 10000u);
  FixedRateScheduler fractional(2.5, kStart, 100);
  EXPECT_EQ(fractional.dueBy(kStart + seconds(4)), 10u);
  EXPECT_EQ(fractional.dueBy(kStart + milliseconds(399)), 0u);
  EXPECT_EQ(fractional.dueBy(kStart + milliseconds(400)), 1u);
}

TEST(FixedRateScheduler, PollingIssuesTheExpectedNumberOfSends) {
  // Polled every 1 ms for 2 s at 5,000/s: exactly 10,000 sends, 5 per poll.
  FixedRateScheduler s(5000, kStart, 64);
  uint64_t total = 0;
  for (int ms = 1; ms <= 2000; ++ms) {
    const uint64_t n = s.take(kStart + milliseconds(ms));
    EXPECT_EQ(n, 5u) << ms;
    total += n;
  }
  EXPECT_EQ(total, 10000u);
  EXPECT_EQ(s.issued(), 10000u);
  EXPECT_EQ(s.backlog(kStart + seconds(2)), 0u);
}

TEST(FixedRateScheduler, IrregularPollingStillIssuesExactly) {
  FixedRateScheduler s(3333, kStart, 1000000);
  uint64_t total = 0;
  int64_t t = 0;
  for (int i = 0; i < 5000; ++i) {
    t += 37 + (i * 7919) % 1500;  // 37..1536 µs between polls
    total += s.take(kStart + microseconds(t));
  }
  EXPECT_EQ(total, s.dueBy(kStart + microseconds(t)));
}

TEST(FixedRateScheduler, CatchesUpAfterAStallWithoutBurstsBeyondTheBound) {
  const uint64_t maxBurst = 50;
  FixedRateScheduler s(10000, kStart, maxBurst);  // 10 per ms
  // A 100 ms stall: 1,000 sends are due at once.
  Clock::time_point now = kStart + milliseconds(100);
  EXPECT_EQ(s.backlog(now), 1000u);
  uint64_t polls = 0;
  for (;;) {
    const uint64_t n = s.take(now);
    EXPECT_LE(n, maxBurst);
    EXPECT_GT(n, 0u);
    ++polls;
    if (s.backlog(now) == 0) break;
    now += microseconds(500);  // polling faster than the rate: the backlog shrinks
    ASSERT_LT(polls, 1000u);
  }
  // Nothing was dropped: everything due by now has been issued, over several bounded polls.
  EXPECT_EQ(s.issued(), s.dueBy(now));
  EXPECT_GE(polls, 1000u / maxBurst);
  // Once caught up, it is back to the plain rate.
  EXPECT_EQ(s.take(now + milliseconds(1)), 10u);
}

TEST(FixedRateScheduler, IntendedTimesAreEvenlySpacedAndConsistent) {
  FixedRateScheduler s(4000, kStart, 10);
  EXPECT_EQ(s.intendedTime(0), kStart + microseconds(250));
  EXPECT_EQ(s.intendedTime(3), kStart + microseconds(1000));
  EXPECT_EQ(s.nextDue(), kStart + microseconds(250));
  for (uint64_t k = 0; k < 10000; k += 37) {
    // Send k is due exactly at its intended time, not before.
    EXPECT_GE(s.dueBy(s.intendedTime(k)), k + 1) << k;
    EXPECT_LE(s.dueBy(s.intendedTime(k) - microseconds(1)), k) << k;
  }
  s.take(kStart + milliseconds(1));
  EXPECT_EQ(s.issued(), 4u);
  EXPECT_EQ(s.nextDue(), kStart + microseconds(1250));
}

TEST(FixedRateScheduler, LongRunsStayExact) {
  FixedRateScheduler s(1234567, kStart, UINT64_MAX);
  EXPECT_EQ(s.dueBy(kStart + seconds(3600)), 1234567ull * 3600);
}

}  // namespace
}  // namespace wps::bench
