#include "cluster/cluster_service.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <future>
#include <thread>

#include "asio/asio_event_loop.h"
#include "cluster/node_registry.h"
#include "cluster/redis_broker.h"
#include "cluster/redis_link.h"
#include "cluster/redis_stream.h"
#include "common/base64.h"
#include "common/crypto.h"
#include "common/log.h"
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

 private:
  void onLinkState(bool up) {
    engine_.metrics().clusterState.store(up ? metrics::ClusterState::kConnected
                                            : metrics::ClusterState::kDegraded);
    if (!up) {
      WPS_LOG_WARN("cluster: the bus is unavailable; serving local clients only");
      heartbeat_.reset();
      broker_->onLinkDown();
      return;
    }
    // (Re)joined: register, learn the live peers, and make the others learn about us.
    nodes_->heartbeat();
    broker_->announce();
    scheduleHeartbeat();
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
