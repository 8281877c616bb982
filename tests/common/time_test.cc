#include "common/time.h"

#include <gtest/gtest.h>

namespace wps {
namespace {

TEST(Time, FormatRfc3339FollowsEverySecondAndGoesBack) {
  // 2021-01-01T00:00:00Z = 1609459200. The text is cached per second: a different second (later
  // or earlier) must give its own text, and sub-second parts never show.
  const WallTime t = WallTime(std::chrono::seconds(1609459200));
  EXPECT_EQ(formatRfc3339(t), "2021-01-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339(t + std::chrono::milliseconds(999)), "2021-01-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339(t + std::chrono::seconds(1)), "2021-01-01T00:00:01Z");
  EXPECT_EQ(formatRfc3339(t - std::chrono::seconds(1)), "2020-12-31T23:59:59Z");
  EXPECT_EQ(formatRfc3339(t + std::chrono::hours(24 * 59)), "2021-03-01T00:00:00Z");
  EXPECT_EQ(formatRfc3339(t), "2021-01-01T00:00:00Z");
}

}  // namespace
}  // namespace wps
