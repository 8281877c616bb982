#include "metrics/metrics.h"

namespace wps::metrics {

namespace {
void line(std::string& out, const char* name, const char* type, const char* help, int64_t v) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}
}  // namespace

std::string Metrics::render() const {
  auto c = [](const Counter& x) { return static_cast<int64_t>(x.load(std::memory_order_relaxed)); };
  std::string out;
  line(out, "webpubsubd_connections", "gauge", "Open logical client connections.",
       connections.load(std::memory_order_relaxed));
  line(out, "webpubsubd_connections_opened_total", "counter", "Client connections accepted.",
       c(connectionsOpened));
  line(out, "webpubsubd_handshakes_rejected_total", "counter", "Client handshakes refused.",
       c(handshakesRejected));
  line(out, "webpubsubd_messages_received_total", "counter", "Data messages from clients.",
       c(messagesReceived));
  line(out, "webpubsubd_messages_delivered_total", "counter", "Data frames queued to clients.",
       c(messagesDelivered));
  line(out, "webpubsubd_slow_clients_closed_total", "counter",
       "Clients closed because their outbound queue overflowed.", c(slowClientsClosed));
  line(out, "webpubsubd_upstream_requests_total", "counter", "Events sent to event handlers.",
       c(upstreamRequests));
  line(out, "webpubsubd_upstream_failures_total", "counter", "Events that failed.",
       c(upstreamFailures));
  line(out, "webpubsubd_rest_requests_total", "counter", "REST API requests.", c(restRequests));
  line(out, "webpubsubd_rest_errors_total", "counter", "REST API requests answered with an error.",
       c(restErrors));
  line(out, "webpubsubd_cluster_state", "gauge",
       "0 single node, 1 connected to the cluster bus, 2 degraded (bus unavailable).",
       clusterState.load(std::memory_order_relaxed));
  line(out, "webpubsubd_bus_published_total", "counter", "Operations sent to other nodes.",
       c(busPublished));
  line(out, "webpubsubd_bus_received_total", "counter", "Operations received from other nodes.",
       c(busReceived));
  line(out, "webpubsubd_bus_dropped_total", "counter",
       "Operations that could not be sent to other nodes.", c(busDropped));
  return out;
}

}  // namespace wps::metrics
