// The in-memory Broker over the workers of one process: every answer is OK, membership changes
// select the same connections for adding and removing.
#include "core/local_broker.h"

#include <gtest/gtest.h>

#include "core/engine.h"
#include "core/session.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"

namespace wps::core {
namespace {

using test::FakeTransport;

class LocalBrokerTest : public ::testing::Test {
 protected:
  LocalBrokerTest()
      : settings(makeSettings()), client(loop), engine(settings, {{&loop, &client}}) {}

  static config::ServerSettings makeSettings() {
    config::ServerSettings s;
    s.accessKeys = {"local-broker-test-key-0123456789abcdefgh"};
    s.workers = 1;
    return s;
  }

  std::shared_ptr<ClientSession> connect(FakeTransport& t, const std::string& id,
                                         const std::string& user) {
    SessionIdentity identity;
    identity.hubKey = "hub";
    identity.connectionId = id;
    identity.userId = user;
    identity.kind = protocol::ClientKind::kJson;
    identity.subprotocol = std::string(protocol::subprotocolName(identity.kind));
    auto s = std::make_shared<ClientSession>(engine.worker(0), identity);
    s->start(&t);
    return s;
  }

  // Runs a count-answering operation to completion.
  template <class Op>
  size_t counted(Op op) {
    std::optional<StatusOr<size_t>> got;
    op([&](StatusOr<size_t> n) { got = n; });
    loop.runPending();
    EXPECT_TRUE(got && *got);
    return got && *got ? got->value() : 0;
  }

  template <class Op>
  AddToGroupsResult added(Op op) {
    std::optional<StatusOr<AddToGroupsResult>> got;
    op([&](StatusOr<AddToGroupsResult> r) { got = r; });
    loop.runPending();
    EXPECT_TRUE(got && *got);
    return got && *got ? got->value() : AddToGroupsResult{};
  }

  test::ManualEventLoop loop;
  config::ServerSettings settings;
  test::FakeUpstreamClient client;
  Engine engine;
};

TEST_F(LocalBrokerTest, AddAndRemoveGroupsSelectTheSameConnections) {
  FakeTransport ta, tb;
  auto a = connect(ta, "a", "alice");
  auto b = connect(tb, "b", "bob");
  Broker& broker = engine.localBroker();
  EXPECT_EQ(added([&](auto done) {
              broker.addToGroups("hub", Target::user("alice"), {"g1", "g2"}, loop, done);
            }).matched,
            1u);
  EXPECT_TRUE(a->inGroup("g1") && a->inGroup("g2"));
  EXPECT_FALSE(b->inGroup("g1"));
  EXPECT_EQ(added([&](auto done) {
              broker.addToGroups("hub", Target::all(), {"g3"}, loop, done);
            }).matched,
            2u);
  EXPECT_EQ(counted([&](auto done) { broker.count("hub", Target::group("g3"), loop, done); }), 2u);
  EXPECT_EQ(counted([&](auto done) {
              broker.removeFromGroups("hub", Target::all(), {"g1", "g3"}, loop, done);
            }),
            2u);
  EXPECT_FALSE(a->inGroup("g1") || a->inGroup("g3") || b->inGroup("g3"));
  EXPECT_TRUE(a->inGroup("g2"));
  EXPECT_EQ(counted([&](auto done) {
              broker.removeFromGroups("hub", Target::connection("nope"), {"g2"}, loop, done);
            }),
            0u);
  EXPECT_EQ(counted([&](auto done) {
              broker.leaveAllGroups("hub", Target::connection("a"), loop, done);
            }),
            1u);
  EXPECT_FALSE(a->inGroup("g2"));
}

TEST_F(LocalBrokerTest, AddToGroupsReportsConnectionsAtTheGroupLimit) {
  settings.limits.maxGroupsPerConnection = 2;
  FakeTransport ta, tb;
  auto a = connect(ta, "a", "alice");
  auto b = connect(tb, "b", "alice");
  Broker& broker = engine.localBroker();
  auto add = [&](const Target& t, std::vector<std::string> groups) {
    return added([&](auto done) { broker.addToGroups("hub", t, groups, loop, done); });
  };
  AddToGroupsResult r = add(Target::connection("a"), {"g1", "g2"});
  EXPECT_EQ(r.matched, 1u);
  EXPECT_EQ(r.atLimit, 0u);
  r = add(Target::connection("a"), {"g1", "g2"});  // already a member: not at the limit
  EXPECT_EQ(r.atLimit, 0u);
  r = add(Target::connection("a"), {"g2", "g3"});  // g3 is one too many
  EXPECT_EQ(r.matched, 1u);
  EXPECT_EQ(r.atLimit, 1u);
  EXPECT_FALSE(a->inGroup("g3"));
  r = add(Target::user("alice"), {"g3"});  // a is skipped, b joins
  EXPECT_EQ(r.matched, 2u);
  EXPECT_EQ(r.atLimit, 1u);
  EXPECT_TRUE(b->inGroup("g3"));
  EXPECT_EQ(a->groups(), (std::vector<std::string>{"g1", "g2"}));
}

TEST_F(LocalBrokerTest, AnswersAreAlwaysOk) {
  FakeTransport t;
  auto s = connect(t, "c1", "carol");
  Broker& broker = engine.localBroker();
  broker.addToGroups("hub", Target::all(), {"room"}, loop, [](StatusOr<AddToGroupsResult>) {});
  std::optional<StatusOr<std::vector<MemberInfo>>> members;
  broker.listGroup("hub", "room", loop, [&](auto m) { members = std::move(m); });
  std::optional<StatusOr<PermissionResult>> permission;
  broker.permission("hub", "c1", PermissionOp::kGrant, auth::Permission::kSendToGroup, "room", loop,
                    [&](auto r) { permission = r; });
  std::optional<Status> closed;
  broker.closeConnections("hub", Target::user("carol"), "bye", loop,
                          [&](Status st) { closed = st; });
  loop.runPending();
  ASSERT_TRUE(members && *members);
  ASSERT_EQ((*members)->size(), 1u);
  EXPECT_EQ((*members)->front().userId, "carol");
  ASSERT_TRUE(permission && *permission);
  EXPECT_EQ(permission->value(), PermissionResult::kAllowed);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closed->isOk());
  EXPECT_TRUE(t.closed);
}

}  // namespace
}  // namespace wps::core
