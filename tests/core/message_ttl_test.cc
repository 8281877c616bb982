// Message TTL (spec client-protocols-1.1 §5): deadlines, the bus conversion, purging a replay
// buffer, and what a session does with expiring messages (sendToGroup ttlSeconds, reliable
// replay after a drop). The transport side is in tests/transport/ws_connection_test.cc.
#include "core/message_ttl.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/engine.h"
#include "core/session.h"
#include "core/shard.h"
#include "fakes/fake_event_outbox.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"
#include "protocol/frames.h"

namespace wps::core {
namespace {

using namespace std::chrono_literals;
using protocol::ClientKind;

const TimePoint kT0{std::chrono::hours(5)};

protocol::OutFrame frame(std::string text, TimePoint expiresAt = TimePoint::max()) {
  protocol::OutFrame f = protocol::makeTextFrame(std::move(text));
  f.expiresAt = expiresAt;
  return f;
}

TEST(MessageTtl, ZeroOrNoTtlNeverExpiresOthersCountFromAcceptance) {
  EXPECT_EQ(ttlDeadline(kT0, std::nullopt), TimePoint::max());
  EXPECT_EQ(ttlDeadline(kT0, 0u), TimePoint::max());
  EXPECT_EQ(ttlDeadline(kT0, 1u), kT0 + 1s);
  EXPECT_EQ(ttlDeadline(kT0, 300u), kT0 + 300s);
  protocol::OutFrame f = frame("x", kT0 + 1s);
  EXPECT_FALSE(f.expired(kT0 + 999ms));
  EXPECT_TRUE(f.expired(kT0 + 1s));
  EXPECT_FALSE(frame("y").expired(TimePoint::max() - 1s));
}

TEST(MessageTtl, TheBusCarriesTheRemainingMillisecondsAndAnExpiredMessageStaysExpired) {
  EXPECT_FALSE(remainingMs(TimePoint::max(), kT0));
  EXPECT_EQ(remainingMs(kT0 + 1500ms, kT0), 1500u);
  EXPECT_EQ(remainingMs(kT0 + 1500us, kT0), 2u);  // rounded up: never earlier than the sender
  EXPECT_EQ(remainingMs(kT0 - 1s, kT0), 1u) << "already expired: expires on arrival";
  const TimePoint there{std::chrono::hours(77)};  // another node's clock
  EXPECT_EQ(deadlineAfter(there, std::nullopt), TimePoint::max());
  EXPECT_EQ(deadlineAfter(there, 1500u), there + 1500ms);
  EXPECT_EQ(deadlineAfter(there, ~uint64_t{0}), there + 24h) << "clamped, no overflow";
}

TEST(MessageTtl, PurgeRemovesExpiredFramesAnywhereAndKeepsTheOrderOfTheOthers) {
  RingQueue<protocol::OutFrame> q;
  q.push_back(frame("a", kT0 + 1s));
  q.push_back(frame("b"));
  q.push_back(frame("c", kT0 + 5s));
  q.push_back(frame("d", kT0 + 1s));
  q.push_back(frame("e"));
  size_t bytes = 0;
  for (size_t i = 0; i < q.size(); ++i)
    bytes += q[i].size();
  size_t before = bytes;
  EXPECT_EQ(purgeExpired(q, kT0, &bytes), 0u);
  EXPECT_EQ(q.size(), 5u);
  EXPECT_EQ(purgeExpired(q, kT0 + 2s, &bytes), 2u);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].flatten().substr(2), "b");
  EXPECT_EQ(q[1].flatten().substr(2), "c");
  EXPECT_EQ(q[2].flatten().substr(2), "e");
  EXPECT_EQ(bytes, before - 2 * frame("a").size());
  EXPECT_EQ(purgeExpired(q, kT0 + 10s, &bytes), 1u);
  EXPECT_EQ(q.size(), 2u);
}

TEST(MessageTtl, PurgeKeepsTrackOfAFrameThatNeverExpires) {
  RingQueue<protocol::OutFrame> q;
  q.push_back(frame("a", kT0));
  q.push_back(frame("b"));
  q.push_back(frame("c", kT0));
  q.push_back(frame("pong"));
  q.push_back(frame("d", kT0));
  size_t bytes = 1000;
  size_t tracked = 3;
  EXPECT_EQ(purgeExpired(q, kT0, &bytes, &tracked), 3u);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(tracked, 1u);
  EXPECT_EQ(q[tracked].flatten().substr(2), "pong");
  tracked = 0;
  q.push_back(frame("e", kT0 + 1s));
  EXPECT_EQ(purgeExpired(q, kT0 + 1s, &bytes, &tracked), 1u);
  EXPECT_EQ(tracked, 0u) << "nothing before it was removed";
}

config::ServerSettings ttlSettings() {
  config::ServerSettings s;
  s.accessKeys = {"unit-test-access-key-0123456789abcdefghij"};
  s.workers = 1;
  s.hubs["chat"] = config::HubSettings{};
  s.reliable.bufferMessages = 4;
  s.reliable.recoveryWindow = 30s;
  return s;
}

class SessionTtlTest : public ::testing::Test {
 protected:
  SessionTtlTest() : settings(ttlSettings()), client(loop), engine(settings, {{&loop, &client}}) {
    engine.setOutbox(&outbox);
  }

  std::shared_ptr<ClientSession> open(test::FakeTransport& t, ClientKind kind) {
    SessionIdentity id;
    id.hubKey = "chat";
    id.connectionId = "conn-" + std::to_string(next++);
    id.userId = "alice";
    id.kind = kind;
    id.subprotocol = std::string(protocol::subprotocolName(kind));
    id.roles = {"webpubsub.sendToGroup"};
    id.origin = "localhost";
    auto s = std::make_shared<ClientSession>(engine.worker(0), std::move(id));
    s->start(&t);
    loop.runPending();
    t.frames.clear();  // the connected system message
    return s;
  }

  void deliver(ClientSession& s, const std::string& text, TimePoint deadline) {
    protocol::DataMessage m;
    m.payload = {protocol::DataType::kText, text};
    s.deliver(OutboundMessage(std::move(m), false, deadline));
  }

  uint64_t expired() { return engine.worker(0).counters.messagesExpired.value(); }

  static boost::json::value json(const std::string& s) { return boost::json::parse(s); }

  test::ManualEventLoop loop;
  config::ServerSettings settings;
  test::FakeUpstreamClient client;
  test::FakeEventOutbox outbox;
  Engine engine;
  int next = 0;
};

TEST_F(SessionTtlTest, SendToGroupFixesTheDeadlineAtAcceptanceForEveryReceiver) {
  test::FakeTransport a, b;
  auto sa = open(a, ClientKind::kJson);
  auto sb = open(b, ClientKind::kSimple);
  engine.shard(0).join(*sb, "room");
  TimePoint accepted = loop.now();
  sa->onMessage(
      false,
      R"({"type":"sendToGroup","group":"room","dataType":"text","data":"1","ttlSeconds":2})");
  sa->onMessage(
      false,
      R"({"type":"sendToGroup","group":"room","dataType":"text","data":"0","ttlSeconds":0})");
  sa->onMessage(false, R"({"type":"sendToGroup","group":"room","dataType":"text","data":"-"})");
  ASSERT_EQ(b.frames.size(), 3u);
  EXPECT_EQ(b.frames[0].expiresAt, accepted + 2s);
  EXPECT_EQ(b.frames[1].expiresAt, TimePoint::max());
  EXPECT_EQ(b.frames[2].expiresAt, TimePoint::max());
}

TEST_F(SessionTtlTest, ControlFramesNeverExpire) {
  test::FakeTransport a;
  auto s = open(a, ClientKind::kJson);
  s->onMessage(false, R"({"type":"ping"})");
  s->onMessage(false, R"({"type":"joinGroup","group":"g","ackId":1})");
  ASSERT_EQ(a.frames.size(), 2u);
  for (const auto& f : a.frames)
    EXPECT_EQ(f.expiresAt, TimePoint::max());
}

TEST_F(SessionTtlTest, ReplaySkipsExpiredEntriesWithoutRenumberingTheOthers) {
  test::FakeTransport t1;
  auto s = open(t1, ClientKind::kJsonReliable);
  TimePoint now = loop.now();
  deliver(*s, "written, expires", now + 1s);        // id 1: written before the drop, still skipped
  deliver(*s, "written, stays", TimePoint::max());  // id 2
  s->onTransportClosed(&t1, {TransportEnd::Cause::kLost, std::nullopt, ""});
  deliver(*s, "detached, expires", now + 1s);  // id 3
  deliver(*s, "detached, stays", now + 60s);   // id 4
  loop.advance(2s);
  test::FakeTransport t2;
  ASSERT_TRUE(s->resume(&t2));
  ASSERT_EQ(t2.frames.size(), 3u);  // `connected` (spec 1.1 §3.7), then the replay
  EXPECT_EQ(json(t2.payload(0)).at("event"), "connected");
  EXPECT_EQ(json(t2.payload(1)).at("sequenceId"), 2);
  EXPECT_EQ(json(t2.payload(1)).at("data"), "written, stays");
  EXPECT_EQ(json(t2.payload(2)).at("sequenceId"), 4);
  EXPECT_EQ(json(t2.payload(2)).at("data"), "detached, stays");
  EXPECT_EQ(s->bufferedMessages(), 2u);
  EXPECT_EQ(expired(), 2u);
  deliver(*s, "later", TimePoint::max());
  ASSERT_EQ(t2.frames.size(), 4u);
  EXPECT_EQ(json(t2.payload(3)).at("sequenceId"), 5) << "ids are never reused";
}

TEST_F(SessionTtlTest, AFullBufferWhileDetachedMakesRoomByPurgingExpiredEntries) {
  test::FakeTransport t1;
  auto s = open(t1, ClientKind::kJsonReliable);
  s->onTransportClosed(&t1, {TransportEnd::Cause::kLost, std::nullopt, ""});
  for (int i = 0; i < 4; ++i)  // the buffer holds 4
    deliver(*s, "short " + std::to_string(i), loop.now() + 1s);
  loop.advance(1s);
  deliver(*s, "fifth", TimePoint::max());
  EXPECT_EQ(s->state(), ClientSession::State::kDetached) << "not closed as a full buffer";
  EXPECT_EQ(s->bufferedMessages(), 1u);
  EXPECT_EQ(expired(), 4u);
  // Without expired entries a full buffer still ends the session.
  for (int i = 0; i < 4; ++i)
    deliver(*s, "long", TimePoint::max());
  loop.runPending();  // it ends from a loop task of its own (see the next test)
  EXPECT_EQ(s->state(), ClientSession::State::kEnded);
}

// A detached session whose buffer overflows during a group publish must not leave the shard
// while the publish visits the group's members (that was a use-after-free).
TEST_F(SessionTtlTest, ADetachedOverflowDuringAGroupPublishEndsTheSessionAfterTheVisit) {
  test::FakeTransport t1, t2, t3;
  auto a = open(t1, ClientKind::kJsonReliable);
  auto b = open(t2, ClientKind::kJson);
  for (auto* s : {a.get(), b.get()})
    engine.shard(0).join(*s, "g");
  a->onTransportClosed(&t1, {TransportEnd::Cause::kLost, std::nullopt, ""});
  for (int i = 0; i < 6; ++i) {  // the buffer holds 4
    protocol::DataMessage m;
    m.from = protocol::MessageSource::kGroup;
    m.group = "g";
    m.payload = {protocol::DataType::kText, "m" + std::to_string(i)};
    engine.worker(0).broker.publish("chat", Target::group("g"), OutboundMessage::make(m));
  }
  loop.runPending();
  EXPECT_EQ(a->state(), ClientSession::State::kEnded);
  EXPECT_FALSE(a->resume(&t3)) << "messages were lost: no recovery";
  EXPECT_GE(t2.frames.size(), 6u) << "the other member got every message";
}

TEST_F(SessionTtlTest, TheTransportReportsDroppedFramesOnlyForTheCurrentTransport) {
  test::FakeTransport t1, other;
  auto s = open(t1, ClientKind::kJson);
  s->onFramesExpired(&t1, 3);
  s->onFramesExpired(&other, 5);
  EXPECT_EQ(expired(), 3u);
}

}  // namespace
}  // namespace wps::core
