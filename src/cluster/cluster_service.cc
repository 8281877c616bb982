#include "cluster/cluster_service.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <future>
#include <thread>

#include "asio/asio_event_loop.h"
#include "cluster/connection_registry.h"
#include "cluster/connection_tracker.h"
#include "cluster/dead_node_reaper.h"
#include "cluster/node_registry.h"
#include "cluster/redis_broker.h"
#include "cluster/redis_link.h"
#include "cluster/redis_stream.h"
#include "common/base64.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "core/engine.h"
#include "core/session.h"

#include <unistd.h>

namespace wps::cluster {
namespace {

std::string generateNodeId() {
  char host[64] = {0};
  gethostname(host, sizeof host - 1);
  std::string id;
  for (char c : std::string(host)) {
    if (isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') id.push_back(c);
  }
  if (id.empty()) id = "node";
  return id + "-" + base64UrlEncode(secureRandomBytes(6));
}

class ClusterServiceImpl : public ClusterService {
 public:
  ClusterServiceImpl(const config::ServerSettings& settings, core::Engine& engine,
                     RedisAddress address, std::shared_ptr<boost::asio::ssl::context> tls)
      : settings_(settings),
        engine_(engine),
        io_(1),
        loop_(io_, 1000),
        nodeId_(settings.cluster.nodeId.empty() ? generateNodeId() : settings.cluster.nodeId) {
    const std::string& prefix = settings.cluster.prefix;
    RedisLink::Options options;
    options.address = std::move(address);
    options.tls = std::move(tls);
    options.channels = {prefix + ":bus", prefix + ":inbox:" + nodeId_};
    options.maxPendingCommands = settings.cluster.maxPendingPublishes * 2;
    link_ = makeRedisLink(
        io_, options,
        [this](std::string_view, std::string_view payload) { broker_->onBusMessage(payload); },
        [this](bool up) { onLinkState(up); });
    nodes_ = std::make_unique<NodeRegistry>(
        *link_, prefix, nodeId_,
        std::chrono::duration_cast<std::chrono::milliseconds>(settings.cluster.presenceTtl));
    RedisBroker::Deps deps{loop_,
                           *link_,
                           *nodes_,
                           engine.localBroker(),
                           engine.directory(),
                           busCounters_,
                           nodeId_,
                           prefix + ":bus",
                           prefix + ":inbox:",
                           settings.cluster.requestTimeout,
                           settings.cluster.maxPendingPublishes};
    auto broker = std::make_unique<RedisBroker>(std::move(deps));
    broker_ = broker.get();
    engine.setBroker(std::move(broker));
    // Degraded until the first connection.
    engine.metrics().clusterState.store(metrics::ClusterState::kDegraded);
  }

  ~ClusterServiceImpl() override { stop(); }

  void start() override {
    WPS_LOG_INFO("cluster: node {} joining via {}", nodeId_,
                 redactRedisUrl(settings_.cluster.redis));
    thread_ = std::thread([this] {
      setCurrentThreadName("wps-cluster");
      loop_.bindToCurrentThread();
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
    loop_.post([this] { link_->start(); });
  }

  void stop() override {
    if (!thread_.joinable()) return;
    std::promise<void> withdrawn;
    loop_.post([this, &withdrawn] {
      heartbeat_.reset();
      registryLive_ = false;  // later changes must not recreate the registry
      if (link_->up() && tracker_) link_->command({"DEL", registryKey()}, nullptr);
      if (link_->up()) nodes_->withdraw();
      // Let the withdrawal reach Redis, then disconnect.
      flush_ = loop_.schedule(std::chrono::milliseconds(200), [this, &withdrawn] {
        link_->stop();
        withdrawn.set_value();
      });
    });
    withdrawn.get_future().wait_for(std::chrono::seconds(2));
    io_.stop();
    thread_.join();
  }

  const std::string& nodeId() const override { return nodeId_; }

  delivery::EventOutbox& attachOutbox(delivery::EventOutbox& outbox) override {
    tracker_ = std::make_unique<ConnectionTracker>(
        outbox, [this] { loop_.post([this] { flushRegistry(); }); });
    reaper_ = std::make_unique<DeadNodeReaper>(
        *link_, settings_.cluster.prefix, nodeId_, settings_.delivery.retention, outbox, [this] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(
                     loop_.wallNow().time_since_epoch())
              .count();
        });
    nodes_->setDeadNodeHandler([this](std::vector<std::string> dead) { reaper_->reap(dead); });
    return *tracker_;
  }

 private:
  void onLinkState(bool up) {
    engine_.metrics().clusterState.store(up ? metrics::ClusterState::kConnected
                                            : metrics::ClusterState::kDegraded);
    if (!up) {
      WPS_LOG_WARN("cluster: the bus is unavailable; serving local clients only");
      heartbeat_.reset();
      registryLive_ = false;
      broker_->onLinkDown();
      return;
    }
    if (reaper_ && !ownReaped_) {
      reapOwnThenJoin();
      return;
    }
    join();
  }

  // Before this process first writes its registry: an earlier process with the same
  // (configured) node id may have left connections there. While another live node drains them
  // (or Redis fails), retries every second, joining only once they are done.
  void reapOwnThenJoin() {
    reaper_->reapOwn([this](bool drained) {
      if (!link_->up()) return;  // the next connection tries again
      if (drained) {
        ownReaped_ = true;
        join();
        return;
      }
      heartbeat_ = loop_.schedule(std::chrono::seconds(1), [this] {
        if (link_->up()) reapOwnThenJoin();
      });
    });
  }

  // (Re)joined: register, learn the live peers, rewrite the connection registry, and make the
  // others learn about us.
  void join() {
    nodes_->heartbeat();
    resyncRegistry();
    broker_->announce();
    scheduleHeartbeat();
  }

  std::string registryKey() const { return connectionsKey(settings_.cluster.prefix, nodeId_); }

  // The whole registry, rewritten from the tracker (after every (re)connect).
  void resyncRegistry() {
    if (!tracker_) return;
    auto all = tracker_->snapshot();
    link_->command({"DEL", registryKey()}, nullptr);
    constexpr size_t kFieldsPerCommand = 500;
    for (size_t i = 0; i < all.size(); i += kFieldsPerCommand) {
      std::vector<std::string> hset{"HSET", registryKey()};
      for (size_t j = i; j < std::min(all.size(), i + kFieldsPerCommand); ++j) {
        hset.push_back(std::move(all[j].first));
        hset.push_back(std::move(all[j].second));
      }
      link_->command(std::move(hset), nullptr);
    }
    registryLive_ = true;
    expireRegistry();
    checkDeclaredDead();
  }

  // A registry nobody drains (no node with an outbox is left) goes away after the retention.
  void expireRegistry() {
    link_->command({"EXPIRE", registryKey(), std::to_string(settings_.delivery.retention.count())},
                   nullptr);
  }

  // Warns when another node sent `disconnected` for this node's connections while it was cut off
  // from Redis for longer than the presence TTL (docs/cluster.md, "Dead nodes").
  void checkDeclaredDead() {
    link_->command({"GET", claimKey(settings_.cluster.prefix, nodeId_)},
                   [this](StatusOr<RedisReply> r) {
                     if (!r || r->type != RedisReply::Type::kString || r->str == nodeId_) return;
                     WPS_LOG_WARN(
                         "cluster: node {} declared this node dead while it was cut off from "
                         "Redis; its upstreams got `disconnected` for this node's connections",
                         r->str);
                   });
  }

  // Cluster thread, once per turn with changes: the tracker's changes as one HSET and one HDEL
  // (while Redis is down they are dropped: the resync after the reconnect covers them).
  void flushRegistry() {
    auto changes = tracker_->takeChanges();
    if (!registryLive_ || !link_->up()) return;
    std::vector<std::string> hset{"HSET", registryKey()};
    std::vector<std::string> hdel{"HDEL", registryKey()};
    for (auto& c : changes) {
      if (c.value) {
        hset.push_back(std::move(c.connectionId));
        hset.push_back(std::move(*c.value));
      } else {
        hdel.push_back(std::move(c.connectionId));
      }
    }
    if (hset.size() > 2) link_->command(std::move(hset), nullptr);
    if (hdel.size() > 2) link_->command(std::move(hdel), nullptr);
  }

  // Liveness every TTL/3; the list of live peers every second (a dead peer drops out of
  // scatter-gather requests at most a second after its key expires).
  void scheduleHeartbeat() {
    auto interval = std::chrono::duration_cast<Duration>(settings_.cluster.presenceTtl) / 3;
    heartbeat_ = loop_.schedule(std::chrono::seconds(1), [this, interval] {
      if (link_->up()) {
        if (Clock::now() - lastHeartbeat_ >= interval) {
          lastHeartbeat_ = Clock::now();
          nodes_->heartbeat();
          if (registryLive_) expireRegistry();
        } else {
          nodes_->refresh();
        }
      }
      scheduleHeartbeat();
    });
  }

  const config::ServerSettings& settings_;
  core::Engine& engine_;
  // Bus counters; only the cluster thread counts (RedisBroker), scrapes read them.
  metrics::CounterBlock busCounters_{engine_.metrics()};
  boost::asio::io_context io_;
  asio_loop::AsioEventLoop loop_;
  std::string nodeId_;
  std::unique_ptr<RedisLink> link_;
  std::unique_ptr<NodeRegistry> nodes_;
  RedisBroker* broker_ = nullptr;  // owned by the engine
  std::thread thread_;
  std::unique_ptr<Timer> heartbeat_;
  TimePoint lastHeartbeat_{};
  std::unique_ptr<Timer> flush_;
  // Durable delivery (attachOutbox); null: off.
  std::unique_ptr<ConnectionTracker> tracker_;
  std::unique_ptr<DeadNodeReaper> reaper_;
  bool ownReaped_ = false;     // cluster thread
  bool registryLive_ = false;  // cluster thread: resynced since the last (re)connect
};

}  // namespace

StatusOr<std::unique_ptr<ClusterService>> ClusterService::create(
    const config::ServerSettings& settings, core::Engine& engine) {
  auto address = parseRedisAddress(settings.cluster.redis);
  if (!address) return invalidArgument("cluster.redis: " + address.status().message());
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (address->tls) {
    const auto& c = settings.cluster;
    auto context = makeRedisTlsContext({c.tlsCaFile, c.tlsCertFile, c.tlsKeyFile});
    if (!context) return context.status();
    tls = std::move(context.value());
  }
  return std::unique_ptr<ClusterService>(
      new ClusterServiceImpl(settings, engine, std::move(address.value()), std::move(tls)));
}

}  // namespace wps::cluster
