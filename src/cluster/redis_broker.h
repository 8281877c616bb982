// The clustered Broker. Every operation runs on this node's workers (the LocalBroker); unless
// its target is known to be local it also goes out once on the cluster bus (Redis pub/sub):
//  - sends are broadcast and fire-and-forget (each node encodes once per protocol for its own
//    receivers; one publishing connection per node keeps per-sender order);
//  - operations that answer (exists checks, group listings, permissions) and membership or
//    close operations are scatter-gather requests: every live node (NodeRegistry) applies them
//    to its own connections and replies, and the caller gets the combined answer once all have
//    replied. So a REST call returns only after every node applied it: reads that follow see
//    the write. When a node does not answer within the request timeout the operation fails with
//    kDeadlineExceeded, and when the bus is down with kUnavailable — except an operation on one
//    connection whose owner did answer (its answer is complete).
// Thread-safe: called from any worker; bus traffic and request state live on the cluster thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <unordered_map>

#include "cluster/bus_message.h"
#include "cluster/node_registry.h"
#include "cluster/redis_link.h"
#include "core/broker.h"
#include "core/connection_directory.h"
#include "metrics/metrics.h"

namespace wps::cluster {

class RedisBroker : public core::Broker {
 public:
  struct Deps {
    EventLoop& clusterLoop;  // the cluster thread
    RedisLink& link;         // cluster thread only
    NodeRegistry& nodes;     // cluster thread only
    core::Broker& local;
    core::ConnectionDirectory& directory;
    metrics::CounterBlock& counters;  // cluster thread only
    std::string nodeId;
    std::string busChannel;   // every node subscribes
    std::string inboxPrefix;  // + node id: replies to this node's requests
    std::chrono::milliseconds requestTimeout;
    size_t maxPendingPublishes;
  };

  explicit RedisBroker(Deps deps) : d_(std::move(deps)) {}

  void publish(const std::string& hubKey, const core::Target& target,
               core::OutboundMessagePtr message) override;
  void closeConnections(const std::string& hubKey, const core::Target& target, std::string reason,
                        EventLoop& reply, StatusDone done) override;
  void addToGroups(const std::string& hubKey, const core::Target& target,
                   std::vector<std::string> groups, EventLoop& reply, AddDone done) override;
  void removeFromGroups(const std::string& hubKey, const core::Target& target,
                        std::vector<std::string> groups, EventLoop& reply, CountDone done) override;
  void leaveAllGroups(const std::string& hubKey, const core::Target& target, EventLoop& reply,
                      CountDone done) override;
  void count(const std::string& hubKey, const core::Target& target, EventLoop& reply,
             CountDone done) override;
  void permission(const std::string& hubKey, const std::string& connectionId, core::PermissionOp op,
                  auth::Permission permission, std::string group, EventLoop& reply,
                  PermissionDone done) override;
  void listGroup(const std::string& hubKey, const std::string& group, EventLoop& reply,
                 MembersDone done) override;

  // Cluster thread: a message arrived on the bus or this node's inbox.
  void onBusMessage(std::string_view payload);
  // Cluster thread: the bus went down; pending requests fail with kUnavailable once this node's
  // own share is done (unless their answer is already complete).
  void onLinkDown();
  // Cluster thread: tells the other nodes that this one (re)joined.
  void announce();

 private:
  // The combined answer, or why some node's answer is missing.
  using Finish = std::function<void(StatusOr<BusMessage> combined)>;
  struct Gather {
    size_t outstanding = 0;  // answers still expected, this node's included
    bool localPending = true;
    bool oneConnection = false;  // about a single connection: its owner's answer is complete
    BusMessage combined;         // count summed, members appended, the decisive permission result
    Status failure;              // set when some answer cannot arrive (timeout, bus down)
    Finish finish;
    std::unique_ptr<Timer> timer;
  };

  bool isLocalConnection(const std::string& hubKey, const core::Target& target) const;
  // Applies `request` to this node's connections; `done` gets the partial answer on the cluster
  // thread. The same code serves this node's share of its own requests and other nodes' ones.
  void executeLocally(BusMessage request, std::function<void(BusMessage)> done);
  // Runs `request` on this node and every live peer; `finish` gets the combined answer (or the
  // failure) on the cluster thread.
  void scatter(BusMessage request, Finish finish);
  // From any thread: scatter() on the cluster thread, then `done(extract(combined))` (or the
  // failure) on `reply`.
  template <class T, class Extract>
  void scatterFor(BusMessage request, EventLoop& reply, std::function<void(StatusOr<T>)> done,
                  Extract extract);
  // scatter() answered with the summed count, on `reply`.
  void scatterCount(BusMessage request, EventLoop& reply, CountDone done);
  void onTimeout(uint64_t requestId);
  void absorb(uint64_t requestId, const BusMessage& part);
  void complete(uint64_t requestId);
  void send(std::string channel, BusMessage m);

  Deps d_;
  uint64_t nextRequestId_ = 1;                    // cluster thread only
  std::unordered_map<uint64_t, Gather> gathers_;  // cluster thread only
};

}  // namespace wps::cluster
