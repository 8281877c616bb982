// Counters and gauges of the process, exported in the Prometheus text format at GET /metrics.
//
// Counting is per thread: every thread that counts (each worker, the cluster thread) owns a
// CounterBlock, a cache line of its own that only it writes, so counting is a plain add with no
// shared cache line bouncing between workers (every delivery of a fan-out counts). A scrape
// (any thread) adds up the blocks registered with the process's Metrics.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "metrics/blocking_stages.h"
#include "metrics/histogram.h"
#include "metrics/hub_labels.h"
#include "metrics/reasons.h"
#include "metrics/stream_end_reason.h"

namespace wps::metrics {

// The node's view of the cluster bus (webpubsubd_cluster_state exports the number).
enum class ClusterState : int64_t { kSingleNode = 0, kConnected = 1, kDegraded = 2 };

// A count that only one thread (its owner) increments; any thread may read it. Relaxed atomics:
// the owner's increment is a load and a store (no locked read-modify-write), and readers see a
// value that is at most a little stale.
class Counter {
 public:
  // Owner thread only.
  void inc(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Any thread.
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A level that only one thread moves up and down (same rules as Counter). A block's gauge is the
// owner's share of the total; it may be negative if another thread's block holds the matching
// increment.
class Gauge {
 public:
  // Owner thread only.
  void add(int64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Any thread.
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// The protocol of a client connection (label `protocol`), in the order of protocol::ClientKind.
enum class ClientProtocol : size_t {
  kSimple,
  kJson,
  kJsonReliable,
  kProtobuf,
  kProtobufReliable,
  kCount
};
inline constexpr size_t kClientProtocols = static_cast<size_t>(ClientProtocol::kCount);
std::string_view labelOf(ClientProtocol p);

// Every per-thread metric, generic over its storage: Counter/Gauge in the blocks threads write,
// plain integers in the totals a scrape adds up (a value type, owned by whoever made it).
// Adding a metric: a field here, a line in zip() and in Metrics::render().
template <class C, class G>
struct Counts {
  // A gauge kept per worker: a session opens and closes on its worker, so each worker's share
  // is exact and always >= 0, and connection storms do not bounce a shared line either.
  G connections{};  // logical connections (detached reliable sessions included)
  // The same by hub slot (HubLabels) and protocol: index slot * kClientProtocols + protocol.
  std::array<G, kHubSlots * kClientProtocols> hubConnections{};
  G detachedSessions{};     // reliable sessions without a transport, waiting for recovery
  G groups{};               // non-empty groups of this worker's shard (per hub)
  G outboundQueuedBytes{};  // bytes in the outbound queues of this worker's connections
  C connectionsOpened{};
  std::array<C, kRefusals> handshakesRejected{};  // by Refusal
  // Server-initiated closes by CloseReason; those of kOther by otherCloseCodeIndex(code).
  std::array<C, kCloseReasons> closes{};
  std::array<C, kOtherCloseCodes> otherCloses{};
  // Limit hits without a counter of their own (docs/metrics.md: webpubsubd_limit_hits_total).
  C inboundQueueFull{};     // reading paused at limits.inbound_queue_messages / _bytes
  C groupLimitHits{};       // joins refused at limits.max_groups_per_connection
  C invocationLimitHits{};  // invokes refused at limits.max_pending_invocations
  C messagesReceived{};     // client data messages
  C messagesDelivered{};    // data frames queued to clients
  C slowClientsClosed{};
  C messagesExpired{};  // data frames dropped because their TTL passed before they were written
  // Clients closed for exceeding limits.max_messages_per_second (1008).
  C rateLimitedClientsClosed{};
  C upstreamRequests{};   // events dispatched to event handlers
  C upstreamFailures{};   // events that failed (non-2xx after retries, errors, timeouts)
  C upstreamOverflows{};  // events failed at once: max_pending_requests_per_origin waiting
  C restRequests{};
  C restErrors{};
  C busPublished{};
  C busReceived{};
  C busDropped{};    // operations not sent to other nodes (bus down or backlog full)
  C acceptErrors{};  // failed accept() calls of the listening socket (EMFILE, ENFILE, ...)
  // The outbox (delivery/outbox.h): only the outbox thread's block moves these. The gauges are
  // levels read from its store (set by adding the difference to the last value).
  G deliveryPendingEvents{};
  G deliveryPendingBytes{};
  G deliveryOldestPendingSeconds{};
  C deliveryAttemptsOk{};       // attempts answered 2xx
  C deliveryAttemptsRetry{};    // attempts that failed and were rescheduled
  C deliveryAttemptsDropped{};  // attempts whose answer dropped the event (410, other 4xx)
  C deliveryDroppedExpired{};   // events older than delivery.retention_seconds
  C deliveryDroppedGone{};      // answered 410
  C deliveryDroppedRejected{};  // answered another 4xx, or no handler takes them any more
  C deliveryDroppedOverflow{};  // max_pending_events / max_pending_bytes exceeded
  // Group streams (client-protocols-1.1.md §3), counted by the publisher's worker, which starts
  // and ends its streams: each worker's share of the gauge is exact.
  G streamsActive{};
  C streamsStarted{};
  C streamFragments{};                              // in-order fragments published
  std::array<C, kStreamEndReasons> streamsEnded{};  // by StreamEndReason
  // Latencies: each upstream HTTP request (attempt) by event class and outcome, index
  // event * kUpstreamOutcomes + outcome; each REST request by operation.
  std::array<Histogram<C>, kUpstreamEventClasses * kUpstreamOutcomes> upstreamLatency{};
  std::array<Histogram<C>, kRestOperations> restLatency{};
  // The latency a waiting-for-upstream client request adds, by BlockingKind: from its frame's
  // arrival (queued time included) to its reply/ack/invokeResponse queued to the client.
  std::array<Histogram<C>, kBlockingKinds> blockingLatency{};
  // The same requests' stages (BlockingStage, kStageBounds), index stage * kBlockingKinds + kind.
  std::array<Histogram<C>, kBlockingStages * kBlockingKinds> blockingStages{};

  // Calls f(mine, theirs) for every field of this and `other` (another Counts), in order.
  template <class Other, class F>
  void zip(Other& other, F&& f) {
    f(connections, other.connections);
    for (size_t i = 0; i < hubConnections.size(); ++i)
      f(hubConnections[i], other.hubConnections[i]);
    f(detachedSessions, other.detachedSessions);
    f(groups, other.groups);
    f(outboundQueuedBytes, other.outboundQueuedBytes);
    f(connectionsOpened, other.connectionsOpened);
    for (size_t i = 0; i < handshakesRejected.size(); ++i)
      f(handshakesRejected[i], other.handshakesRejected[i]);
    for (size_t i = 0; i < closes.size(); ++i)
      f(closes[i], other.closes[i]);
    for (size_t i = 0; i < otherCloses.size(); ++i)
      f(otherCloses[i], other.otherCloses[i]);
    f(inboundQueueFull, other.inboundQueueFull);
    f(groupLimitHits, other.groupLimitHits);
    f(invocationLimitHits, other.invocationLimitHits);
    f(messagesReceived, other.messagesReceived);
    f(messagesDelivered, other.messagesDelivered);
    f(slowClientsClosed, other.slowClientsClosed);
    f(messagesExpired, other.messagesExpired);
    f(rateLimitedClientsClosed, other.rateLimitedClientsClosed);
    f(upstreamRequests, other.upstreamRequests);
    f(upstreamFailures, other.upstreamFailures);
    f(upstreamOverflows, other.upstreamOverflows);
    f(restRequests, other.restRequests);
    f(restErrors, other.restErrors);
    f(busPublished, other.busPublished);
    f(busReceived, other.busReceived);
    f(busDropped, other.busDropped);
    f(acceptErrors, other.acceptErrors);
    f(deliveryPendingEvents, other.deliveryPendingEvents);
    f(deliveryPendingBytes, other.deliveryPendingBytes);
    f(deliveryOldestPendingSeconds, other.deliveryOldestPendingSeconds);
    f(deliveryAttemptsOk, other.deliveryAttemptsOk);
    f(deliveryAttemptsRetry, other.deliveryAttemptsRetry);
    f(deliveryAttemptsDropped, other.deliveryAttemptsDropped);
    f(deliveryDroppedExpired, other.deliveryDroppedExpired);
    f(deliveryDroppedGone, other.deliveryDroppedGone);
    f(deliveryDroppedRejected, other.deliveryDroppedRejected);
    f(deliveryDroppedOverflow, other.deliveryDroppedOverflow);
    f(streamsActive, other.streamsActive);
    f(streamsStarted, other.streamsStarted);
    f(streamFragments, other.streamFragments);
    for (size_t i = 0; i < streamsEnded.size(); ++i)
      f(streamsEnded[i], other.streamsEnded[i]);
    for (size_t i = 0; i < upstreamLatency.size(); ++i)
      upstreamLatency[i].zip(other.upstreamLatency[i], f);
    for (size_t i = 0; i < restLatency.size(); ++i)
      restLatency[i].zip(other.restLatency[i], f);
    for (size_t i = 0; i < blockingLatency.size(); ++i)
      blockingLatency[i].zip(other.blockingLatency[i], f);
    for (size_t i = 0; i < blockingStages.size(); ++i)
      blockingStages[i].zip(other.blockingStages[i], f);
  }
};

// Sums of every block at one moment (a scrape).
using Totals = Counts<uint64_t, int64_t>;

class Metrics;

// Cache lines are 64 bytes on the machines we run on (x86-64, most ARM64).
inline constexpr size_t kCacheLineSize = 64;

// The metrics one thread counts. Owned by that thread's context (a worker's WorkerContext, the
// cluster service); only that thread writes it, scrapes read it from any thread. Registered
// with `metrics` for its lifetime; when destroyed (its thread must have stopped counting) its
// counts move into the registry, so exported counters never go down. Cache-line aligned and
// sized: no other data shares its lines.
class alignas(kCacheLineSize) CounterBlock : public Counts<Counter, Gauge> {
 public:
  explicit CounterBlock(Metrics& metrics);
  ~CounterBlock();
  CounterBlock(const CounterBlock&) = delete;
  CounterBlock& operator=(const CounterBlock&) = delete;

 private:
  Metrics& metrics_;
};

// The process's registry of counter blocks plus the process-wide cluster state.
// Thread-safe: blocks register and leave on any thread, scrapes run on any thread.
class Metrics {
 public:
  // Counting (the owner thread of the block that holds `c` / `g`).
  static void inc(Counter& c, uint64_t n = 1) { c.inc(n); }
  static void add(Gauge& g, int64_t n) { g.add(n); }
  // Moves the owner's gauge `g` to `level` (a gauge only one block ever moves).
  static void set(Gauge& g, int64_t level) { g.add(level - g.value()); }
  // Records one observation of `d` in the owner's histogram `h`.
  static void observe(Histogram<Counter>& h, std::chrono::nanoseconds d) {
    h.buckets[latencyBucket(d)].inc();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    h.sumMicros.inc(us > 0 ? static_cast<uint64_t>(us) : 0);
  }
  // Records one observation of `d` (negative counts as 0) in the owner's stage histogram of
  // (`stage`, `kind`) in `block` (kStageBounds).
  template <class Block>
  static void observeStage(Block& block, BlockingStage stage, BlockingKind kind,
                           std::chrono::nanoseconds d) {
    auto& h = block.blockingStages[static_cast<size_t>(stage) * kBlockingKinds +
                                   static_cast<size_t>(kind)];
    h.buckets[stageBucket(d)].inc();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    h.sumMicros.inc(us > 0 ? static_cast<uint64_t>(us) : 0);
  }
  // Counts a refusal / a server-initiated close in `block`.
  template <class Block>
  static void refused(Block& block, Refusal reason) {
    block.handshakesRejected[static_cast<size_t>(reason)].inc();
  }
  template <class Block>
  static void closed(Block& block, CloseReason reason, uint16_t code) {
    block.closes[static_cast<size_t>(reason)].inc();
    if (reason == CloseReason::kOther) block.otherCloses[otherCloseCodeIndex(code)].inc();
  }
  // The connections gauge of (hub `slot`, `protocol`) in `block`.
  template <class Block>
  static auto& hubConnections(Block& block, size_t slot, ClientProtocol protocol) {
    return block.hubConnections[slot * kClientProtocols + static_cast<size_t>(protocol)];
  }
  // The upstream latency histogram of (`event`, `outcome`) in `block`.
  template <class Block>
  static auto& upstreamLatency(Block& block, UpstreamEventClass event, UpstreamOutcome outcome) {
    return block.upstreamLatency[static_cast<size_t>(event) * kUpstreamOutcomes +
                                 static_cast<size_t>(outcome)];
  }

  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;
  // Every CounterBlock of this registry must be gone by then.
  ~Metrics() = default;

  // Process-wide, not per thread: written by the cluster thread on the rare bus up/down
  // transitions, read by /api/health and scrapes; a state, not a sum.
  std::atomic<ClusterState> clusterState{ClusterState::kSingleNode};
  // The `hub` label slots of per-hub metrics (thread-safe).
  HubLabels hubLabels;

  // Sums of the live blocks and of the ones already destroyed. Any thread; each block's value
  // is read once (relaxed), so a total may trail its owner by a few increments.
  Totals totals() const EXCLUDES(mu_);
  // Prometheus text exposition of every metric. Any thread.
  std::string render() const EXCLUDES(mu_);

 private:
  friend class CounterBlock;
  void attach(const CounterBlock& block) EXCLUDES(mu_);
  void detach(const CounterBlock& block) EXCLUDES(mu_);

  mutable Mutex mu_;
  std::vector<const CounterBlock*> blocks_ GUARDED_BY(mu_);
  Totals retired_ GUARDED_BY(mu_);  // counts of blocks already destroyed
};

}  // namespace wps::metrics
