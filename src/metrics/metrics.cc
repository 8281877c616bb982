#include "metrics/metrics.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

namespace wps::metrics {

namespace {
// The HELP and TYPE lines of metric `name`.
void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void line(std::string& out, const char* name, const char* type, const char* help, int64_t v) {
  header(out, name, type, help);
  out += name;
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}

// A metric with one label: HELP and TYPE once, then one sample per (label value, value).
void labeled(std::string& out, const char* name, const char* help, const char* label,
             std::initializer_list<std::pair<const char*, uint64_t>> samples) {
  header(out, name, "counter", help);
  for (const auto& [value, count] : samples) {
    out += name;
    out += '{';
    out += label;
    out += "=\"";
    out += value;
    out += "\"} ";
    out += std::to_string(count);
    out += '\n';
  }
}

// Appends `v` as a label value (backslash, double quote and newline escaped).
void appendLabelValue(std::string& out, std::string_view v) {
  for (char ch : v) {
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    if (ch == '\\' || ch == '"') out += '\\';
    out += ch;
  }
}

// The connection-level gauges: per hub label (`hubs`: the named slots) and protocol, detached
// reliable sessions, groups and outbound queued bytes.
void renderLevels(std::string& out, const Totals& t, const std::vector<std::string>& hubs) {
  const char* name = "webpubsubd_hub_connections";
  header(out, name, "gauge", "Open logical client connections, by hub and protocol.");
  auto series = [&](std::string_view hub, size_t slot) {
    for (size_t p = 0; p < kClientProtocols; ++p) {
      out += name;
      out += "{hub=\"";
      appendLabelValue(out, hub);
      out += "\",protocol=\"";
      out += labelOf(static_cast<ClientProtocol>(p));
      out += "\"} ";
      out += std::to_string(t.hubConnections[slot * kClientProtocols + p]);
      out += '\n';
    }
  };
  for (size_t slot = 0; slot < hubs.size(); ++slot)
    series(hubs[slot], slot);
  series(kOtherHubLabel, kOtherHubSlot);
  line(out, "webpubsubd_detached_sessions", "gauge",
       "Reliable sessions without a WebSocket, waiting for the client to recover them.",
       t.detachedSessions);
  line(out, "webpubsubd_groups", "gauge",
       "Non-empty groups, counted once per worker that holds members of them.", t.groups);
  line(out, "webpubsubd_outbound_queued_bytes", "gauge",
       "Bytes queued to clients and not yet written to their sockets.", t.outboundQueuedBytes);
}

// One sample of `name` with the labels `labels` (without braces).
void sample(std::string& out, const char* name, std::string_view labels, uint64_t v) {
  out += name;
  out += '{';
  out += labels;
  out += "} ";
  out += std::to_string(v);
  out += '\n';
}

// Refusals, server-initiated closes and limit hits, by reason (docs/metrics.md).
void renderReasons(std::string& out, const Totals& t) {
  const char* refused = "webpubsubd_handshakes_rejected_total";
  header(out, refused, "counter", "Client handshakes refused, by reason.");
  for (size_t r = 0; r < kRefusals; ++r) {
    std::string labels = "reason=\"" + std::string(labelOf(static_cast<Refusal>(r))) + "\"";
    sample(out, refused, labels, t.handshakesRejected[r]);
  }
  const char* closed = "webpubsubd_connections_closed_total";
  header(out, closed, "counter", "Client connections closed by the server, by reason and code.");
  for (size_t r = 0; r + 1 < kCloseReasons; ++r) {
    auto reason = static_cast<CloseReason>(r);
    sample(out, closed,
           "reason=\"" + std::string(labelOf(reason)) + "\",code=\"" +
               std::to_string(closeCodeOf(reason)) + "\"",
           t.closes[r]);
  }
  for (size_t i = 0; i < kOtherCloseCodes; ++i) {
    uint16_t code = kOtherCloseCodeValues[i];
    sample(out, closed,
           "reason=\"other\",code=\"" + (code ? std::to_string(code) : std::string("other")) + "\"",
           t.otherCloses[i]);
  }
  auto refusals = [&](Refusal r) { return t.handshakesRejected[static_cast<size_t>(r)]; };
  auto closes = [&](CloseReason r) { return t.closes[static_cast<size_t>(r)]; };
  labeled(out, "webpubsubd_limit_hits_total", "Times a configured limit was reached, by limit.",
          "limit",
          {{"max_connections", refusals(Refusal::kMaxConnections)},
           {"max_connections_per_ip", refusals(Refusal::kMaxConnectionsPerIp)},
           {"max_messages_per_second", t.rateLimitedClientsClosed},
           {"max_message_bytes", closes(CloseReason::kMessageTooLarge)},
           {"outbound_queue", t.slowClientsClosed},
           {"inbound_queue", t.inboundQueueFull},
           {"reliable_buffer", closes(CloseReason::kReliableBufferFull)},
           {"max_groups_per_connection", t.groupLimitHits},
           {"max_pending_invocations", t.invocationLimitHits},
           {"max_pending_requests_per_origin", t.upstreamOverflows},
           {"delivery_max_pending", t.deliveryDroppedOverflow}});
}

// The outbox's metrics (delivery/outbox.h).
void renderDelivery(std::string& out, const Totals& t) {
  line(out, "webpubsubd_delivery_pending_events", "gauge",
       "Unblocking events accepted and neither delivered nor dropped yet.",
       t.deliveryPendingEvents);
  line(out, "webpubsubd_delivery_pending_bytes", "gauge", "Bytes of the pending events.",
       t.deliveryPendingBytes);
  line(out, "webpubsubd_delivery_oldest_pending_seconds", "gauge",
       "Age of the oldest pending event (0 when none is pending).", t.deliveryOldestPendingSeconds);
  labeled(out, "webpubsubd_delivery_attempts_total",
          "Delivery attempts of pending events, by what became of the event.", "result",
          {{"ok", t.deliveryAttemptsOk},
           {"retry", t.deliveryAttemptsRetry},
           {"dropped", t.deliveryAttemptsDropped}});
  labeled(out, "webpubsubd_delivery_dropped_total", "Pending events dropped, by reason.", "reason",
          {{"expired", t.deliveryDroppedExpired},
           {"gone", t.deliveryDroppedGone},
           {"rejected", t.deliveryDroppedRejected},
           {"overflow", t.deliveryDroppedOverflow}});
}

// Group streams (client-protocols-1.1.md §3).
void renderStreams(std::string& out, const Totals& t) {
  line(out, "webpubsubd_streams_active", "gauge", "Group streams started and not ended yet.",
       t.streamsActive);
  line(out, "webpubsubd_streams_started_total", "counter", "Group streams started (acked 1).",
       static_cast<int64_t>(t.streamsStarted));
  const char* ended = "webpubsubd_streams_ended_total";
  header(out, ended, "counter", "Group streams ended, by reason.");
  for (size_t r = 0; r < kStreamEndReasons; ++r) {
    out += ended;
    out += "{reason=\"";
    out += labelOf(static_cast<StreamEndReason>(r));
    out += "\"} " + std::to_string(t.streamsEnded[r]) + "\n";
  }
  line(out, "webpubsubd_stream_fragments_total", "counter",
       "Group stream fragments published (in order, each once).",
       static_cast<int64_t>(t.streamFragments));
}

// Renders a positive number of seconds (bounds, sums) without needless digits.
std::string seconds(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// One histogram's `_bucket` (cumulative), `_sum` and `_count` samples; `labels` are the
// series' labels without braces ("a=\"x\",b=\"y\""); `bounds` are its buckets' upper bounds.
void histogram(std::string& out, std::string_view name, const std::string& labels,
               const Histogram<uint64_t>& h,
               const std::array<double, kLatencyBounds.size()>& bounds = kLatencyBounds) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.buckets.size(); ++i) {
    cumulative += h.buckets[i];
    out += name;
    out += "_bucket{" + labels + ",le=\"";
    out += i < bounds.size() ? seconds(bounds[i]) : std::string("+Inf");
    out += "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name;
  out += "_sum{" + labels + "} " + seconds(static_cast<double>(h.sumMicros) / 1e6) + "\n";
  out += name;
  out += "_count{" + labels + "} " + std::to_string(cumulative) + "\n";
}

void renderLatencies(std::string& out, const Totals& t) {
  const char* up = "webpubsubd_upstream_request_duration_seconds";
  header(out, up, "histogram",
         "Upstream HTTP requests (each attempt), by event class and outcome, in seconds.");
  for (size_t e = 0; e < kUpstreamEventClasses; ++e) {
    for (size_t o = 0; o < kUpstreamOutcomes; ++o) {
      std::string labels = "event=\"" + std::string(labelOf(static_cast<UpstreamEventClass>(e))) +
                           "\",outcome=\"" + std::string(labelOf(static_cast<UpstreamOutcome>(o))) +
                           "\"";
      histogram(out, up, labels, t.upstreamLatency[e * kUpstreamOutcomes + o]);
    }
  }
  const char* rest = "webpubsubd_rest_request_duration_seconds";
  header(out, rest, "histogram", "REST API requests, by operation, in seconds.");
  for (size_t op = 0; op < kRestOperations; ++op) {
    std::string labels =
        "operation=\"" + std::string(labelOf(static_cast<RestOperation>(op))) + "\"";
    histogram(out, rest, labels, t.restLatency[op]);
  }
  const char* blocking = "webpubsubd_blocking_event_duration_seconds";
  header(out, blocking, "histogram",
         "Latency added by client requests that wait for an event handler, by kind, in seconds.");
  for (size_t k = 0; k < kBlockingKinds; ++k) {
    std::string labels = "kind=\"" + std::string(labelOf(static_cast<BlockingKind>(k))) + "\"";
    histogram(out, blocking, labels, t.blockingLatency[k]);
  }
}

// The three stage histograms of blocking events (blocking_stages.h), by kind.
void renderBlockingStages(std::string& out, const Totals& t) {
  for (size_t s = 0; s < kBlockingStages; ++s) {
    const auto stage = static_cast<BlockingStage>(s);
    const std::string name(metricNameOf(stage));
    header(out, name.c_str(), "histogram", std::string(helpOf(stage)).c_str());
    for (size_t k = 0; k < kBlockingKinds; ++k) {
      std::string labels = "kind=\"" + std::string(labelOf(static_cast<BlockingKind>(k))) + "\"";
      histogram(out, name, labels, t.blockingStages[s * kBlockingKinds + k], kStageBounds);
    }
  }
}

// Adds the current values of `block` to `sum`.
void accumulate(Totals& sum, const CounterBlock& block) {
  sum.zip(block, [](auto& total, const auto& metric) { total += metric.value(); });
}
}  // namespace

std::string_view labelOf(ClientProtocol p) {
  static constexpr std::string_view kNames[] = {"simple", "json", "json.reliable", "protobuf",
                                                "protobuf.reliable"};
  static_assert(std::size(kNames) == kClientProtocols);
  return kNames[static_cast<size_t>(p)];
}

CounterBlock::CounterBlock(Metrics& metrics) : metrics_(metrics) {
  metrics_.attach(*this);
}

CounterBlock::~CounterBlock() {
  metrics_.detach(*this);
}

void Metrics::attach(const CounterBlock& block) {
  MutexLock lock(mu_);
  blocks_.push_back(&block);
}

void Metrics::detach(const CounterBlock& block) {
  MutexLock lock(mu_);
  accumulate(retired_, block);
  blocks_.erase(std::remove(blocks_.begin(), blocks_.end(), &block), blocks_.end());
}

Totals Metrics::totals() const {
  MutexLock lock(mu_);
  Totals sum = retired_;
  for (const CounterBlock* block : blocks_)
    accumulate(sum, *block);
  return sum;
}

std::string Metrics::render() const {
  Totals t = totals();
  auto c = [](uint64_t x) { return static_cast<int64_t>(x); };
  std::string out;
  line(out, "webpubsubd_connections", "gauge", "Open logical client connections.", t.connections);
  line(out, "webpubsubd_connections_opened_total", "counter", "Client connections accepted.",
       c(t.connectionsOpened));
  line(out, "webpubsubd_messages_received_total", "counter", "Data messages from clients.",
       c(t.messagesReceived));
  line(out, "webpubsubd_messages_delivered_total", "counter", "Data frames queued to clients.",
       c(t.messagesDelivered));
  line(out, "webpubsubd_slow_clients_closed_total", "counter",
       "Clients closed because their outbound queue overflowed.", c(t.slowClientsClosed));
  line(out, "webpubsubd_messages_expired_total", "counter",
       "Data messages dropped for a receiver because their TTL passed before they were written.",
       c(t.messagesExpired));
  line(out, "webpubsubd_rate_limited_clients_total", "counter",
       "Clients closed for sending messages faster than limits.max_messages_per_second.",
       c(t.rateLimitedClientsClosed));
  line(out, "webpubsubd_upstream_requests_total", "counter", "Events sent to event handlers.",
       c(t.upstreamRequests));
  line(out, "webpubsubd_upstream_failures_total", "counter", "Events that failed.",
       c(t.upstreamFailures));
  line(out, "webpubsubd_upstream_overflows_total", "counter",
       "Events failed at once because max_pending_requests_per_origin were waiting.",
       c(t.upstreamOverflows));
  line(out, "webpubsubd_rest_requests_total", "counter", "REST API requests.", c(t.restRequests));
  line(out, "webpubsubd_rest_errors_total", "counter", "REST API requests answered with an error.",
       c(t.restErrors));
  line(out, "webpubsubd_cluster_state", "gauge",
       "0 single node, 1 connected to the cluster bus, 2 degraded (bus unavailable).",
       static_cast<int64_t>(clusterState.load(std::memory_order_relaxed)));
  line(out, "webpubsubd_bus_published_total", "counter", "Operations sent to other nodes.",
       c(t.busPublished));
  line(out, "webpubsubd_bus_received_total", "counter", "Operations received from other nodes.",
       c(t.busReceived));
  line(out, "webpubsubd_bus_dropped_total", "counter",
       "Operations that could not be sent to other nodes.", c(t.busDropped));
  line(out, "webpubsubd_accept_errors_total", "counter",
       "Failed accepts of new TCP connections (e.g. out of file descriptors).", c(t.acceptErrors));
  renderDelivery(out, t);
  renderLatencies(out, t);
  renderBlockingStages(out, t);
  renderStreams(out, t);
  renderLevels(out, t, hubLabels.names());
  renderReasons(out, t);
  return out;
}

}  // namespace wps::metrics
