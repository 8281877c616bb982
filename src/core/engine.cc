#include "core/engine.h"

#include <cstdio>
#include <cstdlib>

#include "core/local_broker.h"

namespace wps::core {

// Forwards every operation to the active broker (local, or a cluster broker set at start-up).
// Thread-safe: the target is set on the main thread before workers start, then only read.
class Engine::RoutingBroker : public Broker {
 public:
  explicit RoutingBroker(Broker* target) : target_(target) {}
  void setTarget(Broker* target) { target_ = target; }

  void publish(const std::string& hubKey, const Target& target,
               OutboundMessagePtr message) override {
    target_->publish(hubKey, target, std::move(message));
  }
  void closeConnections(const std::string& hubKey, const Target& target, std::string reason,
                        EventLoop& reply, StatusDone done) override {
    target_->closeConnections(hubKey, target, std::move(reason), reply, std::move(done));
  }
  void addToGroups(const std::string& hubKey, const Target& target, std::vector<std::string> groups,
                   EventLoop& reply, AddDone done) override {
    target_->addToGroups(hubKey, target, std::move(groups), reply, std::move(done));
  }
  void removeFromGroups(const std::string& hubKey, const Target& target,
                        std::vector<std::string> groups, EventLoop& reply,
                        CountDone done) override {
    target_->removeFromGroups(hubKey, target, std::move(groups), reply, std::move(done));
  }
  void leaveAllGroups(const std::string& hubKey, const Target& target, EventLoop& reply,
                      CountDone done) override {
    target_->leaveAllGroups(hubKey, target, reply, std::move(done));
  }
  void count(const std::string& hubKey, const Target& target, EventLoop& reply,
             CountDone done) override {
    target_->count(hubKey, target, reply, std::move(done));
  }
  void permission(const std::string& hubKey, const std::string& connectionId, PermissionOp op,
                  auth::Permission permission, std::string group, EventLoop& reply,
                  PermissionDone done) override {
    target_->permission(hubKey, connectionId, op, permission, std::move(group), reply,
                        std::move(done));
  }
  void listGroup(const std::string& hubKey, const std::string& group, EventLoop& reply,
                 MembersDone done) override {
    target_->listGroup(hubKey, group, reply, std::move(done));
  }

 private:
  Broker* target_;  // set before workers start; read-only afterwards
};

// Forwards to the outbox set with setOutbox(). Thread-safe: the target is set while no worker
// runs, then only read.
class Engine::RoutingOutbox : public delivery::EventOutbox {
 public:
  void setTarget(delivery::EventOutbox* target) { target_ = target; }

  void accept(delivery::PendingEvent event, SetCookieHook onSetCookie) override {
    target().accept(std::move(event), std::move(onSetCookie));
  }
  void recordConnection(delivery::ConnectionRecord record) override {
    target().recordConnection(std::move(record));
  }
  void updateConnectionState(std::string connectionId, std::string state) override {
    target().updateConnectionState(std::move(connectionId), std::move(state));
  }

 private:
  delivery::EventOutbox& target() {
    if (!target_) {
      std::fprintf(stderr,
                   "webpubsubd: internal error: an event reached the engine's outbox "
                   "before Engine::setOutbox\n");
      std::abort();
    }
    return *target_;
  }

  delivery::EventOutbox* target_ = nullptr;
};

Engine::Worker::Worker(size_t index, EventLoop& loop, upstream::UpstreamClient& client,
                       const config::SettingsPtr& settings, upstream::AbuseProtection& abuse,
                       delivery::EventOutbox& outbox, Broker& broker,
                       ConnectionDirectory& directory, const ReconnectionTokens& tokens,
                       metrics::Metrics& metrics, trace::Tracer& tracer)
    : shard(index),
      client(client),
      dispatcher(settings, loop, this->client, abuse),
      context{index,  loop,      settings, shard,   dispatcher, outbox,
              broker, directory, tokens,   metrics, tracer},
      handshake(context) {
  this->client.recordInto(&context.counters);
  dispatcher.traceInto(&tracer);
  dispatcher.countOverflowsIn(&context.counters.upstreamOverflows);
  shard.countGroupsIn(&context.counters.groups);
  shard.countGroupLimitHitsIn(&context.counters.groupLimitHits);
}

namespace {
// The primary access key; the engine's precondition (checkSettings) guarantees there is one.
const std::string& requirePrimaryKey(const config::ServerSettings& settings) {
  if (settings.accessKeys.empty()) {
    std::fprintf(stderr, "webpubsubd: internal error: %s\n",
                 Engine::checkSettings(settings).message().c_str());
    std::abort();
  }
  return settings.accessKeys.front();
}
}  // namespace

Status Engine::checkSettings(const config::ServerSettings& settings) {
  if (settings.accessKeys.empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  "the engine needs at least one access key (access_keys)");
  }
  return Status::ok();
}

Engine::Engine(config::SettingsPtr settings, std::vector<WorkerIo> io)
    : startSettings_(std::move(settings)),
      tokens_(requirePrimaryKey(*startSettings_)),
      abuseProtection_(startSettings_->upstream.probeTimeout,
                       startSettings_->upstream.maxPendingRequestsPerOrigin),
      tracer_(startSettings_->trace.includePayloads) {
  routing_ = std::make_unique<RoutingBroker>(nullptr);
  outbox_ = std::make_unique<RoutingOutbox>();
  labelHubs(*startSettings_);
  std::vector<LocalBroker::Worker> brokerWorkers;
  for (size_t i = 0; i < io.size(); ++i) {
    workers_.push_back(std::make_unique<Worker>(i, *io[i].loop, *io[i].upstreamClient,
                                                startSettings_, abuseProtection_, *outbox_,
                                                *routing_, directory_, tokens_, metrics_, tracer_));
    brokerWorkers.push_back({io[i].loop, &workers_.back()->shard});
  }
  localBroker_ = std::make_unique<LocalBroker>(std::move(brokerWorkers), directory_);
  routing_->setTarget(localBroker_.get());
}

Engine::~Engine() = default;

void Engine::applySettings(size_t worker, config::SettingsPtr settings) {
  Worker& w = *workers_.at(worker);
  w.dispatcher.setSettings(settings);
  w.context.generation = std::move(settings);
}

void Engine::labelHubs(const config::ServerSettings& settings) {
  std::vector<std::string> hubKeys;
  for (const auto& [key, hub] : settings.hubs)
    hubKeys.push_back(key);
  metrics_.hubLabels.configure(hubKeys);
}

Broker& Engine::broker() {
  return *routing_;
}

delivery::EventOutbox& Engine::outbox() {
  return *outbox_;
}

void Engine::setOutbox(delivery::EventOutbox* outbox) {
  outbox_->setTarget(outbox);
}

void Engine::setBroker(std::unique_ptr<Broker> broker) {
  clusterBroker_ = std::move(broker);
  routing_->setTarget(clusterBroker_ ? clusterBroker_.get() : localBroker_.get());
}

}  // namespace wps::core
