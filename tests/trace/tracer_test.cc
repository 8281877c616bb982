#include "trace/tracer.h"

#include <gtest/gtest.h>

#include <atomic>

namespace wps::trace {
namespace {

Event named(std::string what) {
  Event e;
  e.what = std::move(what);
  return e;
}

TEST(TracerTest, InactiveWithoutViewersAndPublishIsANoOp) {
  Tracer tracer;
  EXPECT_FALSE(tracer.active());
  tracer.publish(named("lost"));  // nobody to receive it; must not crash or queue
  int wakes = 0;
  auto sub = tracer.attach(10, [&] { ++wakes; });
  EXPECT_TRUE(sub->queue().take().events.empty());
  EXPECT_EQ(wakes, 0);
}

TEST(TracerTest, DeliversToEveryViewerAndWakesOncePerEmptyQueue) {
  Tracer tracer;
  int wakesA = 0, wakesB = 0;
  auto a = tracer.attach(10, [&] { ++wakesA; });
  auto b = tracer.attach(10, [&] { ++wakesB; });
  EXPECT_TRUE(tracer.active());
  EXPECT_EQ(tracer.viewerCount(), 2u);
  tracer.publish(named("one"));
  tracer.publish(named("two"));
  EXPECT_EQ(wakesA, 1);
  EXPECT_EQ(wakesB, 1);
  auto batchA = a->queue().take();
  auto batchB = b->queue().take();
  ASSERT_EQ(batchA.events.size(), 2u);
  ASSERT_EQ(batchB.events.size(), 2u);
  EXPECT_EQ(batchB.events[1].what, "two");
  EXPECT_GT(batchA.events[0].unixMillis, 0);  // stamped by publish
}

TEST(TracerTest, DetachesWhenTheSubscriptionEnds) {
  Tracer tracer;
  auto a = tracer.attach(10, [] {});
  {
    auto b = tracer.attach(10, [] {});
    EXPECT_EQ(tracer.viewerCount(), 2u);
  }
  EXPECT_EQ(tracer.viewerCount(), 1u);
  a.reset();
  EXPECT_FALSE(tracer.active());
}

TEST(TracerTest, SlowViewerGetsSkippedCountNotUnboundedMemory) {
  Tracer tracer;
  auto slow = tracer.attach(5, [] {});
  for (int i = 0; i < 50; ++i)
    tracer.publish(named("e"));
  auto batch = slow->queue().take();
  EXPECT_EQ(batch.events.size(), 5u);
  EXPECT_EQ(batch.skipped, 45u);
}

TEST(TracerTest, IncludePayloadsIsTheSetting) {
  EXPECT_FALSE(Tracer().includePayloads());
  EXPECT_TRUE(Tracer(true).includePayloads());
}

}  // namespace
}  // namespace wps::trace

namespace wps::trace {
namespace {

TEST(TracerTest, SubscriptionMayOutliveTheTracer) {
  auto tracer = std::make_unique<Tracer>();
  auto sub = tracer->attach(4, [] {});
  tracer->publish(Event{});
  tracer.reset();
  EXPECT_EQ(sub->queue().take().events.size(), 1u);
  sub.reset();  // detaches from the shared registry without touching the tracer
}

}  // namespace
}  // namespace wps::trace
