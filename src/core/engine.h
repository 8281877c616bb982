// The messaging engine as a library: every core object of a node, built from the settings for
// N workers whose event loops and upstream HTTP clients the transport provides. No I/O of its
// own. Built and destroyed on the main thread while no worker runs; afterwards each worker's
// objects are used only on that worker's loop (see docs/architecture.md).
#pragma once

#include <memory>
#include <vector>

#include "common/status.h"
#include "config/generation.h"
#include "core/broker.h"
#include "core/connection_directory.h"
#include "core/handshake.h"
#include "core/reconnection_tokens.h"
#include "core/shard.h"
#include "core/worker_context.h"
#include "delivery/event_outbox.h"
#include "metrics/metrics.h"
#include "upstream/abuse_protection.h"
#include "upstream/event_dispatcher.h"
#include "upstream/instrumented_client.h"

namespace wps::core {

class Engine {
 public:
  struct WorkerIo {
    EventLoop* loop;
    upstream::UpstreamClient* upstreamClient;
  };

  // kFailedPrecondition unless `settings` holds at least one access key (the primary key signs
  // reconnection and paging tokens). Callers that build an engine check this first.
  static Status checkSettings(const config::ServerSettings& settings);

  // Precondition: checkSettings(*settings) is OK (violations abort: a programming error).
  // `settings` is every worker's first generation. Routing starts with the in-memory LocalBroker.
  Engine(config::SettingsPtr settings, std::vector<WorkerIo> workers);
  // The same with settings that must outlive the engine (tests, tools).
  Engine(const config::ServerSettings& settings, std::vector<WorkerIo> workers)
      : Engine(config::unownedSettings(settings), std::move(workers)) {}
  ~Engine();

  size_t workerCount() const { return workers_.size(); }
  WorkerContext& worker(size_t i) { return workers_[i]->context; }
  HandshakeService& handshake(size_t i) { return workers_[i]->handshake; }
  Shard& shard(size_t i) { return workers_[i]->shard; }
  upstream::EventDispatcher& dispatcher(size_t i) { return workers_[i]->dispatcher; }
  // The outbox every worker hands its connected/disconnected events to (setOutbox()).
  delivery::EventOutbox& outbox();
  // Shared by every worker's dispatcher and the outbox (one validation per handler origin).
  upstream::AbuseProtection& abuseProtection() { return abuseProtection_; }
  Broker& broker();
  ConnectionDirectory& directory() { return directory_; }
  metrics::Metrics& metrics() { return metrics_; }
  // The live trace of this node (GET /trace); thread-safe.
  trace::Tracer& tracer() { return tracer_; }
  // The primary (first) access key at start: it signs this node's own reconnection and paging
  // tokens for the whole run (a reload's keys sign and verify everything else).
  const std::string& primaryKey() const { return startSettings_->accessKeys.front(); }

  // Worker `worker`'s loop thread (a reload posts it there): from now on the worker's sessions,
  // handshakes, REST calls and event dispatcher read `settings`. Precondition: `settings` keeps
  // the start's restart-only values (config::planReload).
  void applySettings(size_t worker, config::SettingsPtr settings);
  // Any thread. Gives the hubs of `settings` their metrics label (hubs.* added by a reload;
  // labels stay bounded, metrics/hub_labels.h, and a removed hub keeps its label).
  void labelHubs(const config::ServerSettings& settings);

  // Replaces the broker (cluster mode). Call before workers start.
  void setBroker(std::unique_ptr<Broker> broker);
  // Sets the outbox that receives every worker's connected/disconnected events (it must outlive
  // every session, or be unset with nullptr before it is destroyed). Call while no worker runs.
  // A session that hands over an event while none is set is a programming error (abort).
  void setOutbox(delivery::EventOutbox* outbox);
  // The in-memory broker over this node's workers (also used by cluster brokers for local
  // delivery).
  Broker& localBroker() { return *localBroker_; }

 private:
  class RoutingBroker;
  class RoutingOutbox;
  struct Worker {
    Worker(size_t index, EventLoop& loop, upstream::UpstreamClient& client,
           const config::SettingsPtr& settings, upstream::AbuseProtection& abuse,
           delivery::EventOutbox& outbox, Broker& broker, ConnectionDirectory& directory,
           const ReconnectionTokens& tokens, metrics::Metrics& metrics, trace::Tracer& tracer);
    Shard shard;
    upstream::InstrumentedUpstreamClient client;  // measures the dispatcher's requests
    upstream::EventDispatcher dispatcher;
    WorkerContext context;
    HandshakeService handshake;
  };

  const config::SettingsPtr startSettings_;
  ConnectionDirectory directory_;
  ReconnectionTokens tokens_;
  metrics::Metrics metrics_;
  upstream::AbuseProtection abuseProtection_;
  trace::Tracer tracer_;
  std::unique_ptr<Broker> localBroker_;
  std::unique_ptr<Broker> clusterBroker_;
  std::unique_ptr<RoutingBroker> routing_;
  std::unique_ptr<RoutingOutbox> outbox_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace wps::core
