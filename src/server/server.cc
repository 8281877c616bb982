#include "server/server.h"

#include <atomic>
#include <csignal>
#include <future>
#include <mutex>
#include <thread>

#include "cluster/cluster_service.h"
#include "common/log.h"
#include "config/loader.h"
#include "core/engine.h"
#include "core/session.h"
#include "core/tokens.h"
#include "delivery/open_store.h"
#include "delivery/outbox.h"
#include "server/reloader.h"
#include "server/routes.h"
#include "transport/runtime.h"

namespace wps::server {
namespace {

class ServerImpl : public Server {
 public:
  explicit ServerImpl(config::ServerSettings settings)
      : start_(std::make_shared<const config::ServerSettings>(std::move(settings))),
        settings_(*start_),
        current_(start_) {
    runtime_ = transport::Runtime::create(settings_);
    std::vector<core::Engine::WorkerIo> io;
    for (size_t i = 0; i < runtime_->workerCount(); ++i) {
      io.push_back({&runtime_->loop(i), &runtime_->upstreamClient(i)});
    }
    engine_ = std::make_unique<core::Engine>(start_, std::move(io));
    reloader_ = std::make_unique<Reloader>(
        [this](config::ServerSettings next) { return apply(std::move(next)); });
    routes_ = std::make_unique<Routes>(*engine_, *reloader_);
    runtime_->attach(*engine_, *routes_);
  }

  // Loads the TLS files (errors: kInvalidArgument naming tls.cert_file or tls.key_file), opens
  // the outbox store (errors: the store's, e.g. its lock is held or the database is
  // corrupt) and builds the outbox; cluster mode: builds the Redis-backed broker. Nothing runs.
  Status init() {
    Status tls = runtime_->loadTls(settings_.tls);
    if (!tls) return tls;
    auto store = delivery::openStore(settings_.delivery);
    if (!store) return store.status();
    outbox_ = std::make_unique<delivery::Outbox>(
        start_, runtime_->outboxLoop(), runtime_->outboxClient(), engine_->abuseProtection(),
        std::move(store.value()), engine_->metrics());
    outbox_->traceInto(&engine_->tracer());
    engine_->setOutbox(outbox_.get());
    if (settings_.cluster.redis.empty()) return Status::ok();
    auto cluster = cluster::ClusterService::create(settings_, *engine_);
    if (!cluster) return cluster.status();
    cluster_ = std::move(cluster.value());
    // Workers' events pass the cluster's tracker: it registers this node's connections in Redis
    // so a live node sends their `disconnected` if this one dies (docs/cluster.md, Dead nodes).
    engine_->setOutbox(&cluster_->attachOutbox(*outbox_));
    return Status::ok();
  }

  ~ServerImpl() override {
    reloader_->stop();  // before the workers and the outbox it posts to
    if (started_ && !stopped_) shutdown();
    runtime_->stop();
    if (cluster_) cluster_->stop();
    engine_->setOutbox(nullptr);  // the outbox goes before the engine and its sessions
  }

  // Runs fn on the outbox thread and waits for its result.
  template <class F>
  auto onOutboxThread(F fn) {
    using Result = decltype(fn());
    std::promise<Result> done;
    runtime_->outboxLoop().post([&] { done.set_value(fn()); });
    return done.get_future().get();
  }

  Status start() override {
    auto port = runtime_->listen(settings_.listenHost, settings_.listenPort);
    if (!port) return port.status();
    port_ = *port;
    runtime_->startOutbox();
    outboxStarted_ = true;
    Status outbox = onOutboxThread([this] { return outbox_->start(); });
    if (!outbox) return outbox;
    if (cluster_) cluster_->start();
    runtime_->start();
    started_ = true;
    running_ = true;
    WPS_LOG_INFO("webpubsubd listening on {}:{} with {} workers{}", settings_.listenHost, port_,
                 runtime_->workerCount(),
                 settings_.tls.enabled() ? " (TLS: https and wss only)" : "");
    if (settings_.upstream.tlsInsecureSkipVerify) {
      WPS_LOG_WARN(
          "upstream.tls_insecure_skip_verify = true: certificates of https event handlers are "
          "NOT verified (development only)");
    }
    return Status::ok();
  }

  uint16_t port() const override { return port_; }

  std::string connectionString() const override {
    config::SettingsPtr s = settings();
    std::string endpoint =
        core::publicBaseUrl(*s, core::listenOrigin(s->listenHost, port_, s->tls.enabled()));
    return "Endpoint=" + endpoint + ";AccessKey=" + s->accessKeys.front() + ";Version=1.0;";
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
    reloader_->stop();  // a reload in progress finishes first; later ones answer 503
    WPS_LOG_INFO("shutting down: closing {} connections", engine_->directory().size());
    runtime_->stopAccepting();
    onEachWorker([this](size_t i) {
      for (auto& s : engine_->shard(i).all())
        s->closeForShutdown();
    });
    drain(Clock::now() + settings()->shutdownDrain);
    // Sessions the drain did not end get their disconnected event into the outbox now.
    onEachWorker([this](size_t i) {
      for (auto& s : engine_->shard(i).all())
        s->endForShutdown();
      for (auto& s : engine_->shard(i).drainingSessions())
        s->endForShutdown();
    });
    stopOutbox();
    runtime_->stop();
    if (cluster_) cluster_->stop();
    WPS_LOG_INFO("shutdown complete");
  }

  // Waits until every session is gone and the outbox delivered every pending event, or until
  // `deadline`.
  void drain(TimePoint deadline) {
    while (Clock::now() < deadline) {
      size_t sessions = 0;
      std::mutex mu;
      onEachWorker([&](size_t i) {
        std::lock_guard lock(mu);
        sessions += engine_->shard(i).size() + engine_->shard(i).drainingCount();
      });
      if (sessions == 0 && runtime_->openWebSockets() == 0 && outbox_->pendingEvents() == 0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Stops the outbox on its thread (its undelivered events stay in the store) and says what
  // becomes of the events left.
  void stopOutbox() {
    if (!outboxStarted_) return;
    uint64_t left = onOutboxThread([this] { return outbox_->stop(); });
    if (left == 0) return;
    if (!settings_.delivery.dataDir.empty()) {
      WPS_LOG_INFO(
          "{} undelivered events stay in the outbox {} and are delivered after the next "
          "start",
          left, settings_.delivery.dataDir);
    } else {
      WPS_LOG_WARN("{} undelivered connected/disconnected events were lost (no delivery.data_dir)",
                   left);
    }
  }

  Status reloadTls() override { return loadTls(settings()->tls); }

  // Loads `tls`'s files for new handshakes (nothing without [tls]); logs the outcome.
  Status loadTls(const config::TlsSettings& tls) {
    if (!tls.enabled()) return Status::ok();
    Status st = runtime_->loadTls(tls);
    if (st) {
      WPS_LOG_INFO("reloaded the TLS certificate {} for new connections", tls.certFile);
    } else {
      WPS_LOG_ERROR("TLS reload failed, the previous certificate stays in use: {}", st.message());
    }
    return st;
  }

  void setReloadSource(std::function<StatusOr<config::ServerSettings>()> source) override {
    reloader_->setSource(std::move(source));
  }

  StatusOr<config::ReloadPlan> reload() override { return reloader_->run(); }

  // The reload thread (Reloader): validates `next`, keeps the restart-only values, loads the
  // [tls] files, then hands the new generation to every worker and the outbox and waits until
  // each worker took it.
  StatusOr<config::ReloadPlan> apply(config::ServerSettings next) {
    if (!running_) return Status(StatusCode::kUnavailable, "the server is not running");
    config::SettingsPtr running = settings();
    Status st = config::validateSettings(next);
    if (!st) return st;
    config::ReloadPlan plan = config::planReload(*running, &next);
    st = loadTls(next.tls);
    if (!st) return st;
    auto generation = std::make_shared<const config::ServerSettings>(std::move(next));
    setLogLevel(generation->logLevel);  // validated with the settings
    engine_->labelHubs(*generation);
    runtime_->applyAdmissionLimits(generation->limits);
    outbox_->setSettings(generation);
    onEachWorker([&](size_t i) { engine_->applySettings(i, generation); });
    {
      std::lock_guard lock(currentMu_);
      current_ = generation;
    }
    logPlan(plan);
    return plan;
  }

  static std::string joined(const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& k : keys)
      out += (out.empty() ? "" : ", ") + k;
    return out;
  }

  static void logPlan(const config::ReloadPlan& plan) {
    WPS_LOG_INFO("configuration reloaded: {} changed",
                 plan.changed.empty() ? std::string("nothing") : joined(plan.changed));
    if (!plan.restartRequired.empty()) {
      WPS_LOG_WARN(
          "configuration reload: {} changed in the file but need a restart; the running "
          "values stay",
          joined(plan.restartRequired));
    }
  }

  config::SettingsPtr settings() const override {
    std::lock_guard lock(currentMu_);
    return current_;
  }
  core::Engine& engine() override { return *engine_; }

 private:
  const config::SettingsPtr start_;  // the first generation: restart-only values are read here
  const config::ServerSettings& settings_;  // *start_
  mutable std::mutex currentMu_;
  config::SettingsPtr current_;  // guarded by currentMu_: the generation in effect
  std::unique_ptr<transport::Runtime> runtime_;
  std::unique_ptr<core::Engine> engine_;
  std::unique_ptr<Reloader> reloader_;  // stopped before anything it reloads is stopped
  std::unique_ptr<Routes> routes_;
  // Destroyed before the engine (its abuse protection and metrics) and the runtime (its loop).
  std::unique_ptr<delivery::Outbox> outbox_;
  std::unique_ptr<cluster::ClusterService> cluster_;  // stopped before the engine is destroyed
  uint16_t port_ = 0;
  std::atomic<bool> running_{false};  // start() succeeded: reloads may reach the workers
  bool outboxStarted_ = false;        // the outbox thread runs (start() got that far)
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
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int waitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace wps::server
