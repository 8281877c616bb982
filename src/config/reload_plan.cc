#include "config/reload_plan.h"

#include <algorithm>
#include <functional>
#include <tuple>

namespace wps::config {
namespace {

bool sameAuth(const HandlerAuth& a, const HandlerAuth& b) {
  return a.kind == b.kind && a.token == b.token;
}

bool samePresence(const GroupPresenceSettings& a, const GroupPresenceSettings& b) {
  if (a.joined != b.joined || a.left != b.left) return false;
  return std::equal(a.groupFilters.begin(), a.groupFilters.end(), b.groupFilters.begin(),
                    b.groupFilters.end(),
                    [](const auto& x, const auto& y) { return x.source() == y.source(); });
}

bool sameHandler(const EventHandlerSettings& a, const EventHandlerSettings& b) {
  return a.urlTemplate.text() == b.urlTemplate.text() && a.userEvents == b.userEvents &&
         a.systemEvents == b.systemEvents && sameAuth(a.auth, b.auth) && a.timeout == b.timeout &&
         samePresence(a.groupPresence, b.groupPresence);
}

bool sameHub(const HubSettings& a, const HubSettings& b) {
  return a.allowAnonymous == b.allowAnonymous && a.keepAliveInterval == b.keepAliveInterval &&
         std::equal(a.eventHandlers.begin(), a.eventHandlers.end(), b.eventHandlers.begin(),
                    b.eventHandlers.end(), sameHandler);
}

// "hubs.NAME" for every hub added, removed or changed, in name order.
void diffHubs(const ServerSettings& running, const ServerSettings& next,
              std::vector<std::string>* changed) {
  std::vector<std::string> names;
  for (const auto& [name, hub] : running.hubs) {
    auto it = next.hubs.find(name);
    if (it == next.hubs.end() || !sameHub(hub, it->second)) names.push_back(name);
  }
  for (const auto& [name, hub] : next.hubs) {
    if (!running.hubs.count(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names)
    changed->push_back("hubs." + name);
}

// A setting the reload compares: its key, whether it differs, and (restart-only settings) how
// the running value is put back into the next generation.
struct Field {
  const char* key;
  std::function<bool(const ServerSettings&, const ServerSettings&)> differs;
  std::function<void(const ServerSettings&, ServerSettings*)> keep;  // empty: reloadable
};

// A field compared with ==; `restartOnly` fields are copied back from the running settings.
template <class T>
Field field(const char* key, T ServerSettings::*section, bool restartOnly = false) {
  Field f{key, [section](const ServerSettings& a, const ServerSettings& b) {
            return !(a.*section == b.*section);
          }};
  if (restartOnly)
    f.keep = [section](const ServerSettings& r, ServerSettings* n) { n->*section = r.*section; };
  return f;
}

template <class S, class T>
Field nested(const char* key, S ServerSettings::*section, T S::*member, bool restartOnly = false) {
  Field f{key, [section, member](const ServerSettings& a, const ServerSettings& b) {
            return !((a.*section).*member == (b.*section).*member);
          }};
  if (restartOnly)
    f.keep = [section, member](const ServerSettings& r, ServerSettings* n) {
      (n->*section).*member = (r.*section).*member;
    };
  return f;
}

constexpr bool kRestart = true;

// Every top-level and nested setting except hubs, the cluster and delivery sections (whole
// sections, restart-only) and [tls] (see tlsFields).
std::vector<Field> scalarFields() {
  using S = ServerSettings;
  using U = UpstreamSettings;
  using L = LimitSettings;
  using R = ReliableSettings;
  return {
      field("listen", &S::listenHost, kRestart),
      field("listen", &S::listenPort, kRestart),
      field("access_keys", &S::accessKeys),
      field("public_endpoint", &S::publicEndpoint),
      field("workers", &S::workers, kRestart),
      field("log_level", &S::logLevel),
      field("log_format", &S::logFormat, kRestart),
      field("access_log", &S::accessLog),
      field("strict_audience_host", &S::strictAudienceHost),
      field("shutdown.drain_seconds", &S::shutdownDrain),
      nested("upstream.timeout_seconds", &S::upstream, &U::eventTimeout),
      nested("upstream.probe_timeout_seconds", &S::upstream, &U::probeTimeout, kRestart),
      nested("upstream.retry_delays_ms", &S::upstream, &U::retryDelays),
      nested("upstream.max_connections_per_origin", &S::upstream, &U::maxConnectionsPerOrigin,
             kRestart),
      nested("upstream.max_pending_requests_per_origin", &S::upstream,
             &U::maxPendingRequestsPerOrigin, kRestart),
      nested("upstream.max_response_bytes", &S::upstream, &U::maxResponseBytes, kRestart),
      nested("upstream.max_connection_state_bytes", &S::upstream, &U::maxConnectionStateBytes),
      nested("upstream.forward_access_token", &S::upstream, &U::forwardAccessToken),
      nested("upstream.request_origin", &S::upstream, &U::requestOrigin),
      nested("upstream.invocation_id_header", &S::upstream, &U::invocationIdHeader),
      nested("upstream.tls_ca_file", &S::upstream, &U::tlsCaFile, kRestart),
      nested("upstream.tls_insecure_skip_verify", &S::upstream, &U::tlsInsecureSkipVerify,
             kRestart),
      nested("limits.max_message_bytes", &S::limits, &L::maxMessageBytes),
      nested("limits.max_rest_body_bytes", &S::limits, &L::maxRestBodyBytes),
      nested("limits.max_request_head_bytes", &S::limits, &L::maxRequestHeadBytes),
      nested("limits.outbound_queue_bytes", &S::limits, &L::outboundQueueBytes),
      nested("limits.outbound_queue_messages", &S::limits, &L::outboundQueueMessages),
      nested("limits.max_groups_per_connection", &S::limits, &L::maxGroupsPerConnection),
      nested("limits.inbound_queue_messages", &S::limits, &L::inboundQueueMessages),
      nested("limits.max_connections", &S::limits, &L::maxConnections),
      nested("limits.max_connections_per_ip", &S::limits, &L::maxConnectionsPerIp),
      nested("limits.handshake_timeout_seconds", &S::limits, &L::handshakeTimeout),
      nested("limits.http_idle_timeout_seconds", &S::limits, &L::httpIdleTimeout),
      nested("limits.inbound_queue_bytes", &S::limits, &L::inboundQueueBytes),
      nested("limits.max_messages_per_second", &S::limits, &L::maxMessagesPerSecond),
      nested("limits.max_message_burst", &S::limits, &L::maxMessageBurst),
      nested("limits.max_pending_invocations", &S::limits, &L::maxPendingInvocations),
      nested("limits.max_streams_per_connection", &S::limits, &L::maxStreamsPerConnection),
      nested("limits.stream_idle_timeout_max_ms", &S::limits, &L::streamIdleTimeoutMaxMs),
      nested("reliable.recovery_window_seconds", &S::reliable, &R::recoveryWindow),
      nested("reliable.buffer_messages", &S::reliable, &R::bufferMessages),
      nested("reliable.buffer_bytes", &S::reliable, &R::bufferBytes),
      nested("reliable.close_without_status_ends_session", &S::reliable,
             &R::closeWithoutStatusEndsSession),
      nested("trace.include_payloads", &S::trace, &TraceSettings::includePayloads, kRestart),
      nested("trace.viewer_queue_events", &S::trace, &TraceSettings::viewerQueueEvents),
  };
}

std::string clusterKey(const ClusterSettings& c) {
  return std::string(c.redis) + '\n' + c.tlsCaFile + '\n' + c.tlsCertFile + '\n' + c.tlsKeyFile +
         '\n' + c.nodeId + '\n' + c.prefix;
}

bool sameCluster(const ClusterSettings& a, const ClusterSettings& b) {
  return clusterKey(a) == clusterKey(b) && a.presenceTtl == b.presenceTtl &&
         a.requestTimeout == b.requestTimeout && a.maxPendingPublishes == b.maxPendingPublishes;
}

bool sameDelivery(const DeliverySettings& a, const DeliverySettings& b) {
  return std::tie(a.dataDir, a.sync, a.maxRetryDelay, a.retention, a.maxPendingEvents,
                  a.maxPendingBytes, a.maxInFlight) == std::tie(b.dataDir, b.sync, b.maxRetryDelay,
                                                                b.retention, b.maxPendingEvents,
                                                                b.maxPendingBytes, b.maxInFlight);
}

// Adds `key` once (several fields share "listen").
void addOnce(std::vector<std::string>* keys, const std::string& key) {
  if (std::find(keys->begin(), keys->end(), key) == keys->end()) keys->push_back(key);
}

// [tls]: new files take effect; turning TLS on or off needs a restart (the listener's scheme).
void planTls(const ServerSettings& running, ServerSettings* next, ReloadPlan* plan) {
  if (running.tls.enabled() != next->tls.enabled()) {
    plan->restartRequired.push_back("tls");
    next->tls = running.tls;
    return;
  }
  if (running.tls.certFile != next->tls.certFile) plan->changed.push_back("tls.cert_file");
  if (running.tls.keyFile != next->tls.keyFile) plan->changed.push_back("tls.key_file");
}

}  // namespace

ReloadPlan planReload(const ServerSettings& running, ServerSettings* next) {
  ReloadPlan plan;
  for (const Field& f : scalarFields()) {
    if (!f.differs(running, *next)) continue;
    addOnce(f.keep ? &plan.restartRequired : &plan.changed, f.key);
    if (f.keep) f.keep(running, next);
  }
  if (!sameCluster(running.cluster, next->cluster)) {
    plan.restartRequired.push_back("cluster");
    next->cluster = running.cluster;
  }
  if (!sameDelivery(running.delivery, next->delivery)) {
    plan.restartRequired.push_back("delivery");
    next->delivery = running.delivery;
  }
  planTls(running, next, &plan);
  diffHubs(running, *next, &plan.changed);
  return plan;
}

}  // namespace wps::config
