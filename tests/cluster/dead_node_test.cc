// Dead cluster nodes against a real redis-server: the claim of a dead node's connection
// registry is won by exactly one live node, which accepts one `disconnected` per connection
// (HSCAN pages, HDEL as it goes) and deletes the registry; claims of live claimants are
// respected and those of dead claimants taken over. And the registry a ClusterService keeps:
// written from the tracker, rewritten after a reconnect, deleted at a clean stop.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <hiredis/hiredis.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "cluster/cluster_service.h"
#include "cluster/connection_registry.h"
#include "cluster/dead_node_reaper.h"
#include "cluster/node_registry.h"
#include "cluster/recording_outbox.h"
#include "cluster/redis_link.h"
#include "cluster/redis_process.h"
#include "core/engine.h"
#include "delivery/outbox.h"
#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"

namespace wps::cluster {
namespace {

// A blocking hiredis client of the test thread, to arrange and inspect keys.
class Cli {
 public:
  explicit Cli(int port) : c_(redisConnect("127.0.0.1", port)) {}
  ~Cli() { redisFree(c_); }
  // The reply's string/integer as text, or its elements joined by '\n'; "(nil)" for nil.
  std::string run(const std::vector<std::string>& argv) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c_, static_cast<int>(argv.size()), args.data(), lens.data()));
    std::string out = text(r);
    freeReplyObject(r);
    return out;
  }
  std::map<std::string, std::string> hash(const std::string& key) {
    std::map<std::string, std::string> out;
    auto* r = static_cast<redisReply*>(redisCommand(c_, "HGETALL %s", key.c_str()));
    for (size_t i = 0; r && i + 1 < r->elements; i += 2)
      out[r->element[i]->str] = r->element[i + 1]->str;
    freeReplyObject(r);
    return out;
  }

 private:
  static std::string text(const redisReply* r) {
    if (!r) return "(error)";
    if (r->type == REDIS_REPLY_NIL) return "(nil)";
    if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
    if (r->type != REDIS_REPLY_ARRAY) return std::string(r->str, r->len);
    std::string out;
    for (size_t i = 0; i < r->elements; ++i)
      out += (i ? "\n" : "") + text(r->element[i]);
    return out;
  }
  redisContext* c_;
};

std::string url(int port) {
  return "redis://wps:pw@127.0.0.1:" + std::to_string(port);
}

// A live node's cluster-thread objects on the test's io_context: link, liveness, reaper.
struct Node {
  Node(boost::asio::io_context& io, int port, std::string id) {
    RedisLink::Options o;
    o.address = parseRedisAddress(url(port)).value();
    link = makeRedisLink(io, o, nullptr, [this](bool up) { this->up = up; });
    registry = std::make_unique<NodeRegistry>(*link, "wps", id, std::chrono::seconds(30));
    reaper = std::make_unique<DeadNodeReaper>(*link, "wps", id, std::chrono::seconds(600), outbox,
                                              [] { return int64_t{42}; });
    registry->setDeadNodeHandler([this](std::vector<std::string> dead) { reaper->reap(dead); });
    link->start();
  }
  test::RecordingOutbox outbox;
  bool up = false;
  std::unique_ptr<RedisLink> link;
  std::unique_ptr<NodeRegistry> registry;
  std::unique_ptr<DeadNodeReaper> reaper;
};

class DeadNodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    // The nodes log in as docs/cluster.md's least-privilege user; the test's client is the
    // (unrestricted) default user.
    redis_ = new test::RedisProcess(
        dir_->path(), {"--user", "wps",     "on",    ">pw",   "~wps:*", "&wps:*",    "+@pubsub",
                       "+get",   "+set",    "+del",  "+sadd", "+srem",  "+smembers", "+exists",
                       "+eval",  "+select", "+ping", "+hset", "+hdel",  "+hscan",    "+expire"});
  }
  static void TearDownTestSuite() {
    delete redis_;
    delete dir_;
  }
  void SetUp() override { cli_.run({"FLUSHALL"}); }

  // Runs the io_context until `done` holds (bounded: 10 s).
  bool runUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      // Without links of its own (a ClusterService runs its thread), this polls Redis.
      if (io_.run_for(std::chrono::milliseconds(10)) == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      io_.restart();
    }
    return done();
  }

  // Leaves the registry of a node `id` that died: listed in P:nodes, no liveness key.
  void deadNode(const std::string& id, int connections) {
    cli_.run({"SADD", "wps:nodes", id});
    for (int i = 0; i < connections; ++i) {
      std::string c = id + "-c" + std::to_string(i);
      delivery::ConnectionRecord r{"chat", c, "user-" + c, "json.webpubsub.azure.v1", "st"};
      cli_.run({"HSET", connectionsKey("wps", id), c, encodeRegistryEntry(r)});
    }
  }

  std::unique_ptr<Node> node(const std::string& id) {
    auto n = std::make_unique<Node>(io_, redis_->port(), id);
    Node* p = n.get();
    EXPECT_TRUE(runUntil([p] { return p->up; }));
    return n;
  }

  static test::TempDir* dir_;
  static test::RedisProcess* redis_;
  Cli cli_{redis_->port()};
  boost::asio::io_context io_;
};

test::TempDir* DeadNodeTest::dir_ = nullptr;
test::RedisProcess* DeadNodeTest::redis_ = nullptr;

// The connection ids of `events`, checking each is a node-stopped `disconnected`.
std::multiset<std::string> disconnectedIds(const std::vector<delivery::PendingEvent>& events) {
  std::multiset<std::string> ids;
  for (const auto& e : events) {
    EXPECT_EQ(e.kind, cloudevents::EventKind::kDisconnected);
    EXPECT_EQ(e.ceId, delivery::kRecoveredCeId);
    EXPECT_EQ(e.userId, std::optional<std::string>("user-" + e.connectionId));
    EXPECT_EQ(e.timeMs, 42);
    ids.insert(e.connectionId);
  }
  return ids;
}

TEST_F(DeadNodeTest, ExactlyOneOfThreeLiveNodesSendsEachConnectionsDisconnectedOnce) {
  deadNode("dead", 2000);  // more than one HSCAN page, a hash table rather than a listpack
  std::vector<std::unique_ptr<Node>> nodes;
  for (const char* id : {"a", "b", "c"})
    nodes.push_back(node(id));
  for (auto& n : nodes)
    n->registry->heartbeat();  // all three find "dead" at once
  auto total = [&nodes] {
    size_t t = 0;
    for (auto& n : nodes)
      t += n->outbox.events().size();
    return t;
  };
  ASSERT_TRUE(runUntil([&] {
    return total() >= 2000 && cli_.run({"EXISTS", "wps:conns:dead"}) == "0" &&
           cli_.run({"EXISTS", "wps:claim:dead"}) == "0";
  }));
  // Another round of every node (a late claim finds nothing left), then count.
  size_t refreshed = 0;
  for (auto& n : nodes)
    n->registry->refresh([&refreshed] { ++refreshed; });
  ASSERT_TRUE(runUntil([&refreshed] { return refreshed == 3; }));
  size_t senders = 0;
  std::multiset<std::string> all;
  for (auto& n : nodes) {
    auto ids = disconnectedIds(n->outbox.events());
    senders += ids.empty() ? 0 : 1;
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(senders, 1u);
  ASSERT_EQ(all.size(), 2000u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 2000u);  // no duplicate
  EXPECT_EQ(cli_.run({"SMEMBERS", "wps:dead"}), "");
  EXPECT_EQ(cli_.run({"EXISTS", "wps:claim:dead"}), "0");
  EXPECT_EQ(cli_.run({"SISMEMBER", "wps:nodes", "dead"}), "0");
}

TEST_F(DeadNodeTest, AClaimOfALiveClaimantIsRespectedAndOneOfADeadClaimantTakenOver) {
  deadNode("dead", 10);
  cli_.run({"SET", "wps:claim:dead", "busy"});
  cli_.run({"SET", "wps:node:busy", "1"});  // the claimant is alive (and draining)
  auto a = node("a");
  size_t refreshed = 0;
  a->registry->refresh([&refreshed] { ++refreshed; });
  ASSERT_TRUE(runUntil([&refreshed] { return refreshed == 1; }));
  a->registry->refresh([&refreshed] { ++refreshed; });  // after the claim attempt
  ASSERT_TRUE(runUntil([&refreshed] { return refreshed == 2; }));
  EXPECT_TRUE(a->outbox.events().empty());
  EXPECT_EQ(cli_.run({"HLEN", "wps:conns:dead"}), "10");
  EXPECT_EQ(cli_.run({"SMEMBERS", "wps:dead"}), "dead");  // still to be done
  // The claimant died half-way: 4 entries were sent (and removed) already.
  for (int i = 0; i < 4; ++i)
    cli_.run({"HDEL", "wps:conns:dead", "dead-c" + std::to_string(i)});
  cli_.run({"DEL", "wps:node:busy"});
  a->registry->refresh();
  ASSERT_TRUE(runUntil([&a] { return a->outbox.events().size() >= 6; }));
  ASSERT_TRUE(runUntil([this] { return cli_.run({"EXISTS", "wps:claim:dead"}) == "0"; }));
  auto ids = disconnectedIds(a->outbox.events());
  EXPECT_EQ(ids, (std::multiset<std::string>{"dead-c4", "dead-c5", "dead-c6", "dead-c7", "dead-c8",
                                             "dead-c9"}));
  EXPECT_EQ(cli_.run({"EXISTS", "wps:conns:dead"}), "0");
}

TEST_F(DeadNodeTest, ANodeThatIsAliveAgainIsNotDrained) {
  deadNode("late", 3);
  cli_.run({"SADD", "wps:dead", "late"});
  cli_.run({"SET", "wps:node:late", "1"});  // it came back (or was only slow)
  auto a = node("a");
  size_t refreshed = 0;
  a->registry->refresh([&refreshed] { ++refreshed; });
  ASSERT_TRUE(runUntil([&refreshed] { return refreshed == 1; }));
  ASSERT_TRUE(runUntil([this] { return cli_.run({"SMEMBERS", "wps:dead"}).empty(); }));
  EXPECT_TRUE(a->outbox.events().empty());
  EXPECT_EQ(cli_.run({"HLEN", "wps:conns:late"}), "3");
}

TEST_F(DeadNodeTest, ANodeIdWithoutARegistryIsForgottenWithoutAClaim) {
  cli_.run({"SADD", "wps:nodes", "empty"});  // died with no connection, or never had one
  auto a = node("a");
  size_t refreshed = 0;
  a->registry->refresh([&refreshed] { ++refreshed; });
  ASSERT_TRUE(runUntil([&refreshed] { return refreshed == 1; }));
  EXPECT_EQ(cli_.run({"SISMEMBER", "wps:nodes", "empty"}), "0");
  EXPECT_EQ(cli_.run({"SMEMBERS", "wps:dead"}), "");
  EXPECT_EQ(cli_.run({"EXISTS", "wps:claim:empty"}), "0");
}

TEST_F(DeadNodeTest, AProcessDrainsWhatAnEarlierOneWithItsNodeIdLeft) {
  deadNode("fixed", 5);
  cli_.run({"SET", "wps:node:fixed", "1"});  // restarted within the presence TTL
  auto n = node("fixed");
  // Another live node is draining it: not now.
  cli_.run({"SET", "wps:claim:fixed", "other"});
  cli_.run({"SET", "wps:node:other", "1"});
  std::optional<bool> drained;
  n->reaper->reapOwn([&drained](bool d) { drained = d; });
  ASSERT_TRUE(runUntil([&drained] { return drained.has_value(); }));
  EXPECT_FALSE(*drained);
  EXPECT_TRUE(n->outbox.events().empty());
  // That node died: this process takes its own registry over.
  cli_.run({"DEL", "wps:node:other"});
  drained.reset();
  n->reaper->reapOwn([&drained](bool d) { drained = d; });
  ASSERT_TRUE(runUntil([&drained] { return drained.has_value(); }));
  EXPECT_TRUE(*drained);
  EXPECT_EQ(disconnectedIds(n->outbox.events()).size(), 5u);
  EXPECT_EQ(cli_.run({"EXISTS", "wps:conns:fixed"}), "0");
  EXPECT_EQ(cli_.run({"EXISTS", "wps:claim:fixed"}), "0");
}

TEST_F(DeadNodeTest, MalformedEntriesAreSkippedAndRemoved) {
  deadNode("dead", 2);
  cli_.run({"HSET", "wps:conns:dead", "junk", "not json"});
  auto a = node("a");
  a->registry->heartbeat();
  ASSERT_TRUE(runUntil([this] { return cli_.run({"EXISTS", "wps:conns:dead"}) == "0"; }));
  EXPECT_EQ(disconnectedIds(a->outbox.events()),
            (std::multiset<std::string>{"dead-c0", "dead-c1"}));
}

// --- The registry a ClusterService keeps ---------------------------------------------------

class ClusterRegistryTest : public DeadNodeTest {
 protected:
  ClusterRegistryTest() : client_(loop_) {
    settings_.accessKeys = {"registry-test-access-key-0123456789"};
    settings_.cluster.redis = url(redis_->port());
    settings_.cluster.nodeId = "n1";
    engine_ = std::make_unique<core::Engine>(
        settings_, std::vector<core::Engine::WorkerIo>{{&loop_, &client_}});
    service_ = ClusterService::create(settings_, *engine_).value();
  }

  bool waitRegistry(const std::map<std::string, std::string>& expected) {
    return runUntil([&] { return cli_.hash("wps:conns:n1") == expected; });
  }

  static delivery::PendingEvent event(cloudevents::EventKind kind, const std::string& id) {
    delivery::PendingEvent e;
    e.kind = kind;
    e.hub = "chat";
    e.connectionId = id;
    e.userId = "u";
    return e;
  }

  config::ServerSettings settings_;
  wps::test::ManualEventLoop loop_;
  wps::test::FakeUpstreamClient client_;
  std::unique_ptr<core::Engine> engine_;
  std::unique_ptr<ClusterService> service_;
  test::RecordingOutbox outbox_;
};

TEST_F(ClusterRegistryTest, MirrorsConnectionsRewritesAfterReconnectAndWithdrawsAtStop) {
  delivery::EventOutbox& producer = service_->attachOutbox(outbox_);
  producer.accept(event(cloudevents::EventKind::kConnected, "before-start"));
  service_->start();
  const std::string v = R"({"hub":"chat","userId":"u"})";
  ASSERT_TRUE(waitRegistry({{"before-start", v}}));
  producer.accept(event(cloudevents::EventKind::kConnected, "c1"));
  producer.accept(event(cloudevents::EventKind::kConnected, "c2"));
  producer.updateConnectionState("c2", "s2");
  producer.accept(event(cloudevents::EventKind::kDisconnected, "before-start"));
  // A connection without a delivered connected event (its hub has no handler for it).
  producer.recordConnection({"chat", "r1", std::string("u"), "", "", ""});
  const std::map<std::string, std::string> live = {
      {"c1", v}, {"c2", R"({"hub":"chat","userId":"u","connectionState":"s2"})"}, {"r1", v}};
  ASSERT_TRUE(waitRegistry(live));
  EXPECT_EQ(outbox_.events().size(), 4u);              // every event reached the node's outbox
  EXPECT_EQ(outbox_.records().size(), 1u);             // and so did the recorded connection
  EXPECT_NE(cli_.run({"TTL", "wps:conns:n1"}), "-1");  // expires if nobody ever drains it
  // Lost (e.g. Redis restarted empty): the next connection of the node rewrites it whole.
  cli_.run({"DEL", "wps:conns:n1"});
  cli_.run({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  ASSERT_TRUE(waitRegistry(live));
  service_->stop();
  EXPECT_EQ(cli_.run({"EXISTS", "wps:conns:n1"}), "0");
  EXPECT_EQ(cli_.run({"EXISTS", "wps:node:n1"}), "0");
}

}  // namespace
}  // namespace wps::cluster
