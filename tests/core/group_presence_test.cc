// Group presence events from the core (client-protocols-1.1.md §2.3): one `joined`/`left` per
// real membership change, from every source (client join/leave, the Broker's REST operations,
// initial groups, session end), handed to the outbox in the connection's order with
// `connected` and `disconnected`; none for a repeated join, the leave of a non-member, a
// refused request or a recovered transport drop; only for the groups a handler's filters take.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "config/loader.h"
#include "core/engine.h"
#include "core/session.h"
#include "core/shard.h"
#include "fakes/fake_event_outbox.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"
#include "filter/filter.h"

namespace wps::core {
namespace {

using namespace std::chrono_literals;
using cloudevents::EventKind;
using protocol::ClientKind;
using test::FakeTransport;

config::ServerSettings presenceSettings() {
  std::string toml = R"(
access_keys = ["group-presence-test-key-0123456789abcdef"]
workers = 1
[reliable]
recovery_window_seconds = 30
[[hubs.chat.event_handlers]]
url_template = "http://up/{event}"
system_events = ["connected", "disconnected"]
user_event_pattern = "*"
group_presence_events = { event_names = ["joined", "left"], group_filters = ["room-*", "lobby"] }
)";
  auto s = config::loadSettings(toml);
  EXPECT_TRUE(s.isOk()) << s.status().toString();
  return s ? std::move(s.value()) : config::ServerSettings{};
}

class GroupPresenceTest : public ::testing::Test {
 protected:
  GroupPresenceTest()
      : settings(presenceSettings()), client(loop), engine(settings, {{&loop, &client}}) {
    engine.setOutbox(&outbox);
  }

  std::shared_ptr<ClientSession> open(FakeTransport& t, ClientKind kind, std::string id,
                                      std::optional<std::string> user,
                                      std::vector<std::string> initialGroups = {}) {
    SessionIdentity identity;
    identity.hubKey = "chat";
    identity.connectionId = std::move(id);
    identity.userId = std::move(user);
    identity.kind = kind;
    identity.subprotocol = std::string(protocol::subprotocolName(kind));
    identity.roles = {"webpubsub.joinLeaveGroup.room-1", "webpubsub.joinLeaveGroup.room-2",
                      "webpubsub.joinLeaveGroup.other"};
    identity.initialGroups = std::move(initialGroups);
    identity.origin = "localhost";
    auto s = std::make_shared<ClientSession>(engine.worker(0), std::move(identity));
    s->start(&t);
    loop.runPending();
    return s;
  }

  // "connected", "joined:g", "left:g", "disconnected" for the events of `connectionId`, in
  // acceptance order (the order the outbox keeps per connection).
  std::vector<std::string> eventsOf(const std::string& connectionId) const {
    std::vector<std::string> out;
    for (const auto& ev : outbox.eventsOf(connectionId)) {
      std::string name(cloudevents::ceEventName(ev.kind, ""));
      if (cloudevents::isGroupPresence(ev.kind)) {
        name += ":" + std::string(boost::json::parse(ev.body).at("group").as_string());
      }
      out.push_back(name);
    }
    return out;
  }

  template <class Op>
  void run(Op op) {
    bool finished = false;
    op([&](auto) { finished = true; });
    loop.runPending();
    EXPECT_TRUE(finished);
  }

  using Events = std::vector<std::string>;
  test::ManualEventLoop loop;
  config::ServerSettings settings;
  test::FakeUpstreamClient client;
  test::FakeEventOutbox outbox;
  Engine engine;
};

TEST_F(GroupPresenceTest, ClientJoinAndLeaveFireOncePerRealChange) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, "c1", "alice");
  s->onMessage(false, R"({"type":"joinGroup","group":"room-1","ackId":1})");
  s->onMessage(false, R"({"type":"joinGroup","group":"room-1","ackId":2})");   // already in
  s->onMessage(false, R"({"type":"joinGroup","group":"room-1","ackId":1})");   // Duplicate
  s->onMessage(false, R"({"type":"leaveGroup","group":"room-2","ackId":3})");  // not a member
  s->onMessage(false, R"({"type":"joinGroup","group":"room-9","ackId":4})");   // Forbidden
  s->onMessage(false, R"({"type":"leaveGroup","group":"room-1","ackId":5})");
  s->onMessage(false, R"({"type":"leaveGroup","group":"room-1","ackId":6})");  // not any more
  EXPECT_EQ(eventsOf("c1"), (Events{"connected", "joined:room-1", "left:room-1"}));
  // The event carries the connection's identity and the next ce-id, as `connected` does.
  auto joined = outbox.eventsOf("c1").at(1);
  EXPECT_EQ(joined.kind, EventKind::kGroupJoined);
  EXPECT_EQ(joined.hub, "chat");
  EXPECT_EQ(joined.userId, std::optional<std::string>("alice"));
  EXPECT_EQ(joined.subprotocol, "json.webpubsub.azure.v1");
  EXPECT_EQ(joined.origin, "localhost");
  EXPECT_EQ(joined.ceId, "2");
  EXPECT_EQ(joined.contentType, "application/json");
  EXPECT_EQ(joined.body, R"({"group":"room-1"})");
  EXPECT_EQ(outbox.eventsOf("c1").at(2).ceId, "3");
}

TEST_F(GroupPresenceTest, FilteredOutGroupsFireNothingAndTakeNoCeId) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, "c1", std::nullopt);
  s->onMessage(false, R"({"type":"joinGroup","group":"other","ackId":1})");
  EXPECT_TRUE(s->inGroup("other"));
  s->onMessage(false, R"({"type":"joinGroup","group":"room-2","ackId":2})");
  EXPECT_EQ(eventsOf("c1"), (Events{"connected", "joined:room-2"}));
  auto joined = outbox.eventsOf("c1").at(1);
  EXPECT_EQ(joined.ceId, "2");  // "other" took none
  EXPECT_EQ(joined.userId, std::nullopt);
}

TEST_F(GroupPresenceTest, InitialGroupsJoinAfterConnectedAndSessionEndLeavesBeforeDisconnected) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, "c1", "alice", {"lobby", "room-1", "other"});
  EXPECT_EQ(eventsOf("c1"), (Events{"connected", "joined:lobby", "joined:room-1"}));
  s->closeByAppServer("bye");
  s->onTransportClosed(&t, {TransportEnd::Cause::kServiceClose, 1000, ""});
  EXPECT_EQ(eventsOf("c1"), (Events{"connected", "joined:lobby", "joined:room-1", "left:lobby",
                                    "left:room-1", "disconnected"}));
}

TEST_F(GroupPresenceTest, ClientCloseLeavesEveryGroupHeld) {
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, "c1", "alice", {"room-2"});
  s->onTransportClosed(&t, {TransportEnd::Cause::kClientClose, 1000, ""});
  EXPECT_EQ(eventsOf("c1"), (Events{"connected", "joined:room-2", "left:room-2", "disconnected"}));
}

TEST_F(GroupPresenceTest, ARecoveredDropFiresNothingAndAnExpiredWindowLeaves) {
  FakeTransport t1, t2;
  auto s = open(t1, ClientKind::kJsonReliable, "r1", "alice", {"room-1"});
  s->onTransportClosed(&t1, {TransportEnd::Cause::kLost, std::nullopt, ""});
  ASSERT_EQ(s->state(), ClientSession::State::kDetached);
  ASSERT_TRUE(s->resume(&t2));
  EXPECT_EQ(eventsOf("r1"), (Events{"connected", "joined:room-1"}));
  EXPECT_TRUE(s->inGroup("room-1"));
  s->onTransportClosed(&t2, {TransportEnd::Cause::kLost, std::nullopt, ""});
  loop.advance(31s);
  loop.runPending();
  EXPECT_EQ(s->state(), ClientSession::State::kEnded);
  EXPECT_EQ(eventsOf("r1"), (Events{"connected", "joined:room-1", "left:room-1", "disconnected"}));
}

TEST_F(GroupPresenceTest, BrokerOperationsFireOnePerAffectedConnection) {
  FakeTransport ta, tb, tc;
  auto a = open(ta, ClientKind::kJson, "a", "alice");
  auto b = open(tb, ClientKind::kJson, "b", "alice");
  auto c = open(tc, ClientKind::kJson, "c", "carol", {"room-1"});
  Broker& broker = engine.localBroker();
  // Add user (both of alice's connections), add connection, then a filtered addToGroups.
  run([&](auto done) {
    broker.addToGroups("chat", Target::user("alice"), {"room-1"}, loop, done);
  });
  run([&](auto done) {
    broker.addToGroups("chat", Target::connection("c"), {"room-1", "lobby"}, loop, done);
  });
  Target filtered = Target::all();
  filtered.filter =
      std::make_shared<const filter::Filter>(filter::Filter::parse("userId eq 'alice'").value());
  run([&](auto done) { broker.addToGroups("chat", filtered, {"room-2"}, loop, done); });
  EXPECT_EQ(eventsOf("a"), (Events{"connected", "joined:room-1", "joined:room-2"}));
  EXPECT_EQ(eventsOf("b"), (Events{"connected", "joined:room-1", "joined:room-2"}));
  EXPECT_EQ(eventsOf("c"), (Events{"connected", "joined:room-1", "joined:lobby"}));
  // Remove a user from a group, a connection from every group, and with a filter.
  run([&](auto done) {
    broker.removeFromGroups("chat", Target::user("alice"), {"room-1", "room-9"}, loop, done);
  });
  run([&](auto done) { broker.leaveAllGroups("chat", Target::connection("c"), loop, done); });
  run([&](auto done) { broker.removeFromGroups("chat", filtered, {"room-2"}, loop, done); });
  EXPECT_EQ(eventsOf("a"),
            (Events{"connected", "joined:room-1", "joined:room-2", "left:room-1", "left:room-2"}));
  EXPECT_EQ(eventsOf("b"), eventsOf("a"));
  // c was in room-1 already (initial group): only lobby joined; groups leave in name order.
  EXPECT_EQ(eventsOf("c"),
            (Events{"connected", "joined:room-1", "joined:lobby", "left:lobby", "left:room-1"}));
  // Nothing more when nothing changes.
  size_t before = outbox.count();
  run([&](auto done) { broker.leaveAllGroups("chat", Target::all(), loop, done); });
  run([&](auto done) { broker.removeFromGroups("chat", Target::all(), {"room-1"}, loop, done); });
  EXPECT_EQ(outbox.count(), before);
}

TEST_F(GroupPresenceTest, WithoutAPresenceHandlerNothingChangesForOtherEvents) {
  settings.hubs["chat"].eventHandlers[0].groupPresence = {};
  FakeTransport t;
  auto s = open(t, ClientKind::kJson, "c1", "alice", {"room-1"});
  s->onMessage(false, R"({"type":"leaveGroup","group":"room-1","ackId":1})");
  s->onTransportClosed(&t, {TransportEnd::Cause::kClientClose, 1000, ""});
  EXPECT_EQ(eventsOf("c1"), (Events{"connected", "disconnected"}));
  EXPECT_EQ(outbox.eventsOf("c1").at(1).ceId, "2");  // the ce-ids are those of before
}

}  // namespace
}  // namespace wps::core
