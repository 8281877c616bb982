// ClientSession semantics with fakes: manual loop, scripted upstream, recording transport.
#include "core/session.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/engine.h"
#include "core/shard.h"
#include "fakes/fake_event_outbox.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"
#include "protocol/client_kind.h"
#include "protocol/webpubsub.pb.h"

namespace wps::core {
namespace {

using namespace std::chrono_literals;
using protocol::ClientKind;
using test::FakeTransport;
using test::FakeUpstreamClient;
using test::ManualEventLoop;

config::ServerSettings testSettings() {
  config::ServerSettings s;
  s.accessKeys = {"unit-test-access-key-0123456789abcdefghij"};
  s.workers = 1;
  config::HubSettings hub;
  config::EventHandlerSettings h{
      *cloudevents::UrlTemplate::parse("http://up/{event}"), {}, {}, {}, {}};
  h.userEvents = {"*"};
  h.systemEvents = {"connected", "disconnected"};
  hub.eventHandlers.push_back(std::move(h));
  s.hubs["chat"] = std::move(hub);
  s.reliable.bufferMessages = 5;
  s.reliable.recoveryWindow = 30s;
  return s;
}

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : settings(testSettings()), client(loop), engine(settings, {{&loop, &client}}) {
    engine.setOutbox(&outbox);
  }

  std::shared_ptr<ClientSession> open(FakeTransport& t, ClientKind kind,
                                      std::vector<std::string> roles = {},
                                      std::optional<std::string> user = "alice",
                                      std::shared_ptr<upstream::CookieJar> cookies = nullptr) {
    SessionIdentity id;
    id.cookies = std::move(cookies);
    id.hubKey = "chat";
    id.connectionId = "conn-" + std::to_string(next++);
    id.userId = std::move(user);
    id.kind = kind;
    id.subprotocol = std::string(protocol::subprotocolName(kind));
    id.roles = std::move(roles);
    id.origin = "localhost";
    auto s = std::make_shared<ClientSession>(engine.worker(0), std::move(id));
    s->start(&t);
    passValidation();
    return s;
  }

  // Answers pending abuse-protection probes (OPTIONS) with success.
  void passValidation() {
    loop.runPending();
    for (size_t i = 0; i < client.count(); ++i) {
      const auto& r = client.request(i);
      if (r.method == "OPTIONS" && !answered.count(i)) {
        client.respond(i, 200, {{"WebHook-Allowed-Origin", "*"}});
        answered.insert(i);
      }
    }
    loop.runPending();
  }

  // Index of the last request whose URL ends with `event` (after answering pending probes: the
  // first event to the handler's origin waits for its validation).
  std::optional<size_t> lastRequest(std::string_view event) {
    passValidation();
    for (size_t i = client.count(); i-- > 0;) {
      if (client.request(i).method == "POST" && client.request(i).url.ends_with(event)) return i;
    }
    return std::nullopt;
  }

  // The last event of `kind` handed to the outbox.
  std::optional<delivery::PendingEvent> lastEvent(cloudevents::EventKind kind) {
    for (size_t i = outbox.count(); i-- > 0;) {
      if (outbox.event(i).kind == kind) return outbox.event(i);
    }
    return std::nullopt;
  }

  static boost::json::value json(const std::string& s) { return boost::json::parse(s); }

  ManualEventLoop loop;
  config::ServerSettings settings;
  FakeUpstreamClient client;
  test::FakeEventOutbox outbox;
  Engine engine;
  std::set<size_t> answered;
  int next = 0;
};

TEST_F(SessionTest, PubSubClientGetsConnectedFirstAndUpstreamConnected) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  ASSERT_GE(t.frames.size(), 1u);
  auto first = json(t.payload(0));
  EXPECT_EQ(first.at("event"), "connected");
  EXPECT_EQ(first.at("connectionId"), "conn-0");
  EXPECT_FALSE(first.as_object().contains("reconnectionToken"));
  ASSERT_TRUE(lastEvent(cloudevents::EventKind::kConnected));
  EXPECT_FALSE(lastRequest("connected"));  // the outbox posts it, not the worker
  EXPECT_EQ(engine.directory().find("conn-0")->hubKey, "chat");
}

TEST_F(SessionTest, SimpleMessagesAreSequentialAndReadingPausesWhenTheQueueIsFull) {
  settings.limits.inboundQueueMessages = 2;
  FakeTransport t;
  auto s = open(t, ClientKind::kSimple);
  s->onMessage(false, "one");
  s->onMessage(false, "two");
  s->onMessage(false, "three");
  loop.runPending();
  auto first = lastRequest("message");
  ASSERT_TRUE(first);
  EXPECT_EQ(client.request(*first).body, "one");
  EXPECT_TRUE(t.paused);  // two queued behind the blocking event
  client.respond(*first, 200, {{"Content-Type", "text/plain"}}, "re:one");
  loop.runPending();
  auto second = lastRequest("message");
  EXPECT_EQ(client.request(*second).body, "two");
  EXPECT_FALSE(t.paused);
  ASSERT_EQ(t.frames.size(), 1u);
  EXPECT_EQ(t.payload(0), "re:one");
}

TEST_F(SessionTest, ReadingPausesWhenTheQueuedBytesReachTheirCapAndResumesBelowHalf) {
  settings.limits.inboundQueueMessages = 100;  // only the byte cap matters here
  settings.limits.inboundQueueBytes = 1000;
  FakeTransport t;
  auto s = open(t, ClientKind::kSimple);
  const std::string big(400, 'b');
  s->onMessage(false, "first");  // in flight
  loop.runPending();
  s->onMessage(false, big);
  s->onMessage(false, big);
  EXPECT_FALSE(t.paused);  // 800 bytes queued
  s->onMessage(false, big);
  EXPECT_TRUE(t.paused);  // 1200 bytes >= 1000
  client.respond(*lastRequest("message"), 200);
  loop.runPending();
  EXPECT_TRUE(t.paused);  // one in flight, 800 bytes still queued (resume below 501)
  client.respond(*lastRequest("message"), 200);
  loop.runPending();
  EXPECT_FALSE(t.paused);  // 400 bytes queued
}

TEST_F(SessionTest, ALostPausedTransportDropsTheQueueAndDisconnectedFollowsTheInFlightEvent) {
  settings.limits.inboundQueueMessages = 2;
  FakeTransport t;
  auto s = open(t, ClientKind::kSimple);
  for (const char* m : {"one", "two", "three", "four"})
    s->onMessage(false, m);
  loop.runPending();
  ASSERT_TRUE(t.paused);
  s->onTransportClosed(&t, {TransportEnd::Cause::kLost, {}, {}});
  loop.runPending();
  EXPECT_FALSE(lastEvent(cloudevents::EventKind::kDisconnected));  // "one" is still in flight
  client.respond(*lastRequest("message"), 200);
  loop.runPending();
  auto d = lastEvent(cloudevents::EventKind::kDisconnected);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ceId, "3");  // after connected (1) and "one" (2)
  size_t messages = 0;
  for (size_t i = 0; i < client.count(); ++i)
    messages += client.request(i).url.ends_with("message") ? 1 : 0;
  EXPECT_EQ(messages, 1u);  // "two", "three" and "four" were never posted
}

TEST_F(SessionTest, EndForShutdownAcceptsDisconnectedForAClientThatNeverAnsweredTheClose) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->closeForShutdown();
  ASSERT_TRUE(t.closed);  // the close frame went out; the client never answers it
  EXPECT_FALSE(lastEvent(cloudevents::EventKind::kDisconnected));
  s->endForShutdown();
  auto d = lastEvent(cloudevents::EventKind::kDisconnected);
  ASSERT_TRUE(d);
  EXPECT_EQ(json(d->body).at("reason"), "The server is shutting down.");
  size_t events = outbox.count();
  s->endForShutdown();  // idempotent
  s->onTransportClosed(&t, {TransportEnd::Cause::kLost, {}, {}});
  EXPECT_EQ(outbox.count(), events);
}

TEST_F(SessionTest, EndForShutdownDoesNotWaitForTheBlockingEventInFlight) {
  FakeTransport t;
  auto s = open(t, ClientKind::kSimple);
  s->onMessage(false, "one");
  loop.runPending();
  s->onTransportClosed(&t, {TransportEnd::Cause::kLost, {}, {}});
  loop.runPending();
  ASSERT_FALSE(lastEvent(cloudevents::EventKind::kDisconnected));  // "one" is in flight
  s->endForShutdown();
  ASSERT_TRUE(lastEvent(cloudevents::EventKind::kDisconnected));
  size_t events = outbox.count();
  client.respond(*lastRequest("message"), 200);  // a late answer sends nothing more
  loop.runPending();
  s->endForShutdown();
  EXPECT_EQ(outbox.count(), events);
}

TEST_F(SessionTest, ClosingAPausedSessionResumesReadingForTheClosingHandshake) {
  settings.limits.inboundQueueMessages = 1;
  FakeTransport t;
  auto s = open(t, ClientKind::kSimple);
  s->onMessage(false, "one");
  s->onMessage(false, "two");
  ASSERT_TRUE(t.paused);
  s->closeByAppServer("bye");
  ASSERT_TRUE(t.closed);
  EXPECT_FALSE(t.paused);
}

TEST_F(SessionTest, MessagesOverTheRateAreClosed1008AndCounted) {
  settings.limits.maxMessagesPerSecond = 2;  // burst defaults to the rate: 2
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  auto& counter = engine.worker(0).counters.rateLimitedClientsClosed;
  const std::string ping = R"({"type":"ping"})";
  s->onMessage(false, ping);
  s->onMessage(false, ping);
  EXPECT_FALSE(t.closed);
  loop.advance(400ms);  // 0.8 tokens: not enough for a third message
  s->onMessage(false, ping);
  ASSERT_TRUE(t.closed);
  EXPECT_EQ(t.closed->code, 1008);
  EXPECT_EQ(t.closed->reason, "Too many messages.");
  EXPECT_EQ(json(*t.closed->finalFrame).at("message"), "Too many messages.");
  EXPECT_EQ(counter.value(), 1u);
}

TEST_F(SessionTest, MessagesWithinTheRateAndBurstPass) {
  settings.limits.maxMessagesPerSecond = 2;
  settings.limits.maxMessageBurst = 5;
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  const std::string ping = R"({"type":"ping"})";
  for (int i = 0; i < 5; ++i)
    s->onMessage(false, ping);  // the burst
  for (int i = 0; i < 20; ++i) {
    loop.advance(500ms);  // exactly the rate
    s->onMessage(false, ping);
  }
  EXPECT_FALSE(t.closed);
  s->onMessage(false, ping);  // the bucket is empty
  ASSERT_TRUE(t.closed);
  EXPECT_EQ(t.closed->code, 1008);
}

TEST_F(SessionTest, WithoutARateLimitAFloodIsNotClosed) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  for (int i = 0; i < 10000; ++i)
    s->onMessage(false, R"({"type":"ping"})");
  EXPECT_FALSE(t.closed);
  EXPECT_EQ(engine.worker(0).counters.rateLimitedClientsClosed.value(), 0u);
}

TEST_F(SessionTest, SimpleClientFailureClosesWith1011) {
  FakeTransport t;
  auto s = open(t, ClientKind::kSimple);
  s->onMessage(false, "x");
  loop.runPending();
  client.respond(*lastRequest("message"), 500);  // retried after 1 s, 3 s, 5 s
  for (int i = 0; i < 3; ++i) {
    loop.advance(6s);
    client.respond(*lastRequest("message"), 500);
  }
  loop.runPending();
  ASSERT_TRUE(t.closed);
  EXPECT_EQ(t.closed->code, 1011);
  EXPECT_FALSE(t.closed->finalFrame);  // simple clients get no system message
}

TEST_F(SessionTest, JoinLeaveNeedsPermissionAndAcksAreIdempotent) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, {"webpubsub.joinLeaveGroup.g1"});
  t.frames.clear();
  s->onMessage(false, R"({"type":"joinGroup","group":"g1","ackId":1})");
  s->onMessage(false, R"({"type":"joinGroup","group":"g1","ackId":1})");
  s->onMessage(false, R"({"type":"joinGroup","group":"g2","ackId":2})");
  s->onMessage(false, R"({"type":"joinGroup","group":"g2"})");  // no ack: dropped silently
  ASSERT_EQ(t.frames.size(), 3u);
  EXPECT_EQ(json(t.payload(0)), json(R"({"type":"ack","ackId":1,"success":true})"));
  auto dup = json(t.payload(1));
  EXPECT_EQ(dup.at("error").at("name"), "Duplicate");
  EXPECT_EQ(dup.at("error").at("message"), "Message with ack-id: 1 has been processed");
  auto forbidden = json(t.payload(2));
  EXPECT_EQ(forbidden.at("success"), false);
  EXPECT_EQ(forbidden.at("error").at("name"), "Forbidden");
  EXPECT_TRUE(s->inGroup("g1"));
  EXPECT_FALSE(s->inGroup("g2"));
  EXPECT_FALSE(t.closed);  // never a disconnect for permissions
  // A failed ackId may be retried; a duplicate check comes before the permission check.
  s->onMessage(false, R"({"type":"joinGroup","group":"g2","ackId":2})");
  EXPECT_EQ(json(t.payload(3)).at("error").at("name"), "Forbidden");
}

TEST_F(SessionTest, JoinsBeyondMaxGroupsPerConnectionAreRefusedWithBadRequest) {
  ASSERT_EQ(settings.limits.maxGroupsPerConnection, 1000u);  // the default
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, {"webpubsub.joinLeaveGroup"});
  t.frames.clear();
  for (int i = 0; i < 1000; ++i) {
    s->onMessage(false, R"({"type":"joinGroup","group":"g)" + std::to_string(i) + R"(","ackId":)" +
                            std::to_string(i + 1) + "}");
  }
  ASSERT_EQ(t.frames.size(), 1000u);
  EXPECT_EQ(json(t.payload(999)), json(R"({"type":"ack","ackId":1000,"success":true})"));
  EXPECT_EQ(s->groups().size(), 1000u);
  s->onMessage(false, R"({"type":"joinGroup","group":"one-too-many","ackId":1001})");
  ASSERT_EQ(t.frames.size(), 1001u);
  EXPECT_EQ(json(t.payload(1000)), json(R"({"type":"ack","ackId":1001,"success":false,
      "error":{"name":"BadRequest","message":"The connection is already in 1000 groups, the limit (limits.max_groups_per_connection)."}})"));
  EXPECT_FALSE(s->inGroup("one-too-many"));
  EXPECT_FALSE(engine.shard(0).hasGroup("chat", "one-too-many"));
  EXPECT_FALSE(t.closed);
  // Re-joining a group it is in still succeeds; after a leave there is room again.
  s->onMessage(false, R"({"type":"joinGroup","group":"g5","ackId":1002})");
  EXPECT_EQ(json(t.payload(1001)).at("success"), true);
  s->onMessage(false, R"({"type":"leaveGroup","group":"g5","ackId":1003})");
  s->onMessage(false, R"({"type":"joinGroup","group":"one-too-many","ackId":1004})");
  EXPECT_EQ(json(t.payload(1003)).at("success"), true);
  EXPECT_TRUE(s->inGroup("one-too-many"));
}

TEST_F(SessionTest, ShardJoinSkipsASessionAtTheGroupLimit) {
  settings.limits.maxGroupsPerConnection = 2;
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  Shard& shard = engine.shard(0);
  EXPECT_TRUE(shard.join(*s, "a"));
  EXPECT_TRUE(shard.join(*s, "b"));
  EXPECT_FALSE(shard.join(*s, "c"));  // e.g. a REST add-to-group for a user or filter
  EXPECT_FALSE(s->inGroup("c"));
  EXPECT_FALSE(shard.hasGroup("chat", "c"));
}

TEST_F(SessionTest, GroupMessagesReachMembersInTheirProtocolAndRespectNoEcho) {
  FakeTransport a, b, c;
  auto sa = open(a, ClientKind::kJson, {"webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"});
  auto sb = open(b, ClientKind::kSimple);
  auto sc = open(c, ClientKind::kProtobuf);
  engine.shard(0).join(*sa, "room");
  engine.shard(0).join(*sb, "room");
  engine.shard(0).join(*sc, "room");
  a.frames.clear();
  b.frames.clear();
  c.frames.clear();
  sa->onMessage(
      false,
      R"({"type":"sendToGroup","group":"room","dataType":"json","data":{"x":1},"noEcho":true,"ackId":9})");
  ASSERT_EQ(a.frames.size(), 1u);  // only the ack: noEcho
  EXPECT_EQ(json(a.payload(0)).at("ackId"), 9);
  ASSERT_EQ(b.frames.size(), 1u);
  EXPECT_EQ(b.payload(0), R"({"x":1})");  // raw JSON text for simple receivers
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_NE(c.payload(0).find(R"({"x":1})"), std::string::npos);  // json_data for protobuf
  // Without noEcho the sender receives its own message, with fromUserId.
  sa->onMessage(false, R"({"type":"sendToGroup","group":"room","dataType":"text","data":"hi"})");
  auto echo = json(a.payload(1));
  EXPECT_EQ(echo.at("from"), "group");
  EXPECT_EQ(echo.at("group"), "room");
  EXPECT_EQ(echo.at("fromUserId"), "alice");
  EXPECT_EQ(echo.at("dataType"), "text");
  EXPECT_EQ(echo.at("data"), "hi");
}

TEST_F(SessionTest, EventReplyComesBeforeTheAckAndFailuresKeepTheConnection) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  t.frames.clear();
  s->onMessage(false,
               R"({"type":"event","event":"calc","dataType":"json","data":[1,2],"ackId":5})");
  loop.runPending();
  auto idx = lastRequest("calc");
  ASSERT_TRUE(idx);
  const auto& req = client.request(*idx);
  EXPECT_EQ(req.body, "[1,2]");
  EXPECT_EQ(*http::findHeader(req.headers, "Content-Type"), "application/json");
  EXPECT_EQ(*http::findHeader(req.headers, "ce-type"), "azure.webpubsub.user.calc");
  client.respond(*idx, 200, {{"Content-Type", "application/json"}}, "3");
  loop.runPending();
  ASSERT_EQ(t.frames.size(), 2u);
  auto reply = json(t.payload(0));
  EXPECT_EQ(reply.at("from"), "server");
  EXPECT_EQ(reply.at("dataType"), "json");
  EXPECT_EQ(reply.at("data"), 3);
  EXPECT_EQ(json(t.payload(1)), json(R"({"type":"ack","ackId":5,"success":true})"));
  // Upstream failure: InternalServerError ack, the connection stays open.
  s->onMessage(false, R"({"type":"event","event":"calc","data":"x","ackId":6})");
  loop.runPending();
  client.respond(*lastRequest("calc"), 400);
  loop.runPending();
  auto err = json(t.payload(2));
  EXPECT_EQ(err.at("error").at("name"), "InternalServerError");
  EXPECT_EQ(err.at("error").at("message"), "Internal server error");
  EXPECT_FALSE(t.closed);
  // The failed ackId was not remembered: a retry calls the upstream again.
  size_t before = client.count();
  s->onMessage(false, R"({"type":"event","event":"calc","data":"x","ackId":6})");
  loop.runPending();
  EXPECT_GT(client.count(), before);
}

TEST_F(SessionTest, RequestsQueueBehindABlockingEvent) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, {"webpubsub.joinLeaveGroup"});
  t.frames.clear();
  s->onMessage(false, R"({"type":"event","event":"slow","data":"x"})");
  s->onMessage(false, R"({"type":"joinGroup","group":"g","ackId":1})");
  s->onMessage(false, R"({"type":"ping"})");
  loop.runPending();
  EXPECT_TRUE(t.frames.empty());  // nothing processed while the event waits
  EXPECT_FALSE(s->inGroup("g"));
  client.respond(*lastRequest("slow"), 204);
  loop.runPending();
  ASSERT_EQ(t.frames.size(), 2u);
  EXPECT_EQ(json(t.payload(0)).at("type"), "ack");
  EXPECT_EQ(json(t.payload(1)).at("type"), "pong");
}

TEST_F(SessionTest, InvalidMessagesClose1007WithADisconnectedMessage) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->onMessage(false, R"({"type":"joinGroup"})");
  ASSERT_TRUE(t.closed);
  EXPECT_EQ(t.closed->code, 1007);
  EXPECT_EQ(t.closed->reason, "The client message is not a valid JSON protocol message.");
  ASSERT_TRUE(t.closed->finalFrame);
  EXPECT_EQ(json(*t.closed->finalFrame).at("event"), "disconnected");
}

TEST_F(SessionTest, SlowClientIsClosedWith1008) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  t.overflow = true;
  protocol::DataMessage m;
  m.payload = {protocol::DataType::kText, "x"};
  s->deliver(OutboundMessage(m));
  ASSERT_TRUE(t.closed);
  EXPECT_EQ(t.closed->code, 1008);
  EXPECT_EQ(t.closed->reason, "The outbound message queue is full.");
  EXPECT_TRUE(t.closed->discardQueued);
}

TEST_F(SessionTest, AppServerCloseSendsTheReasonInTheSystemMessageOnly) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->closeByAppServer("kick");
  ASSERT_TRUE(t.closed);
  EXPECT_EQ(t.closed->code, 1000);
  EXPECT_EQ(t.closed->reason, "");
  EXPECT_EQ(json(*t.closed->finalFrame).at("message"),
            "Application server closed the connection. Reason: kick");
  s->onTransportClosed(&t, {TransportEnd::Cause::kServiceClose, 1000, ""});
  loop.runPending();
  auto d = lastEvent(cloudevents::EventKind::kDisconnected);
  ASSERT_TRUE(d);
  EXPECT_EQ(json(d->body).at("reason"), "Application server closed the connection. Reason: kick");
  EXPECT_FALSE(engine.directory().find(s->connectionId()));
}

// --- Unblocking events: connected and disconnected go to the outbox ---------------------------

TEST_F(SessionTest, ConnectedAndDisconnectedGoToTheOutboxWithTheirIdentity) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  ASSERT_EQ(outbox.count(), 1u);
  delivery::PendingEvent c = outbox.event(0);
  EXPECT_EQ(c.kind, cloudevents::EventKind::kConnected);
  EXPECT_EQ(c.hub, "chat");
  EXPECT_EQ(c.connectionId, "conn-0");
  EXPECT_EQ(c.userId, std::optional<std::string>("alice"));
  EXPECT_EQ(c.subprotocol, "json.webpubsub.azure.v1");
  EXPECT_EQ(c.connectionState, "");
  EXPECT_EQ(c.origin, "localhost");  // the handshake's WebHook-Request-Origin
  EXPECT_EQ(c.ceId, "1");            // 0 was the connect event
  EXPECT_EQ(c.timeMs,
            std::chrono::duration_cast<std::chrono::milliseconds>(loop.wallNow().time_since_epoch())
                .count());
  EXPECT_EQ(c.contentType, "application/json");
  EXPECT_EQ(c.body, "{}");
  EXPECT_TRUE(c.extraHeaders.empty());  // no cookie yet
  EXPECT_TRUE(outbox.hadHook(0));
  loop.advance(2s);
  s->closeByAppServer("bye");
  s->onTransportClosed(&t, {TransportEnd::Cause::kServiceClose, 1000, ""});
  ASSERT_EQ(outbox.count(), 2u);
  delivery::PendingEvent d = outbox.event(1);
  EXPECT_EQ(d.kind, cloudevents::EventKind::kDisconnected);
  EXPECT_EQ(d.connectionId, "conn-0");
  EXPECT_EQ(d.ceId, "2");
  EXPECT_EQ(d.timeMs, c.timeMs + 2000);
  EXPECT_EQ(json(d.body).at("reason"), "Application server closed the connection. Reason: bye");
  loop.runPending();
  for (size_t i = 0; i < client.count(); ++i)  // the worker posts neither of them itself
    EXPECT_EQ(client.request(i).method, "OPTIONS");
}

TEST_F(SessionTest, CeIdsIncreaseAcrossTheConnectionsEvents) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->onMessage(false, R"({"type":"event","event":"calc","data":"x"})");
  loop.runPending();
  auto idx = lastRequest("calc");
  ASSERT_TRUE(idx);
  EXPECT_EQ(*http::findHeader(client.request(*idx).headers, "ce-id"), "2");
  client.respond(*idx, 200);
  loop.runPending();
  s->onTransportClosed(&t, {TransportEnd::Cause::kLost, std::nullopt, ""});
  auto events = outbox.eventsOf(s->connectionId());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].ceId, "1");
  EXPECT_EQ(events[1].ceId, "3");
  EXPECT_EQ(events[1].kind, cloudevents::EventKind::kDisconnected);  // disconnected is last
}

TEST_F(SessionTest, WithoutAHandlerNoEventIsAcceptedButItsCeIdIsTaken) {
  settings.hubs["chat"].eventHandlers[0].systemEvents = {"connected"};
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->onTransportClosed(&t, {TransportEnd::Cause::kLost, std::nullopt, ""});
  ASSERT_EQ(outbox.count(), 1u);
  EXPECT_EQ(outbox.event(0).kind, cloudevents::EventKind::kConnected);
  settings.hubs["chat"].eventHandlers[0].systemEvents = {"disconnected"};
  FakeTransport t2;
  auto s2 = open(t2, ClientKind::kJson);
  s2->onTransportClosed(&t2, {TransportEnd::Cause::kLost, std::nullopt, ""});
  ASSERT_EQ(outbox.count(), 2u);
  EXPECT_EQ(outbox.event(1).kind, cloudevents::EventKind::kDisconnected);
  EXPECT_EQ(outbox.event(1).ceId, "2");
}

TEST_F(SessionTest, WithOnlyADisconnectedHandlerTheConnectionIsRecordedForCrashRecovery) {
  settings.hubs["chat"].eventHandlers[0].systemEvents = {"disconnected"};
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  EXPECT_EQ(outbox.count(), 0u);  // no connected event
  auto recorded = outbox.recordedConnections();
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].hub, "chat");
  EXPECT_EQ(recorded[0].connectionId, "conn-0");
  EXPECT_EQ(recorded[0].userId, std::optional<std::string>("alice"));
  EXPECT_EQ(recorded[0].subprotocol, "json.webpubsub.azure.v1");
  EXPECT_EQ(recorded[0].connectionState, "");
  EXPECT_EQ(recorded[0].origin, "localhost");
  s->onTransportClosed(&t, {TransportEnd::Cause::kLost, std::nullopt, ""});
  ASSERT_EQ(outbox.count(), 1u);
  EXPECT_EQ(outbox.event(0).kind, cloudevents::EventKind::kDisconnected);
  EXPECT_EQ(outbox.event(0).connectionId, "conn-0");
  EXPECT_EQ(outbox.recordedConnections().size(), 1u);
  // With neither handler no event could be made for it: nothing is recorded.
  settings.hubs["chat"].eventHandlers[0].systemEvents = {};
  FakeTransport t2;
  auto s2 = open(t2, ClientKind::kJson);
  s2->onTransportClosed(&t2, {TransportEnd::Cause::kLost, std::nullopt, ""});
  EXPECT_EQ(outbox.recordedConnections().size(), 1u);
  EXPECT_EQ(outbox.count(), 1u);
  // With a connected handler, the connected event records it (in the outbox's store).
  settings.hubs["chat"].eventHandlers[0].systemEvents = {"connected", "disconnected"};
  FakeTransport t3;
  auto s3 = open(t3, ClientKind::kJson);
  EXPECT_EQ(outbox.recordedConnections().size(), 1u);
  EXPECT_EQ(outbox.count(), 2u);
}

TEST_F(SessionTest, TheCookieHeaderIsFixedAtAcceptanceAndTheHookFillsTheJar) {
  outbox.keepHooks = true;
  auto jar = std::make_shared<upstream::CookieJar>();
  ASSERT_TRUE(jar->store("a=1", "http://up/connect", loop.wallNow()));
  ASSERT_TRUE(jar->store("other=x; Path=/elsewhere", "http://up/connect", loop.wallNow()));
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, {}, "alice", jar);
  ASSERT_EQ(outbox.count(), 1u);
  ASSERT_EQ(outbox.event(0).extraHeaders.size(), 1u);
  // Only the cookies for the handler's URL.
  EXPECT_EQ(http::findHeader(outbox.event(0).extraHeaders, "Cookie"),
            std::optional<std::string_view>("a=1"));
  auto hook = outbox.hook(0);
  ASSERT_TRUE(hook);
  hook({"b=2", "a=3"}, "http://up/connected");                      // as the outbox thread would
  EXPECT_EQ(jar->headerFor("http://up/x", loop.wallNow()), "a=1");  // not before the loop runs
  loop.runPending();
  s->onTransportClosed(&t, {TransportEnd::Cause::kLost, std::nullopt, ""});
  ASSERT_EQ(outbox.count(), 2u);
  const delivery::PendingEvent disconnected = outbox.event(1);  // a copy: keep it alive
  auto cookie = http::findHeader(disconnected.extraHeaders, "Cookie");
  ASSERT_TRUE(cookie);
  EXPECT_NE(cookie->find("a=3"), std::string_view::npos);
  EXPECT_NE(cookie->find("b=2"), std::string_view::npos);
  EXPECT_EQ(cookie->find("a=1"), std::string_view::npos);
  // A hook that outlives its session still has the jar (it keeps it alive).
  s.reset();
  jar.reset();
  hook({"c=3"}, "http://up/disconnected");
  loop.runPending();
}

TEST_F(SessionTest, AUserEventWaitsUntilTheConnectedEventSettled) {
  outbox.keepHooks = true;
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->onMessage(false, R"({"type":"event","event":"calc","data":"x","ackId":1})");
  s->onMessage(false, R"({"type":"joinGroup","group":"g","ackId":2})");
  EXPECT_FALSE(lastRequest("calc"));  // connected is still pending in the outbox
  outbox.release(0);                  // delivered
  auto idx = lastRequest("calc");
  ASSERT_TRUE(idx);
  EXPECT_EQ(*http::findHeader(client.request(*idx).headers, "ce-id"), "2");
  client.respond(*idx, 200);
  loop.runPending();
  ASSERT_EQ(t.frames.size(), 3u);  // connected, then the acks in order
  EXPECT_EQ(json(t.payload(1)).at("ackId"), 1);
  EXPECT_EQ(json(t.payload(2)).at("ackId"), 2);
}

TEST_F(SessionTest, AUserEventWaitsForAnUndeliveredConnectedEventAtMostFiveSeconds) {
  outbox.keepHooks = true;
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->onMessage(false, R"({"type":"event","event":"calc","data":"x"})");
  loop.advance(ClientSession::kConnectedOrderWait - 1ms);
  EXPECT_FALSE(lastRequest("calc"));
  loop.advance(1ms);
  EXPECT_TRUE(lastRequest("calc"));
  outbox.release(0);  // settling later changes nothing
  loop.runPending();
  EXPECT_EQ(client.count(), *lastRequest("calc") + 1);
}

TEST_F(SessionTest, AHeldUserEventOfAnEndedConnectionIsNeverSentAndDisconnectedFollows) {
  outbox.keepHooks = true;
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->onMessage(false, R"({"type":"event","event":"calc","data":"x"})");
  s->onTransportClosed(&t, {TransportEnd::Cause::kLost, std::nullopt, ""});
  EXPECT_FALSE(lastEvent(cloudevents::EventKind::kDisconnected));  // behind the held event
  outbox.release(0);
  loop.runPending();
  EXPECT_FALSE(lastRequest("calc"));
  auto d = lastEvent(cloudevents::EventKind::kDisconnected);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ceId, "3");
}

TEST_F(SessionTest, ConnectionStateChangesAreForwardedToTheOutbox) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->onMessage(false, R"({"type":"event","event":"calc","data":"x"})");
  loop.runPending();
  client.respond(*lastRequest("calc"), 200, {{"ce-connectionState", "c3RhdGU="}});
  loop.runPending();
  auto updates = outbox.stateUpdates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].connectionId, s->connectionId());
  EXPECT_EQ(updates[0].state, "c3RhdGU=");
  // An answer without the header changes nothing.
  s->onMessage(false, R"({"type":"event","event":"calc","data":"y"})");
  loop.runPending();
  client.respond(*lastRequest("calc"), 200);
  loop.runPending();
  EXPECT_EQ(outbox.stateUpdates().size(), 1u);
  s->onTransportClosed(&t, {TransportEnd::Cause::kLost, std::nullopt, ""});
  auto d = lastEvent(cloudevents::EventKind::kDisconnected);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->connectionState, "c3RhdGU=");
}

TEST_F(SessionTest, AnAbandonedConnectionGetsDisconnectedWithoutConnected) {
  SessionIdentity id;
  id.hubKey = "chat";
  id.connectionId = "abandoned";
  id.kind = ClientKind::kSimple;
  auto s = std::make_shared<ClientSession>(engine.worker(0), std::move(id));
  s->abandon();
  ASSERT_EQ(outbox.count(), 1u);
  EXPECT_EQ(outbox.event(0).kind, cloudevents::EventKind::kDisconnected);
  EXPECT_EQ(outbox.event(0).ceId, "1");  // never the connect event's 0
}

// --- Reliable sessions (client-protocols.md §7) ----------------------------------------------

TEST_F(SessionTest, ReliableMessagesCarrySequenceIdsAndAcksTrimTheBuffer) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJsonReliable);
  EXPECT_TRUE(json(t.payload(0)).as_object().contains("reconnectionToken"));
  t.frames.clear();
  for (int i = 0; i < 3; ++i) {
    protocol::DataMessage m;
    m.payload = {protocol::DataType::kText, "m" + std::to_string(i)};
    s->deliver(OutboundMessage(m));
  }
  ASSERT_EQ(t.frames.size(), 3u);
  EXPECT_EQ(json(t.payload(0)).at("sequenceId"), 1);
  EXPECT_EQ(json(t.payload(2)).at("sequenceId"), 3);
  EXPECT_EQ(s->bufferedMessages(), 3u);
  s->onMessage(false, R"({"type":"sequenceAck","sequenceId":2})");
  EXPECT_EQ(s->bufferedMessages(), 1u);
  s->onMessage(false, R"({"type":"sequenceAck","sequenceId":99})");  // beyond the last sent
  EXPECT_EQ(s->bufferedMessages(), 1u);
  // Acks, pongs and system messages carry no sequenceId.
  s->onMessage(false, R"({"type":"ping"})");
  EXPECT_FALSE(json(t.payload(3)).as_object().contains("sequenceId"));
}

TEST_F(SessionTest, ReliableBufferOverflowCloses1008) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJsonReliable);
  for (int i = 0; i < 6; ++i) {
    protocol::DataMessage m;
    m.payload = {protocol::DataType::kText, "m"};
    s->deliver(OutboundMessage(m));
  }
  ASSERT_TRUE(t.closed);
  EXPECT_EQ(t.closed->code, 1008);
  EXPECT_EQ(t.closed->reason, "The reliable message buffer is full.");
}

TEST_F(SessionTest, DroppedTransportIsRecoveredWithReplayAndNoNewEvents) {
  FakeTransport t1;
  auto s = open(t1, ClientKind::kJsonReliable);
  protocol::DataMessage m;
  m.payload = {protocol::DataType::kText, "before"};
  s->deliver(OutboundMessage(m));
  size_t requestsBefore = client.count();
  size_t eventsBefore = outbox.count();
  s->onTransportClosed(&t1, {TransportEnd::Cause::kLost, std::nullopt, ""});
  EXPECT_EQ(s->state(), ClientSession::State::kDetached);
  m.payload.data = "while away";
  s->deliver(OutboundMessage(m));
  loop.advance(10s);
  FakeTransport t2;
  ASSERT_TRUE(s->resume(&t2));
  // A `connected` message with the same id and token (spec 1.1 §3.7), then the replay with
  // the original ids.
  ASSERT_EQ(t2.frames.size(), 3u);
  auto connected = json(t2.payload(0));
  auto first = json(t1.payload(0));
  EXPECT_EQ(connected.at("event"), "connected");
  EXPECT_EQ(std::string(connected.at("connectionId").as_string()), s->connectionId());
  EXPECT_EQ(connected.at("reconnectionToken"), first.at("reconnectionToken"));
  EXPECT_FALSE(connected.as_object().contains("sequenceId"));
  EXPECT_EQ(json(t2.payload(1)).at("sequenceId"), 1);
  EXPECT_EQ(json(t2.payload(1)).at("data"), "before");
  EXPECT_EQ(json(t2.payload(2)).at("sequenceId"), 2);
  loop.runPending();
  EXPECT_EQ(client.count(), requestsBefore);  // no connect/connected/disconnected
  EXPECT_EQ(outbox.count(), eventsBefore);
}

TEST_F(SessionTest, RecoveryWindowExpiryEndsTheSession) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJsonReliable);
  s->onTransportClosed(&t, {TransportEnd::Cause::kLost, std::nullopt, ""});
  EXPECT_TRUE(engine.directory().find(s->connectionId()));  // still exists for REST
  loop.advance(31s);
  EXPECT_EQ(s->state(), ClientSession::State::kEnded);
  auto d = lastEvent(cloudevents::EventKind::kDisconnected);
  ASSERT_TRUE(d);
  EXPECT_EQ(json(d->body).at("reason"), "The connection recovery timeout expired.");
  FakeTransport late;
  EXPECT_FALSE(s->resume(&late));
}

TEST_F(SessionTest, ClientCloseWith1000EndsAReliableSessionAtOnce) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJsonReliable);
  s->onTransportClosed(&t, {TransportEnd::Cause::kClientClose, 1000, ""});
  EXPECT_EQ(s->state(), ClientSession::State::kEnded);
  FakeTransport t2;
  auto s2 = open(t2, ClientKind::kJsonReliable);
  s2->onTransportClosed(&t2, {TransportEnd::Cause::kClientClose, std::nullopt, ""});
  EXPECT_EQ(s2->state(), ClientSession::State::kDetached);  // 1005 keeps the session
}

// --- Shard ------------------------------------------------------------------------------------

TEST_F(SessionTest, ShardIndexesUsersGroupsAndFiltersWithoutTheRemovedSessions) {
  FakeTransport a, b;
  auto sa = open(a, ClientKind::kSimple, {}, "u1");
  auto sb = open(b, ClientKind::kSimple, {}, std::nullopt);
  Shard& shard = engine.shard(0);
  shard.join(*sa, "g");
  shard.join(*sb, "g");
  EXPECT_TRUE(shard.hasUser("chat", "u1"));
  EXPECT_TRUE(shard.hasGroup("chat", "g"));
  auto count = [&](const Target& target) {
    size_t n = 0;
    shard.forEachTarget("chat", target, [&](ClientSession&) { ++n; });
    return n;
  };
  EXPECT_EQ(count(Target::all()), 2u);
  EXPECT_EQ(count(Target::group("g")), 2u);
  EXPECT_EQ(count(Target::user("u1")), 1u);
  Target excluded = Target::group("g");
  excluded.excluded = {sa->connectionId()};
  EXPECT_EQ(count(excluded), 1u);
  Target filtered = Target::all();
  filtered.filter = std::make_shared<filter::Filter>(*filter::Filter::parse("userId eq null"));
  EXPECT_EQ(count(filtered), 1u);
  EXPECT_EQ(count(Target::connection(sb->connectionId())), 1u);
  sa->onTransportClosed(&a, {TransportEnd::Cause::kClientClose, 1000, ""});
  EXPECT_FALSE(shard.hasUser("chat", "u1"));
  EXPECT_EQ(count(Target::group("g")), 1u);
  shard.leave(*sb, "g");
  EXPECT_FALSE(shard.hasGroup("chat", "g"));
}

TEST_F(SessionTest, PreviewRequestsAreAnsweredWithoutClosing) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  t.frames.clear();
  s->onMessage(false, R"({"type":"setGroupState","ackId":4})");
  s->onMessage(false, R"({"type":"subscribeGroupState"})");  // no ackId: no answer
  s->onMessage(false, R"({"type":"subscribeGroupState","group":"g","ackId":5})");
  s->onMessage(false, R"({"type":"unsubscribeGroupState","group":"g","ackId":6})");
  s->onMessage(false, R"({"type":"setGroupState","group":"g","ackId":7})");  // clear
  ASSERT_EQ(t.frames.size(), 4u);
  // Group state (client-protocols-1.1.md §4): every request is acked BadRequest.
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(t.payload(i), R"({"type":"ack","ackId":)" + std::to_string(i + 4) +
                                R"(,"success":false,"error":{"name":"BadRequest",)"
                                R"("message":"Group state is not supported by this server."}})");
  }
  for (const auto& f : t.frames)
    EXPECT_EQ(static_cast<uint8_t>(f.flatten()[0]), 0x81);  // text frames
  EXPECT_FALSE(t.closed);
}

// --- Group streams (client-protocols-1.1.md §3) ----------------------------------------------

TEST_F(SessionTest, GroupStreamFragmentsReachEveryKindOfMember) {
  FakeTransport a, b, c, d;
  auto sa = open(a, ClientKind::kJson, {"webpubsub.sendToGroup"});
  auto sb = open(b, ClientKind::kSimple);
  auto sc = open(c, ClientKind::kJsonReliable);
  auto sd = open(d, ClientKind::kProtobuf);
  for (auto* s : {sa.get(), sb.get(), sc.get(), sd.get()})
    engine.shard(0).join(*s, "g");
  for (auto* t : {&a, &b, &c, &d})
    t->frames.clear();
  sa->onMessage(false,
                R"({"type":"sendToGroup","group":"g","noEcho":true,"stream":{"streamId":"s"}})");
  sa->onMessage(
      false,
      R"({"type":"streamData","streamId":"s","streamSequenceId":1,"dataType":"text","data":"hel"})");
  sa->onMessage(
      false,
      R"({"type":"streamData","streamId":"s","streamSequenceId":2,"dataType":"text","data":"lo"})");
  sa->onMessage(false, R"({"type":"streamEnd","streamId":"s","error":{"userErrorCode":"E1"}})");
  ASSERT_EQ(a.frames.size(), 3u);  // noEcho: only the start ack, the flushed ack, streamClosed
  EXPECT_EQ(a.payload(0), R"({"type":"streamAck","streamId":"s","expectedSequenceId":1})");
  EXPECT_EQ(a.payload(1), R"({"type":"streamAck","streamId":"s","expectedSequenceId":3})");
  EXPECT_EQ(a.payload(2), R"({"type":"streamClosed","streamId":"s"})");
  ASSERT_EQ(b.frames.size(), 2u);  // simple: raw fragments, no terminal frame
  EXPECT_EQ(b.payload(0), "hel");
  EXPECT_EQ(b.payload(1), "lo");
  ASSERT_EQ(c.frames.size(), 3u);
  auto f1 = json(c.payload(0));
  EXPECT_EQ(f1.at("sequenceId"), 1);
  EXPECT_EQ(f1.at("data"), "hel");
  EXPECT_EQ(f1.at("fromUserId"), "alice");
  EXPECT_EQ(f1.at("stream").at("streamId"), "s");
  EXPECT_EQ(f1.at("stream").at("streamSequenceId"), 1);
  auto end = json(c.payload(2));
  EXPECT_EQ(end.at("dataType"), "text");
  EXPECT_EQ(end.at("data"), "");
  EXPECT_EQ(end.at("stream").at("streamSequenceId"), 3);
  EXPECT_EQ(end.at("stream").at("endOfStream"), true);
  EXPECT_EQ(end.at("stream").at("error").at("name"), "UserError");
  EXPECT_EQ(end.at("stream").at("error").at("userErrorCode"), "E1");
  EXPECT_EQ(d.frames.size(), 3u);  // protobuf members get DataMessage.stream
  EXPECT_FALSE(a.closed);
}

TEST_F(SessionTest, GroupStreamRefusalsTimeoutsAndSessionEnd) {
  FakeTransport a, b;
  auto sa = open(a, ClientKind::kJson, {"webpubsub.sendToGroup.g"});
  auto sb = open(b, ClientKind::kJson);
  engine.shard(0).join(*sb, "g");
  a.frames.clear();
  b.frames.clear();
  sa->onMessage(false, R"({"type":"sendToGroup","group":"other","stream":{"streamId":"x"}})");
  EXPECT_EQ(json(a.payload(0)).at("error").at("name"), "Forbidden");
  sa->onMessage(false, R"({"type":"streamData","streamId":"nope"})");
  EXPECT_EQ(json(a.payload(1)).at("error").at("name"), "StreamNotFound");
  sa->onMessage(
      false,
      R"({"type":"sendToGroup","group":"g","stream":{"streamId":"s","idleTimeoutMs":2000}})");
  sa->onMessage(
      false,
      R"({"type":"streamData","streamId":"s","streamSequenceId":1,"dataType":"text","data":"a"})");
  loop.advance(100ms);  // the batched ack
  EXPECT_EQ(a.payload(3), R"({"type":"streamAck","streamId":"s","expectedSequenceId":2})");
  loop.advance(2s);
  EXPECT_EQ(json(a.payload(4)).at("error").at("name"), "IdleTimeout");
  EXPECT_EQ(json(b.payload(1)).at("stream").at("error").at("name"), "IdleTimeout");
  sa->onMessage(false, R"({"type":"sendToGroup","group":"g","stream":{"streamId":"t"}})");
  sa->onTransportClosed(&a, {TransportEnd::Cause::kClientClose, 1000, ""});
  auto last = json(b.payload(b.frames.size() - 1));
  EXPECT_EQ(last.at("stream").at("streamId"), "t");
  EXPECT_EQ(last.at("stream").at("error").at("name"), "Cancelled");
  EXPECT_FALSE(a.closed);
}

TEST_F(SessionTest, AStreamClosedSentWhileDetachedIsResentBeforeConnected) {
  FakeTransport t1, t2;
  auto s = open(t1, ClientKind::kJsonReliable, {"webpubsub.sendToGroup"});
  s->onMessage(
      false,
      R"({"type":"sendToGroup","group":"g","stream":{"streamId":"s","idleTimeoutMs":1000}})");
  s->onTransportClosed(&t1, {TransportEnd::Cause::kLost, std::nullopt, ""});
  loop.advance(1s);  // the idle timeout keeps running while detached; its streamClosed is lost
  ASSERT_TRUE(s->resume(&t2));
  ASSERT_GE(t2.frames.size(), 2u);
  auto closed = json(t2.payload(0));
  EXPECT_EQ(closed.at("type"), "streamClosed");
  EXPECT_EQ(closed.at("error").at("name"), "IdleTimeout");
  EXPECT_EQ(json(t2.payload(1)).at("event"), "connected");
  // A later frame for the id gets the same answer, not StreamNotFound.
  s->onMessage(false, R"({"type":"streamEnd","streamId":"s"})");
  EXPECT_EQ(json(t2.payload(t2.frames.size() - 1)).at("error").at("name"), "IdleTimeout");
}

// --- Protobuf stream publishers (client-protocols-1.1.md §3.2): the rules of the JSON ones ---

namespace pb = ::azure::webpubsub;

std::string pbStart(const std::string& group, const std::string& id,
                    std::optional<uint32_t> idleMs = std::nullopt) {
  pb::UpstreamMessage m;
  m.mutable_send_to_group_message()->set_group(group);
  m.mutable_send_to_group_message()->mutable_stream()->set_stream_id(id);
  if (idleMs) m.mutable_send_to_group_message()->mutable_stream()->set_idle_timeout_ms(*idleMs);
  return m.SerializeAsString();
}
std::string pbData(const std::string& id, uint64_t seq, const std::string& text) {
  pb::UpstreamMessage m;
  m.mutable_stream_data_message()->set_stream_id(id);
  m.mutable_stream_data_message()->set_stream_sequence_id(seq);
  m.mutable_stream_data_message()->mutable_data()->set_text_data(text);
  return m.SerializeAsString();
}
std::string pbEnd(const std::string& id) {
  pb::UpstreamMessage m;
  m.mutable_stream_end_message()->set_stream_id(id);
  return m.SerializeAsString();
}
pb::DownstreamMessage pbFrame(const FakeTransport& t, size_t i) {
  EXPECT_EQ(static_cast<uint8_t>(t.frames.at(i).flatten()[0]), 0x82);  // binary
  pb::DownstreamMessage m;
  EXPECT_TRUE(m.ParseFromString(t.payload(i)));
  return m;
}

TEST_F(SessionTest, ProtobufPublisherStartsSendsAndEndsAStream) {
  FakeTransport a, b;
  auto sa = open(a, ClientKind::kProtobuf, {"webpubsub.sendToGroup"});
  auto sb = open(b, ClientKind::kJson);
  engine.shard(0).join(*sb, "g");
  a.frames.clear();
  b.frames.clear();
  sa->onMessage(true, pbStart("g", "s"));
  ASSERT_EQ(a.frames.size(), 1u);
  auto ack = pbFrame(a, 0);
  ASSERT_EQ(ack.message_case(), pb::DownstreamMessage::kStreamAckMessage);
  EXPECT_EQ(ack.stream_ack_message().stream_id(), "s");
  EXPECT_EQ(ack.stream_ack_message().expected_sequence_id(), 1u);
  sa->onMessage(true, pbData("s", 1, "hel"));
  sa->onMessage(true, pbData("s", 2, "lo"));
  loop.advance(100ms);  // the batched ack
  ASSERT_EQ(a.frames.size(), 2u);
  EXPECT_EQ(pbFrame(a, 1).stream_ack_message().expected_sequence_id(), 3u);
  sa->onMessage(true, pbEnd("s"));
  ASSERT_EQ(a.frames.size(), 3u);
  auto closed = pbFrame(a, 2);
  ASSERT_EQ(closed.message_case(), pb::DownstreamMessage::kStreamClosedMessage);
  EXPECT_EQ(closed.stream_closed_message().stream_id(), "s");
  EXPECT_FALSE(closed.stream_closed_message().has_error());
  // The JSON subscriber sees the same fragments and terminal message as from a JSON publisher.
  ASSERT_EQ(b.frames.size(), 3u);
  EXPECT_EQ(json(b.payload(0)).at("data"), "hel");
  EXPECT_EQ(json(b.payload(0)).at("stream").at("streamSequenceId"), 1);
  EXPECT_EQ(json(b.payload(1)).at("data"), "lo");
  EXPECT_EQ(json(b.payload(2)).at("stream").at("endOfStream"), true);
  EXPECT_EQ(json(b.payload(2)).at("stream").at("streamSequenceId"), 3);
  EXPECT_FALSE(a.closed);
}

TEST_F(SessionTest, ProtobufPublisherIsNackedOnAGapAndGetsStreamClosedOnErrors) {
  FakeTransport a;
  auto sa = open(a, ClientKind::kProtobuf, {"webpubsub.sendToGroup.g"});
  a.frames.clear();
  sa->onMessage(true, pbStart("g", "s"));
  sa->onMessage(true, pbData("s", 3, "x"));
  auto nack = pbFrame(a, 1);
  ASSERT_EQ(nack.message_case(), pb::DownstreamMessage::kStreamNackMessage);
  EXPECT_EQ(nack.stream_nack_message().stream_id(), "s");
  EXPECT_EQ(nack.stream_nack_message().name(), "InvalidSequenceId");
  EXPECT_EQ(nack.stream_nack_message().expected_sequence_id(), 1u);
  sa->onMessage(true, pbStart("other", "t"));  // no permission for this group
  EXPECT_EQ(pbFrame(a, 2).stream_closed_message().error().name(), "Forbidden");
  sa->onMessage(true, pbEnd("nope"));
  EXPECT_EQ(pbFrame(a, 3).stream_closed_message().error().name(), "StreamNotFound");
  sa->onMessage(true, pbStart("g", ""));  // an empty id: BadRequest, the connection stays
  EXPECT_EQ(pbFrame(a, 4).stream_closed_message().error().name(), "BadRequest");
  sa->onMessage(true, pbStart("g", "idle", 1000));
  loop.advance(1s);
  auto idle = pbFrame(a, a.frames.size() - 1);
  EXPECT_EQ(idle.stream_closed_message().stream_id(), "idle");
  EXPECT_EQ(idle.stream_closed_message().error().name(), "IdleTimeout");
  EXPECT_FALSE(a.closed);
}

TEST_F(SessionTest, ProtobufReliablePublisherGetsItsStreamClosedAgainAfterARecovery) {
  FakeTransport t1, t2;
  auto s = open(t1, ClientKind::kProtobufReliable, {"webpubsub.sendToGroup"});
  s->onMessage(true, pbStart("g", "s", 1000));
  s->onTransportClosed(&t1, {TransportEnd::Cause::kLost, std::nullopt, ""});
  loop.advance(1s);  // the idle timeout keeps running while detached; its streamClosed is lost
  ASSERT_TRUE(s->resume(&t2));
  ASSERT_GE(t2.frames.size(), 2u);
  auto closed = pbFrame(t2, 0);
  ASSERT_EQ(closed.message_case(), pb::DownstreamMessage::kStreamClosedMessage);
  EXPECT_EQ(closed.stream_closed_message().error().name(), "IdleTimeout");
  EXPECT_TRUE(pbFrame(t2, 1).system_message().has_connected_message());
  s->onMessage(true, pbEnd("s"));  // a later frame for the id gets the same answer
  EXPECT_EQ(pbFrame(t2, t2.frames.size() - 1).stream_closed_message().error().name(),
            "IdleTimeout");
}

// EventMessage.stream = 5 (an upstream event stream) is not defined by any spec (§7 q. 4).
TEST_F(SessionTest, ProtobufEventStreamStartCloses1007) {
  FakeTransport t;
  auto s = open(t, ClientKind::kProtobuf, {"webpubsub.sendToGroup"});
  pb::UpstreamMessage m;
  m.mutable_event_message()->set_event("e");
  m.mutable_event_message()->mutable_stream()->set_stream_id("s");
  s->onMessage(true, m.SerializeAsString());
  ASSERT_TRUE(t.closed);
  EXPECT_EQ(t.closed->code, 1007);
}

// --- Invocations (client-protocols-1.1.md §1) -------------------------------------------------

TEST_F(SessionTest, AnInvokeIsPostedLikeACustomEventAndDoesNotBlockTheConnection) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  t.frames.clear();
  s->onMessage(false, R"({"type":"invoke","invocationId":"1","target":"event","event":"calc",)"
                      R"("dataType":"json","data":{"orderId":1}})");
  auto first = lastRequest("calc");
  ASSERT_TRUE(first);
  s->onMessage(false, R"({"type":"invoke","invocationId":"2","event":"calc"})");
  s->onMessage(false, R"({"type":"ping"})");
  ASSERT_EQ(t.frames.size(), 1u);  // the pong: both calls are still pending
  EXPECT_EQ(json(t.payload(0)).at("type"), "pong");
  auto second = lastRequest("calc");
  ASSERT_NE(*first, *second);
  const auto& req = client.request(*first);
  EXPECT_EQ(req.body, R"({"orderId":1})");
  EXPECT_EQ(*http::findHeader(req.headers, "Content-Type"), "application/json");
  EXPECT_EQ(*http::findHeader(req.headers, "ce-type"), "azure.webpubsub.user.calc");
  EXPECT_EQ(*http::findHeader(req.headers, "ce-eventName"), "calc");
  EXPECT_FALSE(http::findHeader(req.headers, "ce-invocationId"));  // off by default
  EXPECT_EQ(*http::findHeader(client.request(*second).headers, "Content-Type"), "text/plain");
  EXPECT_EQ(client.request(*second).body, "");
  // Answered in any order.
  client.respond(*second, 204);
  loop.runPending();
  client.respond(*first, 200,
                 {{"Content-Type", "application/json"}, {"ce-connectionState", "c3Q="}},
                 R"({"ok":true})");
  loop.runPending();
  ASSERT_EQ(t.frames.size(), 3u);
  EXPECT_EQ(t.payload(1), R"({"type":"invokeResponse","invocationId":"2","success":true})");
  EXPECT_EQ(t.payload(2), R"({"type":"invokeResponse","invocationId":"1","success":true,)"
                          R"("dataType":"json","data":{"ok":true}})");
  EXPECT_EQ(static_cast<uint8_t>(t.frames[2].flatten()[0]), 0x81);  // a text frame
  ASSERT_EQ(outbox.stateUpdates().size(), 1u);
  EXPECT_EQ(outbox.stateUpdates()[0].state, "c3Q=");
}

TEST_F(SessionTest, InvocationFailuresAreWellFormedAndKeepTheConnection) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  t.frames.clear();
  s->onMessage(false, R"({"type":"invoke","invocationId":"nf","event":"calc"})");
  client.respond(*lastRequest("calc"), 404, {{"Content-Type", "text/plain"}}, "secret");
  s->onMessage(false, R"({"type":"invoke","invocationId":"to","event":"calc"})");
  client.fail(*lastRequest("calc"), StatusCode::kDeadlineExceeded);
  s->onMessage(false, R"({"type":"invoke","invocationId":"ct","event":"calc"})");
  client.respond(*lastRequest("calc"), 200, {{"Content-Type", "text/html"}}, "<p>");
  loop.runPending();
  ASSERT_EQ(t.frames.size(), 3u);
  EXPECT_EQ(t.payload(0), R"({"type":"invokeResponse","invocationId":"nf","success":false,)"
                          R"("error":{"name":"NotFound","message":)"
                          R"("The event handler answered the invocation with status 404."}})");
  EXPECT_EQ(t.payload(1), R"({"type":"invokeResponse","invocationId":"to","success":false,)"
                          R"("error":{"name":"Timeout","message":)"
                          R"("The upstream did not answer in time."}})");
  EXPECT_EQ(json(t.payload(2)).at("error").at("name"), "InternalServerError");
  EXPECT_FALSE(t.closed);
}

TEST_F(SessionTest, InvokeValidationFollowsTheSpecTable) {
  settings.limits.maxPendingInvocations = 2;
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  t.frames.clear();
  auto posted = [&] {
    size_t n = 0;
    for (size_t i = 0; i < client.count(); ++i)
      n += client.request(i).url.ends_with("/e") ? 1 : 0;
    return n;
  };
  s->onMessage(false, R"({"type":"invoke","invocationId":"b","target":"group","event":"e"})");
  s->onMessage(false, R"({"type":"invoke","invocationId":"c","event":"1e"})");
  s->onMessage(false,
               R"({"type":"invoke","invocationId":"d","event":"e","dataType":"text","data":1})");
  passValidation();
  EXPECT_EQ(posted(), 0u);  // nothing posted
  ASSERT_EQ(t.frames.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    auto r = json(t.payload(i));
    EXPECT_EQ(r.at("success"), false);
    EXPECT_EQ(r.at("error").at("name"), "BadRequest");
    EXPECT_TRUE(std::string_view(r.at("error").at("message").as_string().c_str())
                    .starts_with("The invocation is invalid"));
  }
  s->onMessage(false, R"({"type":"invoke","invocationId":"1","event":"e"})");
  s->onMessage(false, R"({"type":"invoke","invocationId":"1","event":"e"})");  // ignored
  s->onMessage(false, R"({"type":"invoke","invocationId":"2","event":"e"})");
  s->onMessage(false, R"({"type":"invoke","invocationId":"3","event":"e"})");  // over the limit
  passValidation();
  EXPECT_EQ(posted(), 2u);
  ASSERT_EQ(t.frames.size(), 4u);
  EXPECT_EQ(t.payload(3), R"({"type":"invokeResponse","invocationId":"3","success":false,)"
                          R"("error":{"name":"TooManyRequests","message":)"
                          R"("Too many pending invocations (limits.max_pending_invocations)."}})");
  EXPECT_FALSE(t.closed);
  s->onMessage(false, R"({"type":"invoke","invocationId":"","event":"e"})");
  ASSERT_TRUE(t.closed);
  EXPECT_EQ(t.closed->code, 1007);
}

TEST_F(SessionTest, CancelInvocationDropsTheLateAnswerAndSendsNothing) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  t.frames.clear();
  s->onMessage(false, R"({"type":"invoke","invocationId":"1","event":"calc","data":"x"})");
  auto first = lastRequest("calc");
  ASSERT_TRUE(first);
  s->onMessage(false, R"({"type":"cancelInvocation","invocationId":"1"})");
  s->onMessage(false, R"({"type":"cancelInvocation","invocationId":"unknown"})");
  EXPECT_TRUE(client.cancelled(*first));
  client.respond(*first, 200, {{"Content-Type", "text/plain"}}, "late");
  loop.runPending();
  EXPECT_TRUE(t.frames.empty());
  // The id is free again: a new call.
  s->onMessage(false, R"({"type":"invoke","invocationId":"1","event":"calc","data":"y"})");
  auto second = lastRequest("calc");
  ASSERT_NE(*first, *second);
  client.respond(*second, 200, {{"Content-Type", "text/plain"}}, "fresh");
  loop.runPending();
  ASSERT_EQ(t.frames.size(), 1u);
  EXPECT_EQ(t.payload(0), R"({"type":"invokeResponse","invocationId":"1","success":true,)"
                          R"("dataType":"text","data":"fresh"})");
}

TEST_F(SessionTest, InvokeAnswersGoOnlyToAnAttachedTransportAndAreNeverReplayed) {
  FakeTransport t1;
  auto s = open(t1, ClientKind::kJsonReliable);
  s->onMessage(false, R"({"type":"invoke","invocationId":"lost","event":"calc"})");
  auto lost = lastRequest("calc");
  s->onMessage(false, R"({"type":"invoke","invocationId":"kept","event":"calc"})");
  auto kept = lastRequest("calc");
  s->onTransportClosed(&t1, {TransportEnd::Cause::kLost, std::nullopt, ""});
  ASSERT_EQ(s->state(), ClientSession::State::kDetached);
  EXPECT_FALSE(client.cancelled(*lost));  // pending calls finish while detached
  client.respond(*lost, 200, {{"Content-Type", "text/plain"}}, "while away");
  loop.runPending();
  FakeTransport t2;
  ASSERT_TRUE(s->resume(&t2));
  ASSERT_EQ(t2.frames.size(), 1u);  // only `connected` (spec 1.1 §3.7): nothing replayed
  EXPECT_EQ(json(t2.payload(0)).at("event"), "connected");
  EXPECT_EQ(s->bufferedMessages(), 0u);
  client.respond(*kept, 204);
  loop.runPending();
  ASSERT_EQ(t2.frames.size(), 2u);
  EXPECT_EQ(t2.payload(1), R"({"type":"invokeResponse","invocationId":"kept","success":true})");
}

TEST_F(SessionTest, PendingInvocationsAreCancelledWhenTheSessionEnds) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->onMessage(false, R"({"type":"invoke","invocationId":"1","event":"calc"})");
  auto idx = lastRequest("calc");
  ASSERT_TRUE(idx);
  s->onTransportClosed(&t, {TransportEnd::Cause::kClientClose, 1000, ""});
  EXPECT_EQ(s->state(), ClientSession::State::kEnded);
  EXPECT_TRUE(client.cancelled(*idx));
  EXPECT_TRUE(lastEvent(cloudevents::EventKind::kDisconnected));  // not behind the invocation
}

TEST_F(SessionTest, AnInvocationWaitsForTheConnectedEventAndCanCarryItsId) {
  settings.upstream.invocationIdHeader = true;
  outbox.keepHooks = true;
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  s->onMessage(false, R"({"type":"invoke","invocationId":"a\nb","event":"calc"})");
  s->onMessage(false, R"({"type":"ping"})");
  EXPECT_FALSE(lastRequest("calc"));  // connected is still pending in the outbox
  EXPECT_EQ(json(t.payload(t.frames.size() - 1)).at("type"), "pong");  // not blocked
  outbox.release(0);
  auto idx = lastRequest("calc");
  ASSERT_TRUE(idx);
  EXPECT_EQ(*http::findHeader(client.request(*idx).headers, "ce-id"), "2");
  EXPECT_EQ(*http::findHeader(client.request(*idx).headers, "ce-invocationId"), "a%0Ab");
}

TEST_F(SessionTest, ProtobufInvokeStaysAnInvalidMessage) {
  FakeTransport t;
  auto s = open(t, ClientKind::kProtobuf);
  // UpstreamMessage{invoke_event_message (10) = {}}: no released schema defines it (§1.2).
  s->onMessage(true, std::string("\x52\x00", 2));
  ASSERT_TRUE(t.closed);
  EXPECT_EQ(t.closed->code, 1007);
}

TEST_F(SessionTest, DuplicateAckIdsAreAnsweredBeforeAnyOtherCheckForEveryAckedRequest) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, {"webpubsub.joinLeaveGroup.g1"});
  t.frames.clear();
  s->onMessage(false, R"({"type":"joinGroup","group":"g1","ackId":7})");
  size_t upstreamBefore = client.count();
  s->onMessage(false, R"({"type":"sendToGroup","group":"g1","data":"x","ackId":7})");
  s->onMessage(false, R"({"type":"event","event":"e","data":"x","ackId":7})");
  s->onMessage(false, R"({"type":"leaveGroup","group":"g1","ackId":7})");
  loop.runPending();
  EXPECT_EQ(client.count(), upstreamBefore);  // no event was sent
  EXPECT_TRUE(s->inGroup("g1"));              // the duplicate leave did nothing
  ASSERT_EQ(t.frames.size(), 4u);
  const std::string duplicate =
      R"({"type":"ack","ackId":7,"success":false,"error":{"name":"Duplicate",)"
      R"("message":"Message with ack-id: 7 has been processed"}})";
  for (size_t i = 1; i < 4; ++i)
    EXPECT_EQ(t.payload(i), duplicate) << i;
}

// webpubsubd_blocking_event_duration_seconds: from the frame's arrival (time queued behind an
// earlier blocking event included) to the answer queued to the client.
TEST_F(SessionTest, BlockingLatencyRunsFromTheFramesArrivalToTheQueuedAnswer) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson);
  auto& events = engine.worker(0).counters.blockingLatency[0];
  s->onMessage(false, R"({"type":"event","event":"a","data":"x","ackId":1})");
  s->onMessage(false, R"({"type":"event","event":"b","data":"x","ackId":2})");  // queued
  auto a = lastRequest("/a");
  ASSERT_TRUE(a);
  loop.advance(10ms);
  client.respond(*a, 204);
  loop.runPending();
  auto b = lastRequest("/b");
  ASSERT_TRUE(b);
  loop.advance(20ms);
  client.respond(*b, 204);
  loop.runPending();
  // a: 10 ms (bucket le=0.01), b: 30 ms, 10 of them queued behind a (bucket le=0.05).
  EXPECT_EQ(events.buckets[3].value(), 1u);
  EXPECT_EQ(events.buckets[5].value(), 1u);
  EXPECT_EQ(events.sumMicros.value(), 40000u);
  auto& invokes = engine.worker(0).counters.blockingLatency[1];
  s->onMessage(false, R"({"type":"invoke","invocationId":"1","event":"calc"})");
  auto call = lastRequest("calc");
  ASSERT_TRUE(call);
  loop.advance(300ms);
  client.respond(*call, 200, {{"Content-Type", "text/plain"}}, "ok");
  loop.runPending();
  EXPECT_EQ(invokes.buckets[8].value(), 1u);  // le=0.5
  EXPECT_EQ(invokes.sumMicros.value(), 300000u);
  std::string text = engine.metrics().render();
  EXPECT_NE(text.find("webpubsubd_blocking_event_duration_seconds_count{kind=\"event\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("webpubsubd_blocking_event_duration_seconds_sum{kind=\"invoke\"} 0.3\n"),
            std::string::npos);
}

// The stage histograms of a blocking event: frame read → request written (the answer's
// requestWritten) → answer read (answerRead) → reply frame written (the transport reports the
// watched frame).
TEST_F(SessionTest, BlockingStagesSplitAtTheAnswersTimestampsAndTheReplysWrite) {
  using metrics::BlockingKind;
  using metrics::BlockingStage;
  auto& counters = engine.worker(0).counters;
  auto stage = [&](BlockingStage st) -> auto& {
    return counters.blockingStages[static_cast<size_t>(st) * metrics::kBlockingKinds +
                                   static_cast<size_t>(BlockingKind::kEvent)];
  };
  FakeTransport t, other;
  auto s = open(t, ClientKind::kSimple);
  const TimePoint arrived = loop.now();
  s->onMessage(false, "one");
  auto r = lastRequest("message");
  ASSERT_TRUE(r);
  http::HttpResponse answer{200, {{"Content-Type", "text/plain"}}, "re:one"};
  answer.requestWritten = arrived + 200us;
  answer.answerRead = arrived + 3ms;
  loop.advance(4ms);
  client.respond(*r, std::move(answer));
  loop.runPending();
  EXPECT_EQ(stage(BlockingStage::kRequest).buckets[2].value(), 1u);   // 200 µs: le=0.00025
  EXPECT_EQ(stage(BlockingStage::kUpstream).buckets[6].value(), 1u);  // 2.8 ms: le=0.005
  EXPECT_EQ(stage(BlockingStage::kUpstream).sumMicros.value(), 2800u);
  ASSERT_EQ(t.frames.size(), 1u);
  ASSERT_TRUE(t.watched);
  EXPECT_EQ(*t.watched, t.queued - 1);                            // the reply frame
  EXPECT_EQ(stage(BlockingStage::kReply).sumMicros.value(), 0u);  // not written yet
  loop.advance(1ms);
  s->onWatchedFrameWritten(&other);  // not its transport: ignored
  s->onWatchedFrameWritten(&t);
  s->onWatchedFrameWritten(&t);                                    // observed once
  EXPECT_EQ(stage(BlockingStage::kReply).buckets[5].value(), 1u);  // 2 ms: le=0.0025
  EXPECT_EQ(stage(BlockingStage::kReply).sumMicros.value(), 2000u);
  // An answer without timestamps (a client that does not measure) adds no stage.
  t.watched.reset();
  s->onMessage(false, "two");
  auto r2 = lastRequest("message");
  ASSERT_TRUE(r2);
  client.respond(*r2, 200, {{"Content-Type", "text/plain"}}, "re:two");
  loop.runPending();
  EXPECT_EQ(t.frames.size(), 2u);
  EXPECT_FALSE(t.watched);
  EXPECT_EQ(stage(BlockingStage::kRequest).sumMicros.value(), 200u);
  uint64_t requests = 0;
  for (const auto& b : stage(BlockingStage::kRequest).buckets)
    requests += b.value();
  EXPECT_EQ(requests, 1u);
}

// webpubsubd_hub_connections, webpubsubd_detached_sessions and webpubsubd_groups follow the
// sessions' lifecycle.
TEST_F(SessionTest, ConnectionLevelGaugesFollowTheSessions) {
  auto& counters = engine.worker(0).counters;
  size_t chat = engine.metrics().hubLabels.slotOf("chat");
  using metrics::ClientProtocol;
  auto level = [&](ClientProtocol p) {
    return metrics::Metrics::hubConnections(counters, chat, p).value();
  };
  FakeTransport t1, t2, t3;
  auto simple = open(t1, ClientKind::kSimple);
  auto reliable = open(t2, ClientKind::kJsonReliable);
  EXPECT_EQ(level(ClientProtocol::kSimple), 1);
  EXPECT_EQ(level(ClientProtocol::kJsonReliable), 1);
  EXPECT_EQ(level(ClientProtocol::kJson), 0);
  engine.shard(0).join(*simple, "g1");
  engine.shard(0).join(*reliable, "g1");
  engine.shard(0).join(*reliable, "g2");
  EXPECT_EQ(counters.groups.value(), 2);
  engine.shard(0).leave(*reliable, "g1");
  EXPECT_EQ(counters.groups.value(), 2);  // g1 still has a member
  reliable->onTransportClosed(&t2, {TransportEnd::Cause::kLost, std::nullopt, ""});
  EXPECT_EQ(counters.detachedSessions.value(), 1);
  EXPECT_EQ(level(ClientProtocol::kJsonReliable), 1);  // a detached session is a connection
  ASSERT_TRUE(reliable->resume(&t3));
  EXPECT_EQ(counters.detachedSessions.value(), 0);
  reliable->onTransportClosed(&t3, {TransportEnd::Cause::kLost, std::nullopt, ""});
  EXPECT_EQ(counters.detachedSessions.value(), 1);
  loop.advance(31s);  // the recovery window passes: the session ends
  EXPECT_EQ(reliable->state(), ClientSession::State::kEnded);
  EXPECT_EQ(counters.detachedSessions.value(), 0);
  EXPECT_EQ(level(ClientProtocol::kJsonReliable), 0);
  EXPECT_EQ(counters.groups.value(), 1);  // g2 went with its only member
  simple->onTransportClosed(&t1, {TransportEnd::Cause::kClientClose, 1000, ""});
  EXPECT_EQ(level(ClientProtocol::kSimple), 0);
  EXPECT_EQ(counters.groups.value(), 0);
  EXPECT_EQ(counters.connections.value(), 0);
}

// webpubsubd_connections_closed_total: every close the server starts, by stable reason.
TEST_F(SessionTest, ServerInitiatedClosesAreCountedByReason) {
  auto& counters = engine.worker(0).counters;
  auto closes = [&](metrics::CloseReason r) {
    return counters.closes[static_cast<size_t>(r)].value();
  };
  FakeTransport t1, t2, t3, t4, t5;
  auto a = open(t1, ClientKind::kJson);
  a->onMessage(false, "not json");
  a->onMessage(false, "not json");  // already closing: counted once
  EXPECT_EQ(closes(metrics::CloseReason::kInvalidMessage), 1u);
  auto b = open(t2, ClientKind::kJson);
  b->closeByAppServer("bye");
  EXPECT_EQ(closes(metrics::CloseReason::kAppServer), 1u);
  auto c = open(t3, ClientKind::kSimple);
  c->onTransportError(&t3, 1002, "Reserved bits are set.");  // the parser's own text
  EXPECT_EQ(closes(metrics::CloseReason::kInvalidFrame), 1u);
  auto d = open(t4, ClientKind::kJsonReliable);
  FakeTransport t4b;
  ASSERT_TRUE(d->resume(&t4b));  // t4 still attached: replaced
  EXPECT_EQ(closes(metrics::CloseReason::kReplaced), 1u);
  auto e = open(t5, ClientKind::kJson);
  e->onTransportError(&t5, 1011, "Something new.");
  EXPECT_EQ(closes(metrics::CloseReason::kOther), 1u);
  EXPECT_EQ(counters.otherCloses[metrics::otherCloseCodeIndex(1011)].value(), 1u);
  std::string text = engine.metrics().render();
  for (const char* line :
       {"webpubsubd_connections_closed_total{reason=\"invalid_message\",code=\"1007\"} 1\n",
        "webpubsubd_connections_closed_total{reason=\"app_server\",code=\"1000\"} 1\n",
        "webpubsubd_connections_closed_total{reason=\"other\",code=\"1011\"} 1\n",
        "webpubsubd_connections_closed_total{reason=\"shutdown\",code=\"1001\"} 0\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

// webpubsubd_limit_hits_total: the limits without a close or refusal of their own.
TEST_F(SessionTest, LimitHitsAreCounted) {
  settings.limits.maxGroupsPerConnection = 1;
  settings.limits.maxPendingInvocations = 1;
  settings.limits.inboundQueueMessages = 2;
  auto& counters = engine.worker(0).counters;
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, {"webpubsub.joinLeaveGroup"});
  s->onMessage(false, R"({"type":"joinGroup","group":"g1"})");
  s->onMessage(false, R"({"type":"joinGroup","group":"g2","ackId":1})");
  EXPECT_EQ(counters.groupLimitHits.value(), 1u);
  EXPECT_FALSE(engine.shard(0).join(*s, "g3"));  // REST joins count too
  EXPECT_EQ(counters.groupLimitHits.value(), 2u);
  s->onMessage(false, R"({"type":"invoke","invocationId":"1","event":"calc"})");
  s->onMessage(false, R"({"type":"invoke","invocationId":"2","event":"calc"})");
  EXPECT_EQ(counters.invocationLimitHits.value(), 1u);
  s->onMessage(false, R"({"type":"event","event":"slow","data":"x"})");
  s->onMessage(false, R"({"type":"ping"})");
  s->onMessage(false, R"({"type":"ping"})");  // the queue is full: reading pauses
  EXPECT_EQ(counters.inboundQueueFull.value(), 1u);
  std::string text = engine.metrics().render();
  EXPECT_NE(text.find("webpubsubd_limit_hits_total{limit=\"max_groups_per_connection\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("webpubsubd_limit_hits_total{limit=\"inbound_queue\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace wps::core
