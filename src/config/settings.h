// The server's settings after loading and validation. Plain values: built once at start-up,
// then shared read-only by every thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/group_pattern.h"
#include "cloudevents/url_template.h"

namespace wps::config {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct HandlerAuth {
  enum class Kind { kNone, kBearer };
  Kind kind = Kind::kNone;
  std::string token;  // kBearer: sent as "Authorization: Bearer <token>"; never logged
};

// group_presence_events of a handler (client-protocols-1.1.md §2.1): the presence events it
// takes, and for which groups. Both false = none (the default).
struct GroupPresenceSettings {
  bool joined = false;
  bool left = false;
  std::vector<auth::GroupPattern> groupFilters;  // empty = every group, else any one matches
};

struct EventHandlerSettings {
  cloudevents::UrlTemplate urlTemplate;
  // "*", "a,b,c" or one name; empty matches no user event. Items trimmed, case-insensitive.
  std::vector<std::string> userEvents;    // lower-cased items; {"*"} for every event
  std::vector<std::string> systemEvents;  // lower-cased subset of connect/connected/disconnected
  HandlerAuth auth;
  std::optional<seconds> timeout;  // overrides upstream.timeout_seconds for this handler
  GroupPresenceSettings groupPresence{};
};

struct HubSettings {
  std::vector<EventHandlerSettings> eventHandlers;  // first match wins
  bool allowAnonymous = false;
  seconds keepAliveInterval{20};
};

struct UpstreamSettings {
  seconds eventTimeout{100};  // per event, retries included
  seconds probeTimeout{10};   // per abuse-protection probe
  std::vector<milliseconds> retryDelays{milliseconds(1000), milliseconds(3000), milliseconds(5000)};
  size_t maxConnectionsPerOrigin = 128;  // per worker
  // Events waiting per handler origin, per worker (for a pooled connection, for a validation
  // probe, detached connected/disconnected events); one more fails at once, like a timeout.
  size_t maxPendingRequestsPerOrigin = 10000;
  size_t maxResponseBytes = 16 * 1024 * 1024;
  size_t maxConnectionStateBytes = 8 * 1024;
  bool forwardAccessToken = true;  // include access_token in the connect body's query
  std::string requestOrigin;       // WebHook-Request-Origin override; empty = derived
  // Adds ce-invocationId to the user events of invocations.
  bool invocationIdHeader = false;
  // https upstreams: a PEM CA bundle trusted besides the system CAs; empty = system CAs only.
  std::string tlsCaFile;
  bool tlsInsecureSkipVerify = false;  // development only: upstream certificates not verified
};

struct LimitSettings {
  size_t maxMessageBytes = 1024 * 1024;          // client message after reassembly
  size_t maxRestBodyBytes = 1024 * 1024;         // REST request body
  size_t maxRequestHeadBytes = 64 * 1024;        // HTTP request line + headers (414 / 431)
  size_t outboundQueueBytes = 16 * 1024 * 1024;  // per connection, then "slow client"
  size_t outboundQueueMessages = 16 * 1024;
  size_t maxGroupsPerConnection = 1000;  // a join beyond it is refused
  size_t inboundQueueMessages = 256;     // queued behind a blocking event before reads pause
  size_t maxConnections = 100000;        // WebSocket clients of the node; beyond: 503
  size_t maxConnectionsPerIp = 0;        // WebSocket clients per peer address (0 = off); 429
  seconds handshakeTimeout{30};          // to receive a complete HTTP request head
  seconds httpIdleTimeout{60};           // keep-alive REST connections
  // Inbound queue cap in payload bytes (with inboundQueueMessages: either cap pauses reading).
  size_t inboundQueueBytes = 4 * 1024 * 1024;
  // Per-connection token bucket on client data messages (0 = off); its size (0 = the rate).
  size_t maxMessagesPerSecond = 0;
  size_t maxMessageBurst = 0;
  size_t maxPendingInvocations = 100;       // invocations awaiting their answer, per connection
  size_t maxStreamsPerConnection = 100;     // active group streams a connection publishes
  size_t streamIdleTimeoutMaxMs = 3600000;  // a stream's idleTimeoutMs is clamped to it
};

struct ReliableSettings {
  seconds recoveryWindow{60};
  size_t bufferMessages = 10000;  // the JS SDK acks once a second: see protocol-decisions.md
  size_t bufferBytes = 16 * 1024 * 1024;
  bool closeWithoutStatusEndsSession = false;  // treat a 1005 close like 1000
};

struct ClusterSettings {
  // "redis[s]://[[user]:password@]host[:port][/db]" or "unix://[[user]:password@]/path[?db=N]";
  // empty = single node. Holds a password: print it only through cluster::redactRedisUrl.
  std::string redis;
  std::string tlsCaFile;    // rediss://: PEM CA bundle verifying the server; empty = system CAs
  std::string tlsCertFile;  // rediss://: client certificate (mutual TLS); with tlsKeyFile
  std::string tlsKeyFile;
  std::string nodeId;                 // generated at start-up when empty
  std::string prefix = "wps";         // key and channel prefix (several clusters may share a Redis)
  seconds presenceTtl{10};            // a dead node's presence disappears after this
  milliseconds requestTimeout{5000};  // cross-node requests (permissions, membership)
  size_t maxPendingPublishes = 100000;  // outbound bus messages queued while Redis is slow
};

// Durable delivery of unblocking events (docs/delivery.md).
struct DeliverySettings {
  std::string dataDir;  // empty = pending events live in memory only (lost on restart)
  enum class Sync { kNormal, kFull } sync = Sync::kNormal;  // SQLite PRAGMA synchronous
  seconds maxRetryDelay{60};                                // backoff cap (and Retry-After cap)
  seconds retention{86400};                                 // older pending events are dropped
  size_t maxPendingEvents = 1000000;
  size_t maxPendingBytes = size_t{1} << 30;
  size_t maxInFlight = 1000;  // attempts in flight at once (all handlers together)
};

// [tls]: with both files the listener serves https and wss only (docs/operations.md, TLS).
struct TlsSettings {
  std::string certFile;  // PEM: the certificate, then its chain
  std::string keyFile;   // PEM private key of the certificate
  bool enabled() const { return !certFile.empty(); }
};

// The live trace (GET /trace, docs/operations.md).
struct TraceSettings {
  bool includePayloads = false;     // show message payloads (tokens and keys never)
  size_t viewerQueueEvents = 1000;  // events held per viewer; more are skipped and counted
};

struct ServerSettings {
  std::string listenHost = "127.0.0.1";
  uint16_t listenPort = 8080;
  std::vector<std::string> accessKeys;  // first is primary
  std::string publicEndpoint;  // e.g. "https://pubsub.example.com"; empty = from the request
  size_t workers = 0;          // 0 = number of cores
  std::string logLevel = "info";
  std::string logFormat = "text";  // "text" or "json" (common/log_format.h)
  bool accessLog = true;           // an info line per WebSocket handshake and HTTP request
  bool strictAudienceHost = false;
  std::map<std::string, HubSettings> hubs;  // lower-cased hub name; "_default" for the rest
  UpstreamSettings upstream;
  LimitSettings limits;
  ReliableSettings reliable;
  ClusterSettings cluster;
  seconds shutdownDrain{10};
  DeliverySettings delivery;
  TlsSettings tls;
  TraceSettings trace;
};

// The settings that apply to a hub (lower-cased name): its own entry, else "_default", else an
// empty hub (no handlers). The reference stays valid as long as `settings`.
const HubSettings& hubSettings(const ServerSettings& settings, std::string_view hubKey);

}  // namespace wps::config
