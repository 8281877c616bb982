// The live-trace viewer (server/trace_viewer.h): greeting, events as Server-Sent Events, wake-up
// by posting to its loop, the skipped marker of a slow viewer, and detaching on cancel.
#include "server/trace_viewer.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "fakes/manual_event_loop.h"

namespace wps::server {
namespace {

trace::Event userEvent(std::string user) {
  trace::Event e;
  e.category = trace::Category::kConnectivity;
  e.what = "opened";
  e.userId = std::move(user);
  return e;
}

class TraceViewerTest : public ::testing::Test {
 protected:
  // Asks for the next chunk; the result lands in `chunk` (now or once the loop ran).
  void next() {
    chunk.reset();
    viewer->next([this](std::string c) { chunk = std::move(c); });
  }

  trace::Tracer tracer;
  test::ManualEventLoop loop;
  std::shared_ptr<TraceViewer> viewer = TraceViewer::attach(tracer, loop, 3);
  std::optional<std::string> chunk;
};

TEST_F(TraceViewerTest, GreetsThenWaitsThenDeliversAfterAPostedWake) {
  EXPECT_TRUE(tracer.active());
  next();
  ASSERT_TRUE(chunk);
  EXPECT_NE(chunk->find("data: {\"category\":\"trace\",\"event\":\"connected\"}\n\n"),
            std::string::npos);
  next();
  EXPECT_FALSE(chunk);  // nothing queued: waits
  tracer.publish(userEvent("ann"));
  EXPECT_FALSE(chunk);  // delivered on the viewer's loop, not on the producer's thread
  EXPECT_EQ(loop.runPending(), 1u);
  ASSERT_TRUE(chunk);
  EXPECT_EQ(chunk->rfind("data: {", 0), 0u);
  EXPECT_NE(chunk->find("\"userId\":\"ann\""), std::string::npos);
}

TEST_F(TraceViewerTest, SlowViewerGetsSkippedMarkerThenTheEventsThatFit) {
  next();  // greeting
  for (int i = 0; i < 10; ++i)
    tracer.publish(userEvent("u" + std::to_string(i)));
  next();
  ASSERT_TRUE(chunk);
  EXPECT_EQ(chunk->rfind("data: {\"category\":\"trace\",\"event\":\"skipped\",\"count\":7}\n\n", 0),
            0u);
  EXPECT_NE(chunk->find("\"userId\":\"u2\""), std::string::npos);
  EXPECT_EQ(chunk->find("\"userId\":\"u3\""), std::string::npos);
}

TEST_F(TraceViewerTest, CancelEndsAPendingRequestAndDetaches) {
  next();  // greeting
  next();
  EXPECT_FALSE(chunk);
  viewer->cancel();
  ASSERT_TRUE(chunk);
  EXPECT_TRUE(chunk->empty());
  EXPECT_FALSE(tracer.active());
  next();
  ASSERT_TRUE(chunk);
  EXPECT_TRUE(chunk->empty());
}

TEST_F(TraceViewerTest, WakeAfterTheViewerIsGoneDoesNothing) {
  next();
  next();
  tracer.publish(userEvent("ann"));
  viewer.reset();  // the session dropped it; the posted wake finds nothing
  EXPECT_EQ(loop.runPending(), 1u);
  EXPECT_FALSE(tracer.active());
}

}  // namespace
}  // namespace wps::server
