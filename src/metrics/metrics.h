// Process-wide counters and gauges, exported in the Prometheus text format at GET /metrics.
// Thread-safe (relaxed atomics): updated from every worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace wps::metrics {

class Metrics {
 public:
  using Counter = std::atomic<uint64_t>;
  using Gauge = std::atomic<int64_t>;

  Gauge connections{0};  // logical connections (detached reliable sessions included)
  Counter connectionsOpened{0};
  Counter handshakesRejected{0};
  Counter messagesReceived{0};   // client data messages
  Counter messagesDelivered{0};  // data frames queued to clients
  Counter slowClientsClosed{0};
  Counter upstreamRequests{0};  // events dispatched to event handlers
  Counter upstreamFailures{0};  // events that failed (non-2xx after retries, errors, timeouts)
  Counter restRequests{0};
  Counter restErrors{0};
  Gauge clusterState{0};  // 0 single node, 1 connected to the cluster bus, 2 degraded (bus down)
  Counter busPublished{0};
  Counter busReceived{0};
  Counter busDropped{0};  // operations not sent to other nodes (bus down or backlog full)

  static void inc(Counter& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
  static void add(Gauge& g, int64_t n) { g.fetch_add(n, std::memory_order_relaxed); }

  // Prometheus text exposition of every metric above.
  std::string render() const;
};

}  // namespace wps::metrics
