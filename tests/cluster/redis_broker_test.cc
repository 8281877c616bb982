// The clustered Broker's scatter-gather without Redis: a fake link (peers, PUBLISHes), a fake
// local broker and a manual loop for the cluster thread and the callers. Peers answer by
// feeding their replies to onBusMessage; silence and a dropped bus are the failures under test.
#include "cluster/redis_broker.h"

#include <gtest/gtest.h>

#include "cluster/bus_message.h"
#include "fakes/manual_event_loop.h"

namespace wps::cluster {
namespace {

using core::PermissionResult;
using core::Target;

// A link that is up or down at will, lists `nodes` as live (and no dead node: the live-node
// script answers {live, dead}) and records every PUBLISH.
class FakeLink : public RedisLink {
 public:
  void start() override {}
  void stop() override {}
  bool up() const override { return isUp; }
  void command(std::vector<std::string> argv, ReplyHandler done) override {
    if (argv.at(0) == "PUBLISH") {
      published.push_back(argv.at(2));
    } else if (argv.at(0) == "EVAL") {
      RedisReply live;
      live.type = RedisReply::Type::kArray;
      for (const auto& n : nodes)
        live.elements.push_back({RedisReply::Type::kString, 0, n, {}});
      RedisReply r;
      r.type = RedisReply::Type::kArray;
      r.elements = {std::move(live), RedisReply{RedisReply::Type::kArray, 0, {}, {}}};
      if (done) done(std::move(r));
      return;
    }
    if (done) done(RedisReply{});
  }
  size_t pendingCommands() const override { return 0; }

  bool isUp = true;
  std::vector<std::string> nodes;
  std::vector<std::string> published;  // payloads
};

// This node's own share: fixed answers, delivered on the reply loop.
class FakeLocalBroker : public core::Broker {
 public:
  void publish(const std::string&, const Target&, core::OutboundMessagePtr) override {}
  void closeConnections(const std::string&, const Target&, std::string, EventLoop& reply,
                        StatusDone done) override {
    reply.post([done] { done(Status::ok()); });
  }
  void addToGroups(const std::string&, const Target&, std::vector<std::string>, EventLoop& reply,
                   AddDone done) override {
    core::AddToGroupsResult r{localCount, localAtLimit};
    reply.post([done, r] { done(r); });
  }
  void removeFromGroups(const std::string& h, const Target& t, std::vector<std::string>,
                        EventLoop& reply, CountDone done) override {
    count(h, t, reply, std::move(done));
  }
  void leaveAllGroups(const std::string& h, const Target& t, EventLoop& reply,
                      CountDone done) override {
    count(h, t, reply, std::move(done));
  }
  void count(const std::string&, const Target&, EventLoop& reply, CountDone done) override {
    size_t n = localCount;
    reply.post([done, n] { done(n); });
  }
  void permission(const std::string&, const std::string&, core::PermissionOp, auth::Permission,
                  std::string, EventLoop& reply, PermissionDone done) override {
    PermissionResult r = localPermission;
    reply.post([done, r] { done(r); });
  }
  void listGroup(const std::string&, const std::string&, EventLoop& reply,
                 MembersDone done) override {
    auto members = localMembers;
    reply.post([done, members] { done(members); });
  }

  size_t localCount = 0;
  size_t localAtLimit = 0;
  PermissionResult localPermission = PermissionResult::kConnectionNotFound;
  std::vector<core::MemberInfo> localMembers;
};

class RedisBrokerTest : public ::testing::Test {
 protected:
  RedisBrokerTest()
      : nodes(link, "wps", "self", std::chrono::seconds(10)),
        broker({loop, link, nodes, local, directory, counters, "self", "wps:bus",
                "wps:inbox:", std::chrono::milliseconds(1500), 1000}) {}

  // Two live peers besides this node.
  void twoPeers() {
    link.nodes = {"self", "peer-a", "peer-b"};
    nodes.refresh();
    ASSERT_EQ(nodes.peers().size(), 2u);
  }

  // The request this node published last.
  BusMessage lastRequest() {
    EXPECT_FALSE(link.published.empty());
    auto m = decodeBusMessage(link.published.back());
    EXPECT_TRUE(m) << m.status().toString();
    return m ? m.value() : BusMessage{};
  }

  // `peer` answers `request`; `fill` sets its share.
  template <class Fill>
  void answer(const std::string& peer, const BusMessage& request, Fill fill) {
    BusMessage r;
    r.type = BusMessage::Type::kReply;
    r.origin = peer;
    r.requestId = request.requestId;
    fill(r);
    broker.onBusMessage(encodeBusMessage(r));
    loop.runPending();
  }

  test::ManualEventLoop loop;  // the cluster thread and the callers
  FakeLink link;
  NodeRegistry nodes;
  FakeLocalBroker local;
  core::ConnectionDirectory directory;
  metrics::Metrics metrics;
  metrics::CounterBlock counters{metrics};  // the cluster thread's (here: the test's)
  RedisBroker broker;
};

TEST_F(RedisBrokerTest, AnswersCombineWhenEveryNodeAnswers) {
  twoPeers();
  local.localCount = 1;
  std::optional<StatusOr<size_t>> got;
  broker.count("hub", Target::group("g"), loop, [&](StatusOr<size_t> n) { got = n; });
  loop.runPending();
  BusMessage request = lastRequest();
  EXPECT_EQ(request.type, BusMessage::Type::kCount);
  answer("peer-a", request, [](BusMessage& r) { r.count = 2; });
  EXPECT_FALSE(got);
  answer("peer-b", request, [](BusMessage& r) { r.count = 0; });
  ASSERT_TRUE(got);
  ASSERT_TRUE(*got) << got->status().toString();
  EXPECT_EQ(got->value(), 3u);
}

TEST_F(RedisBrokerTest, AddToGroupsSumsTheConnectionsAtTheLimitOfEveryNode) {
  twoPeers();
  local.localCount = 2;
  local.localAtLimit = 1;
  std::optional<StatusOr<core::AddToGroupsResult>> got;
  broker.addToGroups("hub", Target::user("u"), {"g"}, loop,
                     [&](StatusOr<core::AddToGroupsResult> r) { got = r; });
  loop.runPending();
  BusMessage request = lastRequest();
  EXPECT_EQ(request.type, BusMessage::Type::kAddToGroups);
  answer("peer-a", request, [](BusMessage& r) {
    r.count = 1;
    r.atLimit = 1;
  });
  answer("peer-b", request, [](BusMessage& r) { r.count = 3; });
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->matched, 6u);
  EXPECT_EQ((*got)->atLimit, 2u);
}

TEST_F(RedisBrokerTest, APeersAddToGroupsIsAnsweredWithTheConnectionsAtTheLimit) {
  local.localCount = 2;
  local.localAtLimit = 1;
  BusMessage request;
  request.type = BusMessage::Type::kAddToGroups;
  request.origin = "peer-a";
  request.requestId = 9;
  request.replyTo = "peer-a";
  request.hubKey = "hub";
  request.target = Target::user("u");
  request.groups = {"g"};
  broker.onBusMessage(encodeBusMessage(request));
  loop.runPending();
  BusMessage reply = lastRequest();
  EXPECT_EQ(reply.type, BusMessage::Type::kReply);
  EXPECT_EQ(reply.requestId, 9u);
  EXPECT_EQ(reply.count, 2u);
  EXPECT_EQ(reply.atLimit, 1u);
}

TEST_F(RedisBrokerTest, ASilentNodeFailsTheRequestWithDeadlineExceeded) {
  twoPeers();
  local.localCount = 1;  // a partial answer must not pass for the whole
  local.localMembers = {{"c1", std::nullopt}};
  std::optional<StatusOr<size_t>> count;
  std::optional<StatusOr<std::vector<core::MemberInfo>>> members;
  broker.count("hub", Target::group("g"), loop, [&](StatusOr<size_t> n) { count = n; });
  broker.listGroup("hub", "g", loop,
                   [&](StatusOr<std::vector<core::MemberInfo>> m) { members = std::move(m); });
  loop.runPending();
  ASSERT_EQ(link.published.size(), 2u);
  for (const auto& payload : link.published) {
    answer("peer-a", decodeBusMessage(payload).value(), [](BusMessage& r) { r.count = 1; });
  }
  loop.advance(std::chrono::milliseconds(1499));
  EXPECT_FALSE(count);
  EXPECT_FALSE(members);
  loop.advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(count && members);
  EXPECT_EQ(count->status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(members->status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(count->status().message().find("1 cluster node(s) did not answer"), std::string::npos)
      << count->status().message();
}

TEST_F(RedisBrokerTest, TheOwnersAnswerSettlesAConnectionRequestDespiteASilentNode) {
  twoPeers();
  std::optional<StatusOr<PermissionResult>> got;
  broker.permission("hub", "remote-conn", core::PermissionOp::kCheck,
                    auth::Permission::kSendToGroup, "g", loop,
                    [&](StatusOr<PermissionResult> r) { got = r; });
  loop.runPending();
  answer("peer-a", lastRequest(), [](BusMessage& r) { r.result = PermissionResult::kAllowed; });
  loop.advance(std::chrono::seconds(2));
  ASSERT_TRUE(got);
  ASSERT_TRUE(*got) << got->status().toString();
  EXPECT_EQ(got->value(), PermissionResult::kAllowed);

  // Nobody holding it answered: the silent node might be the owner.
  std::optional<StatusOr<size_t>> exists;
  broker.count("hub", Target::connection("remote-conn"), loop,
               [&](StatusOr<size_t> n) { exists = n; });
  loop.runPending();
  answer("peer-a", lastRequest(), [](BusMessage&) {});
  loop.advance(std::chrono::seconds(2));
  ASSERT_TRUE(exists);
  EXPECT_EQ(exists->status().code(), StatusCode::kDeadlineExceeded);
}

TEST_F(RedisBrokerTest, ABusThatIsDownFailsWithUnavailable) {
  twoPeers();
  link.isUp = false;
  local.localCount = 1;
  std::optional<StatusOr<core::AddToGroupsResult>> got;
  std::optional<Status> closed;
  broker.addToGroups("hub", Target::user("u"), {"g"}, loop,
                     [&](StatusOr<core::AddToGroupsResult> n) { got = n; });
  broker.closeConnections("hub", Target::group("g"), "bye", loop, [&](Status s) { closed = s; });
  loop.runPending();
  EXPECT_TRUE(link.published.empty());
  ASSERT_TRUE(got && closed);
  EXPECT_EQ(got->status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(closed->code(), StatusCode::kUnavailable);
}

TEST_F(RedisBrokerTest, TheBusGoingDownFailsPendingRequests) {
  twoPeers();
  std::optional<StatusOr<size_t>> got;
  broker.count("hub", Target::user("u"), loop, [&](StatusOr<size_t> n) { got = n; });
  loop.runPending();
  answer("peer-a", lastRequest(), [](BusMessage& r) { r.count = 1; });
  EXPECT_FALSE(got);
  link.isUp = false;
  broker.onLinkDown();
  loop.runPending();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(loop.pendingTimers(), 0u);
}

}  // namespace
}  // namespace wps::cluster
