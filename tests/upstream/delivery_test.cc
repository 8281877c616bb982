// Delivery with the retry policy of upstream-cloudevents.md §7.3.
#include "upstream/delivery.h"

#include <gtest/gtest.h>

#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"

namespace wps::upstream {
namespace {

using namespace std::chrono_literals;
using http::HttpRequest;
using http::HttpResponse;
using Outcome = StatusOr<HttpResponse>;

HttpRequest sampleRequest() {
  HttpRequest r;
  r.method = "POST";
  r.url = "http://up.example.com/api/chat/message?code=1";
  r.headers = {{"ce-id", "3"}, {"ce-type", "azure.webpubsub.user.message"}, {"X-A", "b"}};
  r.body = "payload";
  return r;
}

void expectSameRequest(const HttpRequest& a, const HttpRequest& b) {
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.url, b.url);
  EXPECT_EQ(a.body, b.body);
  ASSERT_EQ(a.headers.size(), b.headers.size());
  for (size_t i = 0; i < a.headers.size(); ++i) {
    EXPECT_EQ(a.headers[i].name, b.headers[i].name);
    EXPECT_EQ(a.headers[i].value, b.headers[i].value);
  }
}

class DeliveryTest : public ::testing::Test {
 protected:
  test::ManualEventLoop loop;
  test::FakeUpstreamClient client{loop};
  Delivery delivery{loop, client, {1000ms, 3000ms, 5000ms}};
  std::vector<Outcome> outcomes;

  std::unique_ptr<RequestHandle> send(Duration budget = 100s) {
    return delivery.send(sampleRequest(), loop.now() + budget,
                         [this](Outcome o) { outcomes.push_back(std::move(o)); });
  }

  int finalStatus() {
    EXPECT_EQ(outcomes.size(), 1u);
    if (outcomes.size() != 1 || !outcomes[0]) return -1;
    return outcomes[0]->status;
  }
  StatusCode finalCode() {
    EXPECT_EQ(outcomes.size(), 1u);
    if (outcomes.empty()) return StatusCode::kOk;
    return outcomes[0].status().code();
  }
};

TEST(IsRetryableTest, Policy) {
  auto status = [](int s) { return isRetryable(Outcome(HttpResponse{s, {}, {}})); };
  auto error = [](StatusCode c) { return isRetryable(Outcome(Status(c, "x"))); };
  EXPECT_TRUE(status(408));
  EXPECT_TRUE(status(500));
  EXPECT_TRUE(status(502));
  EXPECT_TRUE(status(503));
  EXPECT_TRUE(status(504));
  EXPECT_TRUE(status(599));
  EXPECT_FALSE(status(200));
  EXPECT_FALSE(status(204));
  EXPECT_FALSE(status(301));
  EXPECT_FALSE(status(302));
  EXPECT_FALSE(status(400));
  EXPECT_FALSE(status(401));
  EXPECT_FALSE(status(404));
  EXPECT_FALSE(status(409));
  EXPECT_FALSE(status(429));
  EXPECT_TRUE(error(StatusCode::kUnavailable));
  EXPECT_FALSE(error(StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(error(StatusCode::kCancelled));
  EXPECT_FALSE(error(StatusCode::kInvalidArgument));
  EXPECT_FALSE(error(StatusCode::kResourceExhausted));
  EXPECT_FALSE(error(StatusCode::kInternal));
}

TEST_F(DeliveryTest, SuccessOnTheFirstAttempt) {
  auto h = send();
  ASSERT_EQ(client.count(), 1u);
  expectSameRequest(client.request(0), sampleRequest());
  EXPECT_EQ(client.timeout(0), 100s);
  EXPECT_TRUE(outcomes.empty());
  client.respond(0, 200, {{"X", "y"}}, "body");
  loop.runPending();
  EXPECT_EQ(finalStatus(), 200);
  EXPECT_EQ(outcomes[0]->body, "body");
  loop.advance(60s);
  EXPECT_EQ(client.count(), 1u);
  EXPECT_EQ(outcomes.size(), 1u);
}

TEST_F(DeliveryTest, RetriesAfterOneThreeAndFiveSecondsThenGivesUp) {
  auto h = send();
  ASSERT_EQ(client.count(), 1u);
  client.respond(0, 500);
  loop.runPending();
  EXPECT_TRUE(outcomes.empty());

  loop.advance(999ms);
  EXPECT_EQ(client.count(), 1u);
  loop.advance(1ms);
  ASSERT_EQ(client.count(), 2u);
  client.respond(1, 503);
  loop.runPending();

  loop.advance(2999ms);
  EXPECT_EQ(client.count(), 2u);
  loop.advance(1ms);
  ASSERT_EQ(client.count(), 3u);
  client.respond(2, 502);
  loop.runPending();

  loop.advance(4999ms);
  EXPECT_EQ(client.count(), 3u);
  loop.advance(1ms);
  ASSERT_EQ(client.count(), 4u);
  EXPECT_TRUE(outcomes.empty());
  client.respond(3, 500, {}, "last");
  loop.runPending();

  // Four attempts at most; the last outcome is final.
  EXPECT_EQ(finalStatus(), 500);
  EXPECT_EQ(outcomes[0]->body, "last");
  loop.advance(600s);
  EXPECT_EQ(client.count(), 4u);
  EXPECT_EQ(outcomes.size(), 1u);
  for (size_t i = 0; i < 4; ++i)
    expectSameRequest(client.request(i), sampleRequest());
}

TEST_F(DeliveryTest, SucceedsOnARetry) {
  auto h = send();
  client.respond(0, 408);
  loop.runPending();
  loop.advance(1s);
  ASSERT_EQ(client.count(), 2u);
  client.respond(1, 204);
  loop.runPending();
  EXPECT_EQ(finalStatus(), 204);
  loop.advance(60s);
  EXPECT_EQ(client.count(), 2u);
}

TEST_F(DeliveryTest, TransportFailuresAreRetried) {
  auto h = send();
  client.fail(0, StatusCode::kUnavailable);
  loop.runPending();
  loop.advance(1s);
  ASSERT_EQ(client.count(), 2u);
  client.fail(1, StatusCode::kUnavailable);
  loop.runPending();
  loop.advance(3s);
  ASSERT_EQ(client.count(), 3u);
  client.fail(2, StatusCode::kUnavailable);
  loop.runPending();
  loop.advance(5s);
  ASSERT_EQ(client.count(), 4u);
  client.fail(3, StatusCode::kUnavailable);
  loop.runPending();
  EXPECT_EQ(finalCode(), StatusCode::kUnavailable);
  loop.advance(60s);
  EXPECT_EQ(client.count(), 4u);
}

TEST_F(DeliveryTest, NonRetryableStatusesEndAtOnce) {
  for (int status : {429, 400, 401, 403, 404, 302}) {
    outcomes.clear();
    size_t before = client.count();
    auto h = send();
    ASSERT_EQ(client.count(), before + 1);
    client.respond(before, status);
    loop.runPending();
    EXPECT_EQ(finalStatus(), status);
    loop.advance(30s);
    EXPECT_EQ(client.count(), before + 1) << status;
  }
}

TEST_F(DeliveryTest, NonRetryableErrorsEndAtOnce) {
  for (StatusCode code : {StatusCode::kDeadlineExceeded, StatusCode::kInvalidArgument,
                          StatusCode::kResourceExhausted, StatusCode::kCancelled}) {
    outcomes.clear();
    size_t before = client.count();
    auto h = send();
    client.fail(before, code);
    loop.runPending();
    EXPECT_EQ(finalCode(), code);
    loop.advance(30s);
    EXPECT_EQ(client.count(), before + 1);
  }
}

TEST_F(DeliveryTest, PerAttemptTimeoutIsTheRemainingBudget) {
  auto h = send(100s);
  EXPECT_EQ(client.timeout(0), 100s);
  loop.advance(10s);  // the upstream took 10 s to fail
  client.respond(0, 500);
  loop.runPending();
  loop.advance(1s);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.timeout(1), 89s);
  loop.advance(2s);
  client.respond(1, 500);
  loop.runPending();
  loop.advance(3s);
  ASSERT_EQ(client.count(), 3u);
  EXPECT_EQ(client.timeout(2), 84s);
}

TEST_F(DeliveryTest, RetryThatCannotStartBeforeTheDeadlineEndsWithDeadlineExceeded) {
  auto h = send(2s);
  client.respond(0, 500);
  loop.runPending();
  loop.advance(1s);  // first retry starts at 1 s, inside the 2 s budget
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.timeout(1), 1s);
  client.respond(1, 500);
  loop.runPending();
  // The next retry would start at 4 s, after the deadline: the budget is spent now.
  EXPECT_EQ(finalCode(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(loop.pendingTimers(), 0u);
  loop.advance(60s);
  EXPECT_EQ(client.count(), 2u);
  EXPECT_EQ(outcomes.size(), 1u);
}

TEST_F(DeliveryTest, RetryExactlyAtTheDeadlineIsNotStarted) {
  auto h = send(1s);
  client.respond(0, 503);
  loop.runPending();
  EXPECT_EQ(finalCode(), StatusCode::kDeadlineExceeded);
  loop.advance(10s);
  EXPECT_EQ(client.count(), 1u);
}

TEST_F(DeliveryTest, DeadlineAlreadyPassedSendsNothing) {
  auto h = delivery.send(sampleRequest(), loop.now(),
                         [this](Outcome o) { outcomes.push_back(std::move(o)); });
  loop.runPending();
  EXPECT_EQ(client.count(), 0u);
  EXPECT_EQ(finalCode(), StatusCode::kDeadlineExceeded);
}

TEST_F(DeliveryTest, DestroyingTheHandleCancelsTheInFlightAttempt) {
  auto h = send();
  ASSERT_EQ(client.count(), 1u);
  EXPECT_FALSE(client.cancelled(0));
  h.reset();
  EXPECT_TRUE(client.cancelled(0));
  client.respond(0, 200);
  loop.runPending();
  loop.advance(60s);
  EXPECT_TRUE(outcomes.empty());
  EXPECT_EQ(client.count(), 1u);
}

TEST_F(DeliveryTest, DestroyingTheHandleDuringTheRetryDelayCancels) {
  auto h = send();
  client.respond(0, 500);
  loop.runPending();
  EXPECT_EQ(loop.pendingTimers(), 1u);
  h.reset();
  EXPECT_EQ(loop.pendingTimers(), 0u);
  loop.advance(60s);
  EXPECT_EQ(client.count(), 1u);
  EXPECT_TRUE(outcomes.empty());
}

TEST_F(DeliveryTest, DestroyingTheHandleAfterCompletionIsHarmless) {
  auto h = send();
  client.respond(0, 200);
  loop.runPending();
  h.reset();
  EXPECT_EQ(finalStatus(), 200);
}

TEST_F(DeliveryTest, HandleMayBeDestroyedFromInsideTheCallback) {
  std::unique_ptr<RequestHandle> h;
  int calls = 0;
  h = delivery.send(sampleRequest(), loop.now() + 100s, [&](Outcome o) {
    ++calls;
    EXPECT_TRUE(o.isOk());
    h.reset();
  });
  client.respond(0, 200);
  loop.runPending();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(h, nullptr);
}

TEST_F(DeliveryTest, IndependentDeliveriesDoNotInterfere) {
  auto a = send();
  auto b = send();
  ASSERT_EQ(client.count(), 2u);
  client.respond(1, 200);
  client.respond(0, 500);
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0]->status, 200);
  b.reset();
  loop.advance(1s);
  EXPECT_EQ(client.count(), 3u);  // a retries
}

TEST(DeliveryConfigTest, CustomDelaysAndNoRetries) {
  test::ManualEventLoop loop;
  test::FakeUpstreamClient client{loop};
  std::vector<Outcome> outcomes;
  Delivery custom{loop, client, {100ms}};
  auto h = custom.send(sampleRequest(), loop.now() + 100s,
                       [&](Outcome o) { outcomes.push_back(std::move(o)); });
  client.respond(0, 500);
  loop.runPending();
  loop.advance(100ms);
  ASSERT_EQ(client.count(), 2u);
  client.respond(1, 500);
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0]->status, 500);

  Delivery none{loop, client, {}};
  outcomes.clear();
  auto h2 = none.send(sampleRequest(), loop.now() + 100s,
                      [&](Outcome o) { outcomes.push_back(std::move(o)); });
  client.respond(2, 503);
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0]->status, 503);
  loop.advance(10s);
  EXPECT_EQ(client.count(), 3u);
}

}  // namespace
}  // namespace wps::upstream

namespace wps::upstream {
namespace {

// Live trace: one event per attempt, with its number, status, latency and whether a retry
// follows; the handler's query (a function key) is not shown; nothing while nobody watches.
TEST_F(DeliveryTest, EveryAttemptIsTracedWhileAViewerWatches) {
  trace::Tracer tracer;
  delivery.traceInto(&tracer);
  auto quiet = send();
  client.respond(0, 200);
  loop.runPending();  // no viewer yet: no event anywhere

  auto viewer = tracer.attach(100, [] {});
  auto h = send();
  loop.advance(250ms);
  client.respond(1, 503);
  loop.runPending();
  loop.advance(1000ms);
  ASSERT_EQ(client.count(), 3u);
  client.fail(2, StatusCode::kUnavailable);
  loop.runPending();
  auto events = viewer->queue().take().events;
  ASSERT_EQ(events.size(), 2u);
  auto field = [](const trace::Event& e, std::string_view name) {
    for (const auto& [k, v] : e.fields)
      if (k == name) return v;
    return std::string("(absent)");
  };
  EXPECT_EQ(events[0].category, trace::Category::kUpstream);
  EXPECT_EQ(events[0].what, "azure.webpubsub.user.message");
  EXPECT_EQ(field(events[0], "handler"), "http://up.example.com/api/chat/message");
  EXPECT_EQ(field(events[0], "status"), "503");
  EXPECT_EQ(field(events[0], "latency"), "250.0 ms");
  EXPECT_EQ(field(events[0], "attempt"), "1");
  EXPECT_EQ(field(events[0], "retriesLeft"), "3");
  EXPECT_EQ(field(events[0], "retry"), "scheduled");
  EXPECT_EQ(field(events[1], "attempt"), "2");
  EXPECT_EQ(field(events[1], "retriesLeft"), "2");
  EXPECT_EQ(field(events[1], "status"), "fake failure");
  EXPECT_FALSE(events[0].payload);  // trace.include_payloads is off
}

}  // namespace
}  // namespace wps::upstream
