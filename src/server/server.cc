#include "server/server.h"

#include <csignal>
#include <future>
#include <thread>

#include "cluster/cluster_service.h"
#include "common/log.h"
#include "config/loader.h"
#include "core/engine.h"
#include "core/session.h"
#include "core/tokens.h"
#include "server/routes.h"
#include "transport/runtime.h"

namespace wps::server {
namespace {

class ServerImpl : public Server {
 public:
  explicit ServerImpl(config::ServerSettings settings) : settings_(std::move(settings)) {
    runtime_ = transport::Runtime::create(settings_);
    std::vector<core::Engine::WorkerIo> io;
    for (size_t i = 0; i < runtime_->workerCount(); ++i) {
      io.push_back({&runtime_->loop(i), &runtime_->upstreamClient(i)});
    }
    engine_ = std::make_unique<core::Engine>(settings_, std::move(io));
    routes_ = std::make_unique<Routes>(*engine_);
    runtime_->attach(*engine_, *routes_);
  }

  // Cluster mode: builds the Redis-backed broker before anything runs.
  Status init() {
    if (settings_.cluster.redis.empty()) return Status::ok();
    auto cluster = cluster::ClusterService::create(settings_, *engine_);
    if (!cluster) return cluster.status();
    cluster_ = std::move(cluster.value());
    return Status::ok();
  }

  ~ServerImpl() override {
    if (started_ && !stopped_) shutdown();
    runtime_->stop();
    if (cluster_) cluster_->stop();
  }

  Status start() override {
    auto port = runtime_->listen(settings_.listenHost, settings_.listenPort);
    if (!port) return port.status();
    port_ = *port;
    if (cluster_) cluster_->start();
    runtime_->start();
    started_ = true;
    WPS_LOG_INFO("webpubsubd listening on {}:{} with {} workers", settings_.listenHost, port_,
                 runtime_->workerCount());
    return Status::ok();
  }

  uint16_t port() const override { return port_; }

  std::string connectionString() const override {
    std::string endpoint =
        core::publicBaseUrl(settings_, core::listenOrigin(settings_.listenHost, port_));
    return "Endpoint=" + endpoint + ";AccessKey=" + settings_.accessKeys.front() + ";Version=1.0;";
  }

  // Runs fn on every worker and waits for all of them.
  template <class F>
  void onEachWorker(F fn) {
    std::vector<std::future<void>> done;
    for (size_t i = 0; i < engine_->workerCount(); ++i) {
      auto p = std::make_shared<std::promise<void>>();
      done.push_back(p->get_future());
      runtime_->loop(i).post([p, i, &fn] {
        fn(i);
        p->set_value();
      });
    }
    for (auto& f : done)
      f.wait();
  }

  void shutdown() override {
    if (!started_ || stopped_) return;
    stopped_ = true;
    WPS_LOG_INFO("shutting down: closing {} connections", engine_->directory().size());
    runtime_->stopAccepting();
    onEachWorker([this](size_t i) {
      for (auto& s : engine_->shard(i).all())
        s->closeForShutdown();
    });
    auto deadline = Clock::now() + settings_.shutdownDrain;
    while (Clock::now() < deadline) {
      size_t sessions = 0, inflight = 0;
      std::mutex mu;
      onEachWorker([&](size_t i) {
        std::lock_guard lock(mu);
        sessions += engine_->shard(i).size() + engine_->shard(i).drainingCount();
        inflight += engine_->dispatcher(i).detachedInFlight();
      });
      if (sessions == 0 && inflight == 0 && runtime_->openWebSockets() == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    onEachWorker([this](size_t i) { engine_->dispatcher(i).cancelDetached(); });
    runtime_->stop();
    if (cluster_) cluster_->stop();
    WPS_LOG_INFO("shutdown complete");
  }

  const config::ServerSettings& settings() const override { return settings_; }
  core::Engine& engine() override { return *engine_; }

 private:
  config::ServerSettings settings_;
  std::unique_ptr<transport::Runtime> runtime_;
  std::unique_ptr<core::Engine> engine_;
  std::unique_ptr<Routes> routes_;
  std::unique_ptr<cluster::ClusterService> cluster_;  // stopped before the engine is destroyed
  uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<Server>> Server::create(config::ServerSettings settings) {
  Status st = config::validateSettings(settings);
  if (!st) return st;
  st = core::Engine::checkSettings(settings);  // the engine needs a primary access key
  if (!st) return st;
  auto server = std::make_unique<ServerImpl>(std::move(settings));
  st = server->init();
  if (!st) return st;
  return std::unique_ptr<Server>(std::move(server));
}

void blockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int waitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace wps::server
