// The clustered Broker. Every operation runs on this node's workers (the LocalBroker); unless
// its target is known to be local it also goes out once on the cluster bus (Redis pub/sub):
//  - sends are broadcast and fire-and-forget (each node encodes once per protocol for its own
//    receivers; one publishing connection per node keeps per-sender order);
//  - operations that answer (exists checks, group listings, permissions) and membership or
//    close operations are scatter-gather requests: every live node (NodeRegistry) applies them
//    to its own connections and replies, and the caller gets the combined answer once all have
//    replied (or the request timeout passed). So a REST call returns only after every node
//    applied it: reads that follow see the write.
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
                        EventLoop& reply, std::function<void()> done) override;
  void addToGroups(const std::string& hubKey, const core::Target& target,
                   std::vector<std::string> groups, EventLoop& reply,
                   std::function<void(size_t)> done) override;
  void removeFromGroups(const std::string& hubKey, const core::Target& target,
                        std::vector<std::string> groups, EventLoop& reply,
                        std::function<void(size_t)> done) override;
  void leaveAllGroups(const std::string& hubKey, const core::Target& target, EventLoop& reply,
                      std::function<void(size_t)> done) override;
  void count(const std::string& hubKey, const core::Target& target, EventLoop& reply,
             std::function<void(size_t)> done) override;
  void permission(const std::string& hubKey, const std::string& connectionId, core::PermissionOp op,
                  auth::Permission permission, std::string group, EventLoop& reply,
                  std::function<void(core::PermissionResult)> done) override;
  void listGroup(const std::string& hubKey, const std::string& group, EventLoop& reply,
                 std::function<void(std::vector<core::MemberInfo>)> done) override;

  // Cluster thread: a message arrived on the bus or this node's inbox.
  void onBusMessage(std::string_view payload);
  // Cluster thread: the bus went down; pending requests complete with what they have.
  void onLinkDown();
  // Cluster thread: tells the other nodes that this one (re)joined.
  void announce();

 private:
  using Finish = std::function<void(const BusMessage& combined)>;
  struct Gather {
    size_t outstanding = 0;  // answers still expected, this node's included
    bool localPending = true;
    BusMessage combined;  // count summed, members appended, the decisive permission result
    Finish finish;
    std::unique_ptr<Timer> timer;
  };

  bool isLocalConnection(const std::string& hubKey, const core::Target& target) const;
  // Applies `request` to this node's connections; `done` gets the partial answer on the cluster
  // thread. The same code serves this node's share of its own requests and other nodes' ones.
  void executeLocally(BusMessage request, std::function<void(BusMessage)> done);
  // Runs `request` on this node and every live peer; `finish` gets the combined answer on the
  // cluster thread.
  void scatter(BusMessage request, Finish finish);
  // scatter() answered with the summed count, on `reply`.
  void scatterCount(BusMessage request, EventLoop& reply, std::function<void(size_t)> done);
  void absorb(uint64_t requestId, const BusMessage& part);
  void complete(uint64_t requestId);
  void send(std::string channel, BusMessage m);

  Deps d_;
  uint64_t nextRequestId_ = 1;                    // cluster thread only
  std::unordered_map<uint64_t, Gather> gathers_;  // cluster thread only
};

}  // namespace wps::cluster
