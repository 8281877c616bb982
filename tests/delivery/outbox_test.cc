// Outbox: group commit, per-connection order, no head-of-line blocking, byte-identical retries,
// backoff and Retry-After, drops (gone, rejected, expired, overflow), recovery of orphaned
// connections, stop(), accounting and metrics. Manual loop, fake upstream client, fake store.
#include "delivery/outbox.h"

#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "cloudevents/signature.h"
#include "delivery/memory_store.h"
#include "delivery/sqlite_store.h"
#include "fakes/fake_outbox_store.h"
#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"

namespace wps::delivery {
namespace {

using namespace std::chrono_literals;
using cloudevents::EventKind;
using http::findHeader;

config::ServerSettings makeSettings() {
  config::ServerSettings s;
  s.accessKeys = {"7aab239577fd4f24bc919802fb629f5f"};
  config::HubSettings chat;
  auto t = cloudevents::UrlTemplate::parse("http://up.example.com/api/{hub}/{event}?code=x");
  EXPECT_TRUE(t.isOk());
  chat.eventHandlers.push_back(
      config::EventHandlerSettings{*t, {}, {"connected", "disconnected"}, {}, {}});
  s.hubs["chat"] = std::move(chat);
  s.delivery.maxRetryDelay = 60s;
  return s;
}

PendingEvent event(std::string connectionId, EventKind kind, std::string ceId = "1") {
  PendingEvent e;
  e.kind = kind;
  e.hub = "chat";
  e.connectionId = std::move(connectionId);
  e.userId = "user1";
  e.subprotocol = "json.webpubsub.azure.v1";
  e.ceId = std::move(ceId);
  e.timeMs = 1800000000123;
  e.contentType = "application/json";
  e.body = kind == EventKind::kDisconnected ? R"({"reason":"bye"})" : "{}";
  e.extraHeaders = {{"X-WebPubSub-Metadata-Trace", "t1"}};
  return e;
}

// Wraps the store under test: counts apply() calls and makes them fail on demand.
class ObservedStore : public OutboxStore {
 public:
  explicit ObservedStore(std::unique_ptr<OutboxStore> inner) : inner_(std::move(inner)) {}

  bool failApply = false;
  size_t appliedBatches = 0;  // successful apply() calls

  Status apply(Batch& b) override {
    if (failApply) return Status(StatusCode::kUnavailable, "fake store failure");
    ++appliedBatches;
    return inner_->apply(b);
  }
  StatusOr<std::vector<PendingEvent>> takeDue(int64_t nowMs, size_t limit) override {
    return inner_->takeDue(nowMs, limit);
  }
  std::optional<int64_t> nextDueMs() override { return inner_->nextDueMs(); }
  StoreStats stats() const override { return inner_->stats(); }
  StatusOr<std::vector<EventRef>> dropExpired(int64_t beforeMs, int64_t nowMs,
                                              size_t limit) override {
    return inner_->dropExpired(beforeMs, nowMs, limit);
  }
  StatusOr<std::vector<EventRef>> dropOverflow(uint64_t maxEvents, uint64_t maxBytes,
                                               int64_t nowMs) override {
    return inner_->dropOverflow(maxEvents, maxBytes, nowMs);
  }
  StatusOr<std::vector<ConnectionRecord>> orphanedConnections() override {
    return inner_->orphanedConnections();
  }
  bool durable() const override { return inner_->durable(); }

 private:
  std::unique_ptr<OutboxStore> inner_;
};

// Every test runs over the fake store (which shows its events and records) and the MemoryStore.
class OutboxTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::unique_ptr<OutboxStore> inner;
    if (GetParam() == "fake") {
      auto f = std::make_unique<test::FakeOutboxStore>();
      fake = f.get();
      inner = std::move(f);
    } else {
      inner = std::make_unique<MemoryStore>();
    }
    auto s = std::make_unique<ObservedStore>(std::move(inner));
    store = s.get();
    ownedStore = std::move(s);
  }

  void TearDown() override {
    if (outbox) outbox->stop();
  }

  // Makes the outbox (with the store of SetUp) and starts it.
  void start() {
    outbox =
        std::make_unique<Outbox>(settings, loop, client, abuse, std::move(ownedStore), metrics);
    ASSERT_TRUE(outbox->start().isOk());
    pump();
  }

  // Runs posted tasks and allows every abuse-protection probe, until nothing new happens.
  void pump() {
    for (int i = 0; i < 10; ++i) {
      size_t before = client.count();
      loop.runPending();
      for (size_t r = 0; r < client.count(); ++r) {
        if (client.request(r).method == "OPTIONS" && answered.insert(r).second) {
          client.respond(r, 200, {{"WebHook-Allowed-Origin", "*"}});
        }
      }
      loop.runPending();
      if (client.count() == before) break;
    }
  }

  // Indexes of the event POSTs not answered yet, in send order.
  std::vector<size_t> open() {
    std::vector<size_t> out;
    for (size_t r = 0; r < client.count(); ++r) {
      if (client.request(r).method == "POST" && !answered.count(r) && !client.cancelled(r)) {
        out.push_back(r);
      }
    }
    return out;
  }

  // Answers POST `r` and lets the outbox react.
  void answer(size_t r, int status, http::HttpHeaders headers = {}) {
    answered.insert(r);
    client.respond(r, status, std::move(headers));
    pump();
  }
  void failWith(size_t r, StatusCode code) {
    answered.insert(r);
    client.fail(r, code);
    pump();
  }

  // Advances time in 50 ms steps until a new POST is sent (at most `limit`); returns the time
  // waited, or nullopt.
  std::optional<Duration> waitForPost(Duration limit) {
    TimePoint begin = loop.now();
    while (loop.now() - begin < limit) {
      if (!open().empty()) return loop.now() - begin;
      loop.advance(50ms);
      pump();
    }
    if (!open().empty()) return loop.now() - begin;
    return std::nullopt;
  }

  std::string connectionOf(size_t r) {
    return std::string(findHeader(client.request(r).headers, "ce-connectionId").value_or(""));
  }
  std::string typeOf(size_t r) {
    return std::string(findHeader(client.request(r).headers, "ce-type").value_or(""));
  }

  metrics::Totals totals() { return metrics.totals(); }

  test::ManualEventLoop loop;
  test::FakeUpstreamClient client{loop};
  upstream::AbuseProtection abuse{10s};
  config::ServerSettings settings = makeSettings();
  metrics::Metrics metrics;
  ObservedStore* store = nullptr;
  test::FakeOutboxStore* fake = nullptr;  // null over the MemoryStore
  std::unique_ptr<ObservedStore> ownedStore;
  std::unique_ptr<Outbox> outbox;
  std::set<size_t> answered;
};

TEST_P(OutboxTest, GroupCommitAppliesOneBatchPerTurn) {
  start();
  size_t before = store->appliedBatches;
  for (int i = 0; i < 50; ++i)
    outbox->accept(event("c" + std::to_string(i), EventKind::kConnected));
  EXPECT_EQ(outbox->pendingEvents(), 50u);
  loop.runPending();
  EXPECT_EQ(store->appliedBatches, before + 1);
  EXPECT_EQ(store->stats().events, 50u);
}

TEST_P(OutboxTest, DeliversInPerConnectionOrderAndDisconnectedLast) {
  start();
  outbox->accept(event("c1", EventKind::kConnected, "1"));
  outbox->accept(event("c1", EventKind::kDisconnected, "2"));
  pump();
  ASSERT_EQ(open().size(), 1u);  // the disconnected waits for its connected
  size_t first = open()[0];
  EXPECT_EQ(typeOf(first), "azure.webpubsub.sys.connected");
  loop.advance(5s);
  pump();
  EXPECT_EQ(open().size(), 1u);
  answer(first, 200);
  ASSERT_EQ(open().size(), 1u);
  size_t second = open()[0];
  EXPECT_EQ(typeOf(second), "azure.webpubsub.sys.disconnected");
  EXPECT_EQ(client.request(second).body, R"({"reason":"bye"})");
  answer(second, 204);
  EXPECT_EQ(outbox->pendingEvents(), 0u);
  EXPECT_EQ(store->stats().events, 0u);
  EXPECT_EQ(totals().deliveryAttemptsOk, 2u);
}

TEST_P(OutboxTest, OneFailingConnectionDoesNotBlockAnother) {
  settings.hubs["other"] = settings.hubs["chat"];
  start();
  PendingEvent stuck = event("c1", EventKind::kConnected);
  outbox->accept(stuck);
  outbox->accept(event("c1", EventKind::kDisconnected));
  pump();
  ASSERT_EQ(open().size(), 1u);
  answer(open()[0], 503);
  PendingEvent other = event("c2", EventKind::kConnected);
  other.hub = "other";
  outbox->accept(other);
  other.kind = EventKind::kDisconnected;
  outbox->accept(other);
  pump();
  ASSERT_EQ(open().size(), 1u);
  EXPECT_EQ(connectionOf(open()[0]), "c2");
  answer(open()[0], 200);
  ASSERT_EQ(open().size(), 1u);  // c2's disconnected, while c1 still waits for its retry
  EXPECT_EQ(connectionOf(open()[0]), "c2");
  EXPECT_EQ(typeOf(open()[0]), "azure.webpubsub.sys.disconnected");
  answer(open()[0], 200);
  EXPECT_EQ(outbox->pendingEvents(), 2u);  // c1's two events
}

TEST_P(OutboxTest, RetriesAreByteIdenticalAndTheSignatureFollowsTheKeys) {
  start();
  outbox->accept(event("c1", EventKind::kConnected, "42"));
  pump();
  ASSERT_EQ(open().size(), 1u);
  size_t first = open()[0];
  http::HttpRequest a = client.request(first);
  failWith(first, StatusCode::kUnavailable);
  settings.accessKeys = {"rotated-key-0123456789abcdef012345"};
  ASSERT_TRUE(waitForPost(2s));
  http::HttpRequest b = client.request(open()[0]);
  EXPECT_EQ(a.url, b.url);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(findHeader(b.headers, "ce-id"), "42");
  EXPECT_EQ(findHeader(a.headers, "ce-time"), findHeader(b.headers, "ce-time"));
  EXPECT_EQ(findHeader(b.headers, "ce-signature"),
            cloudevents::computeSignature(settings.accessKeys, "c1"));
  EXPECT_NE(findHeader(a.headers, "ce-signature"), findHeader(b.headers, "ce-signature"));
  auto withoutSignature = [](const http::HttpHeaders& h) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& x : h) {
      if (x.name != "ce-signature") out.emplace_back(x.name, x.value);
    }
    return out;
  };
  EXPECT_EQ(withoutSignature(a.headers), withoutSignature(b.headers));
  EXPECT_EQ(findHeader(b.headers, "X-WebPubSub-Metadata-Trace"), "t1");
}

TEST_P(OutboxTest, BackoffDoublesUpToTheCapWithinTheJitterBounds) {
  settings.delivery.maxRetryDelay = 8s;
  start();
  outbox->accept(event("c1", EventKind::kConnected));
  pump();
  for (int64_t ceilingMs : {1000, 2000, 4000, 8000, 8000, 8000}) {
    ASSERT_EQ(open().size(), 1u);
    answer(open()[0], 500);
    auto waited = waitForPost(20s);
    ASSERT_TRUE(waited);
    auto ms = std::chrono::duration_cast<milliseconds>(*waited).count();
    EXPECT_GE(ms, ceilingMs / 2) << ceilingMs;
    EXPECT_LE(ms, ceilingMs + 50) << ceilingMs;
  }
  EXPECT_EQ(totals().deliveryAttemptsRetry, 6u);
  if (fake) {
    EXPECT_EQ(fake->events().at(0).attempts, 6u);
  }
}

TEST_P(OutboxTest, RetryAfterSecondsIsHonouredOn429) {
  start();
  outbox->accept(event("c1", EventKind::kConnected));
  pump();
  answer(open()[0], 429, {{"Retry-After", "3"}});
  auto waited = waitForPost(10s);
  ASSERT_TRUE(waited);
  EXPECT_GE(*waited, 3s);
  EXPECT_LE(*waited, 3050ms);  // the wake-up timer, not the next tick
}

TEST_P(OutboxTest, RetryAfterHttpDateIsHonouredOn503) {
  start();
  outbox->accept(event("c1", EventKind::kConnected));
  pump();
  time_t at = static_cast<time_t>(unixSeconds(loop.wallNow()) + 5);
  struct tm tm = {};
  gmtime_r(&at, &tm);
  char date[64];
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  answer(open()[0], 503, {{"Retry-After", date}});
  auto waited = waitForPost(20s);
  ASSERT_TRUE(waited);
  EXPECT_GE(*waited, 4s);  // the date has seconds precision
  EXPECT_LE(*waited, 5050ms);
}

TEST_P(OutboxTest, GoneDropsTheEventAndTheNextOneFollows) {
  start();
  outbox->accept(event("c1", EventKind::kConnected));
  outbox->accept(event("c1", EventKind::kDisconnected));
  pump();
  answer(open()[0], 410);
  EXPECT_EQ(totals().deliveryDroppedGone, 1u);
  EXPECT_EQ(totals().deliveryAttemptsDropped, 1u);
  EXPECT_EQ(outbox->pendingEvents(), 1u);
  ASSERT_EQ(open().size(), 1u);
  EXPECT_EQ(typeOf(open()[0]), "azure.webpubsub.sys.disconnected");
}

TEST_P(OutboxTest, OtherClientErrorsDropAsRejected) {
  start();
  outbox->accept(event("c1", EventKind::kConnected));
  outbox->accept(event("c2", EventKind::kConnected));
  pump();
  ASSERT_EQ(open().size(), 2u);
  auto both = open();
  answer(both[0], 400);
  answer(both[1], 408);  // retried, not dropped
  EXPECT_EQ(totals().deliveryDroppedRejected, 1u);
  EXPECT_EQ(totals().deliveryDroppedGone, 0u);
  EXPECT_EQ(totals().deliveryAttemptsRetry, 1u);
  EXPECT_EQ(outbox->pendingEvents(), 1u);
  EXPECT_EQ(store->stats().events, 1u);
}

TEST_P(OutboxTest, EventsWithoutAHandlerAnyMoreAreRejected) {
  start();
  settings.hubs["chat"].eventHandlers[0].systemEvents = {"disconnected"};
  outbox->accept(event("c1", EventKind::kConnected));
  pump();
  EXPECT_TRUE(open().empty());
  pump();
  EXPECT_EQ(totals().deliveryDroppedRejected, 1u);
  EXPECT_EQ(outbox->pendingEvents(), 0u);
  EXPECT_EQ(store->stats().events, 0u);
}

TEST_P(OutboxTest, EventsOlderThanTheRetentionAreDroppedAsExpired) {
  settings.delivery.retention = 10s;
  start();
  PendingEvent e = event("c1", EventKind::kConnected);
  e.timeMs = std::chrono::duration_cast<milliseconds>(loop.wallNow().time_since_epoch()).count();
  outbox->accept(e);
  pump();
  for (int i = 0; i < 30 && outbox->pendingEvents() > 0; ++i) {
    for (size_t r : open())
      answer(r, 502);
    loop.advance(500ms);
    pump();
  }
  EXPECT_EQ(outbox->pendingEvents(), 0u);
  EXPECT_EQ(totals().deliveryDroppedExpired, 1u);
  EXPECT_EQ(store->stats().events, 0u);
  EXPECT_GE(loop.wallNow() - WallTime(milliseconds(e.timeMs)), 10s);
}

TEST_P(OutboxTest, OverflowDropsTheOldestEventsNotInFlight) {
  settings.delivery.maxPendingEvents = 3;
  start();
  for (int i = 0; i < 4; ++i)
    outbox->accept(event("c1", EventKind::kConnected, std::to_string(i + 1)));
  pump();  // the oldest goes first, before any attempt
  EXPECT_EQ(totals().deliveryDroppedOverflow, 1u);
  ASSERT_EQ(open().size(), 1u);  // "2" is in flight now
  for (int i = 4; i < 6; ++i)
    outbox->accept(event("c1", EventKind::kConnected, std::to_string(i + 1)));
  pump();
  EXPECT_EQ(totals().deliveryDroppedOverflow, 3u);
  EXPECT_EQ(outbox->pendingEvents(), 3u);
  if (!fake) return;
  auto left = fake->events();
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0].ceId, "2");  // leased: not dropped
  EXPECT_EQ(left[1].ceId, "5");
  EXPECT_EQ(left[2].ceId, "6");
}

TEST_P(OutboxTest, ValidationFailureIsRetried) {
  start();
  outbox->accept(event("c1", EventKind::kConnected));
  loop.runPending();
  ASSERT_EQ(client.count(), 1u);
  ASSERT_EQ(client.request(0).method, "OPTIONS");
  answered.insert(0);
  client.respond(0, 403);
  loop.runPending();
  EXPECT_EQ(totals().deliveryAttemptsRetry, 1u);
  EXPECT_EQ(outbox->pendingEvents(), 1u);
  auto waited = waitForPost(60s);  // pump() allows the re-probe
  ASSERT_TRUE(waited);
  answer(open()[0], 200);
  EXPECT_EQ(outbox->pendingEvents(), 0u);
  EXPECT_EQ(totals().deliveryAttemptsOk, 1u);
}

TEST_P(OutboxTest, SetCookieOfA2xxGoesToTheHook) {
  start();
  std::vector<std::string> got;
  std::string gotUrl;
  int calls = 0;
  outbox->accept(event("c1", EventKind::kConnected),
                 [&](std::vector<std::string> cookies, std::string url) {
                   ++calls;
                   got = std::move(cookies);
                   gotUrl = std::move(url);
                 });
  pump();
  answer(open()[0], 500, {{"Set-Cookie", "ignored=1"}});
  ASSERT_TRUE(waitForPost(2s));
  answer(open()[0], 200, {{"Set-Cookie", "a=b; Path=/"}, {"Set-Cookie", "c=d"}});
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got, (std::vector<std::string>{"a=b; Path=/", "c=d"}));
  EXPECT_EQ(gotUrl, "http://up.example.com/api/chat/connected?code=x");
}

TEST_P(OutboxTest, AcceptedDisconnectedReleasesTheHooksOfItsConnection) {
  start();
  auto held = std::make_shared<int>(1);  // stands for what a session's hook keeps alive
  std::weak_ptr<int> watch = held;
  int calls = 0;
  auto hookHolding = [&calls](std::shared_ptr<int> p) {
    return [&calls, p](std::vector<std::string>, std::string) { ++calls; };
  };
  outbox->accept(event("c1", EventKind::kConnected), hookHolding(std::move(held)));
  auto other = std::make_shared<int>(2);
  std::weak_ptr<int> watchOther = other;
  outbox->accept(event("c2", EventKind::kConnected), hookHolding(std::move(other)));
  pump();
  answer(open()[0], 503);  // c1's connected stays pending
  EXPECT_FALSE(watch.expired());
  outbox->accept(event("c1", EventKind::kDisconnected, "2"));
  pump();
  EXPECT_TRUE(watch.expired());            // c1 is over: its hook is gone while its events wait
  EXPECT_FALSE(watchOther.expired());      // c2 is still open
  EXPECT_EQ(outbox->pendingEvents(), 3u);  // the events themselves are kept
  loop.advance(2s);
  pump();
  for (size_t i : open())
    answer(i, 200, {{"Set-Cookie", "a=b"}});
  EXPECT_EQ(calls, 1);  // only c2's connected reached a hook
  EXPECT_TRUE(watchOther.expired());
}

// Connection records exist only in stores that survive a restart (the fake keeps them; the
// MemoryStore does not, and the SqliteStore's are covered by the store tests).
class OutboxRecordsTest : public OutboxTest {};

TEST_P(OutboxRecordsTest, StartSendsRestartDisconnectedForOrphanedConnections) {
  ASSERT_NE(fake, nullptr);
  fake->addRecord(
      {"chat", "orphan1", "u9", "json.webpubsub.azure.v1", "c3RhdGU=", "chat.example.com:8443"});
  fake->addRecord({"chat", "orphan2", std::nullopt, "", ""});
  start();
  EXPECT_EQ(outbox->pendingEvents(), 2u);
  EXPECT_TRUE(fake->records().empty());
  auto sent = open();
  ASSERT_EQ(sent.size(), 2u);
  const auto& r = client.request(sent[0]);
  EXPECT_EQ(typeOf(sent[0]), "azure.webpubsub.sys.disconnected");
  EXPECT_EQ(connectionOf(sent[0]), "orphan1");
  EXPECT_EQ(findHeader(r.headers, "ce-id"), kRecoveredCeId);
  EXPECT_EQ(findHeader(r.headers, "ce-userId"), "u9");
  EXPECT_EQ(findHeader(r.headers, "ce-connectionState"), "c3RhdGU=");
  EXPECT_EQ(findHeader(r.headers, "WebHook-Request-Origin"), "chat.example.com:8443");
  EXPECT_EQ(findHeader(r.headers, "Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"reason":"The server restarted."})");
  EXPECT_EQ(connectionOf(sent[1]), "orphan2");
  EXPECT_FALSE(findHeader(client.request(sent[1]).headers, "ce-userId"));
}

TEST_P(OutboxRecordsTest, StateUpdatesReachTheConnectionRecord) {
  ASSERT_NE(fake, nullptr);
  start();
  outbox->accept(event("c1", EventKind::kConnected));
  outbox->updateConnectionState("c1", "bmV3");
  pump();
  EXPECT_EQ(fake->records().at("c1").connectionState, "bmV3");
}

TEST_P(OutboxRecordsTest, RecordedConnectionsReachTheStoreInTheTurnsBatch) {
  ASSERT_NE(fake, nullptr);
  start();
  size_t before = store->appliedBatches;
  outbox->recordConnection({"chat", "r1", "u1", "json.webpubsub.azure.v1", "", "o.example"});
  outbox->recordConnection({"chat", "r2", std::nullopt, "", "", ""});
  outbox->accept(event("r2", EventKind::kDisconnected));  // removes r2's record in the batch
  pump();
  EXPECT_EQ(store->appliedBatches, before + 1);
  ASSERT_EQ(fake->records().size(), 1u);
  const ConnectionRecord& r = fake->records().at("r1");
  EXPECT_EQ(r.hub, "chat");
  EXPECT_EQ(r.userId, std::optional<std::string>("u1"));
  EXPECT_EQ(r.subprotocol, "json.webpubsub.azure.v1");
  EXPECT_EQ(r.origin, "o.example");
  EXPECT_EQ(outbox->pendingEvents(), 1u);  // a record is not an event: only r2's disconnected
  auto sent = open();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(typeOf(sent[0]), "azure.webpubsub.sys.disconnected");
  EXPECT_EQ(connectionOf(sent[0]), "r2");
  // A record alone is a batch of its own.
  outbox->recordConnection({"chat", "r3", std::nullopt, "", "", ""});
  pump();
  EXPECT_EQ(store->appliedBatches, before + 2);
  EXPECT_EQ(fake->records().count("r3"), 1u);
}

// The gap a recorded connection closes: a connection of a hub without a `connected` handler,
// recorded by one process over a data_dir, gets its `disconnected` from the next one after a
// crash.
TEST_P(OutboxRecordsTest, ARecordedConnectionGetsRestartDisconnectedAfterACrash) {
  const std::string dir = testing::TempDir() + "/outbox_recorded_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  auto sqlite = [&] {
    auto opened = SqliteStore::open(dir, config::DeliverySettings::Sync::kNormal);
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    return std::make_unique<ObservedStore>(std::move(opened).value());
  };
  ownedStore = sqlite();
  store = ownedStore.get();
  start();
  outbox->recordConnection(
      {"chat", "r1", "u1", "json.webpubsub.azure.v1", "c3RhdGU=", "chat.example.com:8443"});
  pump();
  EXPECT_TRUE(open().empty());  // nothing to deliver for it now
  EXPECT_EQ(outbox->pendingEvents(), 0u);
  outbox.reset();  // no stop(): the process dies (the committed batch is what is left)
  ownedStore = sqlite();
  store = ownedStore.get();
  start();
  auto sent = open();
  ASSERT_EQ(sent.size(), 1u);
  const auto& r = client.request(sent[0]);
  EXPECT_EQ(typeOf(sent[0]), "azure.webpubsub.sys.disconnected");
  EXPECT_EQ(connectionOf(sent[0]), "r1");
  EXPECT_EQ(findHeader(r.headers, "ce-id"), kRecoveredCeId);
  EXPECT_EQ(findHeader(r.headers, "ce-userId"), "u1");
  EXPECT_EQ(findHeader(r.headers, "ce-subprotocol"), "json.webpubsub.azure.v1");
  EXPECT_EQ(findHeader(r.headers, "ce-connectionState"), "c3RhdGU=");
  EXPECT_EQ(findHeader(r.headers, "WebHook-Request-Origin"), "chat.example.com:8443");
  EXPECT_EQ(r.body, R"({"reason":"The server restarted."})");
  outbox->stop();
  outbox.reset();  // closes the database
  std::filesystem::remove_all(dir);
}

// Group presence events (client-protocols-1.1.md §2.4): delivered in the connection's order to
// the handler whose group filters take their group (matched again at each attempt, from the
// body); one no handler takes any more is dropped without a request.
TEST_P(OutboxTest, PresenceEventsFollowTheConnectionOrderToTheirFilteredHandler) {
  auto t = cloudevents::UrlTemplate::parse("http://presence.example.com/{hub}/{event}");
  ASSERT_TRUE(t.isOk());
  config::EventHandlerSettings presence{*t, {}, {}, {}, {}};
  presence.groupPresence.joined = true;
  presence.groupPresence.left = true;
  presence.groupPresence.groupFilters.push_back(auth::GroupPattern::compile("room-*").value());
  settings.hubs["chat"].eventHandlers.push_back(std::move(presence));
  start();
  auto gp = [](EventKind kind, std::string group, std::string ceId) {
    PendingEvent e = event("c1", kind, std::move(ceId));
    e.body = R"({"group":")" + group + R"("})";
    return e;
  };
  outbox->accept(event("c1", EventKind::kConnected, "1"));
  outbox->accept(gp(EventKind::kGroupJoined, "room-1", "2"));
  outbox->accept(gp(EventKind::kGroupJoined, "lobby", "3"));  // no handler takes it
  outbox->accept(gp(EventKind::kGroupLeft, "room-1", "4"));
  outbox->accept(event("c1", EventKind::kDisconnected, "5"));
  pump();
  std::vector<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(open().size(), 1u) << i;  // one at a time
    size_t r = open()[0];
    seen.push_back(typeOf(r) + " " + client.request(r).url + " " + client.request(r).body);
    answer(r, 200);
  }
  EXPECT_TRUE(open().empty());
  const std::vector<std::string> expected = {
      "azure.webpubsub.sys.connected http://up.example.com/api/chat/connected?code=x {}",
      R"(azure.webpubsub.gp.joined http://presence.example.com/chat/joined {"group":"room-1"})",
      R"(azure.webpubsub.gp.left http://presence.example.com/chat/left {"group":"room-1"})",
      R"(azure.webpubsub.sys.disconnected http://up.example.com/api/chat/disconnected?code=x {"reason":"bye"})"};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(outbox->pendingEvents(), 0u);
  EXPECT_EQ(totals().deliveryAttemptsOk, 4u);
}

TEST_P(OutboxTest, StopLeavesPendingEventsInTheStore) {
  start();
  outbox->accept(event("c1", EventKind::kConnected));
  outbox->accept(event("c1", EventKind::kDisconnected));
  pump();
  ASSERT_EQ(open().size(), 1u);
  size_t inFlight = open()[0];
  outbox->accept(event("c2", EventKind::kConnected));  // still in the inbox
  EXPECT_EQ(outbox->stop(), 3u);
  EXPECT_TRUE(client.cancelled(inFlight));
  EXPECT_EQ(store->stats().events, 3u);
  size_t sent = client.count();
  loop.advance(2min);
  pump();
  EXPECT_EQ(client.count(), sent);
  outbox.reset();
}

TEST_P(OutboxTest, ApplyFailureKeepsTheBatchForTheNextTick) {
  start();
  store->failApply = true;
  outbox->accept(event("c1", EventKind::kConnected));
  pump();
  EXPECT_TRUE(open().empty());
  EXPECT_EQ(outbox->pendingEvents(), 1u);
  store->failApply = false;
  loop.advance(1s);
  pump();
  EXPECT_EQ(store->stats().events, 1u);
  ASSERT_EQ(open().size(), 1u);
  answer(open()[0], 200);
  EXPECT_EQ(outbox->pendingEvents(), 0u);
}

TEST_P(OutboxTest, PendingCountsAcceptedMinusDeliveredAndDropped) {
  start();
  for (int i = 0; i < 4; ++i)
    outbox->accept(event("c" + std::to_string(i), EventKind::kConnected));
  EXPECT_EQ(outbox->pendingEvents(), 4u);
  pump();
  auto sent = open();
  ASSERT_EQ(sent.size(), 4u);
  answer(sent[0], 200);
  answer(sent[1], 410);
  answer(sent[2], 403);
  answer(sent[3], 500);
  EXPECT_EQ(outbox->pendingEvents(), 1u);
  EXPECT_EQ(store->stats().events, 1u);
  loop.advance(1s);  // a tick refreshes the gauges
  EXPECT_EQ(totals().deliveryPendingEvents, 1);
  EXPECT_GT(totals().deliveryPendingBytes, 0);
}

TEST_P(OutboxTest, BacklogWarningNamesTheHandlerOnceAMinute) {
  settings.delivery.maxRetryDelay = 4s;
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  start();
  PendingEvent e = event("c1", EventKind::kConnected);
  e.timeMs = std::chrono::duration_cast<milliseconds>(loop.wallNow().time_since_epoch()).count();
  outbox->accept(e);
  pump();
  for (int i = 0; i < 140; ++i) {  // 70 s of a handler answering 503
    for (size_t r : open())
      answer(r, 503);
    loop.advance(500ms);
    pump();
  }
  spdlog::set_default_logger(previous);
  std::string text = log.str();
  size_t warnings = 0;
  for (size_t at = text.find("pending, the oldest"); at != std::string::npos;
       at = text.find("pending, the oldest", at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 2u);  // after one retry cycle (4 s), then a minute later
  EXPECT_NE(text.find("1 events"), std::string::npos) << text;
  EXPECT_NE(text.find("hub 'chat' → http://up.example.com:80: HTTP 503"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("code=x"), std::string::npos) << text;  // no URL query (credentials)
}

TEST_P(OutboxTest, MetricsAreRenderedAndPassPromtool) {
  start();
  outbox->accept(event("c1", EventKind::kConnected));
  pump();
  answer(open()[0], 410);
  loop.advance(1s);
  std::string text = metrics.render();
  for (const char* line :
       {"# TYPE webpubsubd_delivery_pending_events gauge\n",
        "webpubsubd_delivery_pending_bytes 0\n", "webpubsubd_delivery_oldest_pending_seconds 0\n",
        "webpubsubd_delivery_attempts_total{result=\"ok\"} 0\n",
        "webpubsubd_delivery_attempts_total{result=\"dropped\"} 1\n",
        "# TYPE webpubsubd_delivery_dropped_total counter\n",
        "webpubsubd_delivery_dropped_total{reason=\"gone\"} 1\n",
        "webpubsubd_delivery_dropped_total{reason=\"overflow\"} 0\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  // promtool comes with Debian's prometheus package (scripts/bootstrap).
  ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0) << "promtool is missing";
  std::string path = testing::TempDir() + "outbox_metrics.txt";
  std::ofstream(path) << text;
  EXPECT_EQ(std::system(("promtool check metrics < " + path).c_str()), 0);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(FakeStore, OutboxRecordsTest, testing::Values("fake"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

INSTANTIATE_TEST_SUITE_P(Stores, OutboxTest, testing::Values("fake", "memory"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace wps::delivery
