#include "trace/viewer_queue.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace wps::trace {
namespace {

Event named(std::string what) {
  Event e;
  e.what = std::move(what);
  return e;
}

TEST(ViewerQueueTest, KeepsOrderAndReportsFirstPushAsWake) {
  ViewerQueue q(10);
  EXPECT_TRUE(q.push(named("a")));
  EXPECT_FALSE(q.push(named("b")));
  auto batch = q.take();
  EXPECT_EQ(batch.skipped, 0u);
  ASSERT_EQ(batch.events.size(), 2u);
  EXPECT_EQ(batch.events[0].what, "a");
  EXPECT_EQ(batch.events[1].what, "b");
  EXPECT_TRUE(q.push(named("c")));  // empty again after take(): wake again
}

TEST(ViewerQueueTest, OverflowCountsSkippedInsteadOfGrowing) {
  ViewerQueue q(3);
  for (int i = 0; i < 1000; ++i)
    q.push(named(std::to_string(i)));
  auto batch = q.take();
  ASSERT_EQ(batch.events.size(), 3u);
  EXPECT_EQ(batch.events[2].what, "2");
  EXPECT_EQ(batch.skipped, 997u);
  auto next = q.take();
  EXPECT_EQ(next.skipped, 0u);
  EXPECT_TRUE(next.events.empty());
}

TEST(ViewerQueueTest, ZeroCapacityStillHoldsOne) {
  ViewerQueue q(0);
  q.push(named("a"));
  q.push(named("b"));
  auto batch = q.take();
  EXPECT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.skipped, 1u);
}

TEST(ViewerQueueTest, ConcurrentProducersNeverExceedCapacityAndLoseNothingUncounted) {
  ViewerQueue q(100);
  constexpr int kThreads = 4, kEach = 5000;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&q] {
      for (int i = 0; i < kEach; ++i)
        q.push(named("x"));
    });
  }
  size_t seen = 0, skipped = 0;
  for (int i = 0; i < 200; ++i) {
    auto b = q.take();
    EXPECT_LE(b.events.size(), 100u);
    seen += b.events.size();
    skipped += b.skipped;
  }
  for (auto& p : producers)
    p.join();
  auto last = q.take();
  seen += last.events.size();
  skipped += last.skipped;
  EXPECT_EQ(seen + skipped, size_t{kThreads} * kEach);
}

}  // namespace
}  // namespace wps::trace
