#include "config/loader.h"

#include <toml++/toml.h>
#include <fstream>
#include <set>
#include <sstream>

#include "auth/access_key.h"
#include "common/strings.h"
#include "config/group_presence_keys.h"
#include "config/toml_reader.h"
#include "protocol/names.h"

namespace wps::config {
namespace {

// --- [[hubs.<name>.event_handlers]] --------------------------------------------------------

void readUrlTemplate(Reader& r, const toml::node& n, const std::string& key,
                     EventHandlerSettings& h) {
  std::string url;
  r.readString(n, key, &url);
  if (r.failed()) return;
  auto tmpl = cloudevents::UrlTemplate::parse(url);
  if (!tmpl) {
    r.fail(key, tmpl.status().message());
    return;
  }
  h.urlTemplate = std::move(tmpl.value());
}

void readUserEvents(Reader& r, const toml::node& n, const std::string& key,
                    EventHandlerSettings& h) {
  std::string pattern;
  r.readString(n, key, &pattern);
  h.userEvents.clear();
  for (auto item : split(pattern, ',')) {
    std::string_view name = trim(item);
    if (name.empty()) continue;
    if (name != "*" && !protocol::isValidEventName(name)) {
      r.fail(key, "'" + std::string(name) + "' is not a valid event name");
      return;
    }
    h.userEvents.push_back(toLowerAscii(name));
  }
}

void readSystemEvents(Reader& r, const toml::node& n, const std::string& key,
                      EventHandlerSettings& h) {
  std::vector<std::string> system;
  r.readStringArray(n, key, &system);
  for (auto& e : system) {
    std::string lower = toLowerAscii(trim(e));
    if (lower != "connect" && lower != "connected" && lower != "disconnected") {
      r.fail(key, "'" + e + "' is not a system event (connect, connected, disconnected)");
      return;
    }
    h.systemEvents.push_back(lower);
  }
}

// The auth table as written; the token is read only for type "bearer".
struct AuthKeys {
  std::string type = "none";
  const toml::node* token = nullptr;
};

const Section<AuthKeys> kAuth = {{
    stringKey("type", &AuthKeys::type),
    {"token", [](Reader&, const toml::node& n, const std::string&, AuthKeys& a) { a.token = &n; }},
}};

void readAuth(Reader& r, const toml::node& n, const std::string& key, EventHandlerSettings& h) {
  const toml::table* t = r.asTable(n, key);
  if (!t) return;
  AuthKeys keys;
  readSection(r, *t, key, kAuth, keys);
  std::string lowered = toLowerAscii(keys.type);
  if (lowered == "none") {
    h.auth.kind = HandlerAuth::Kind::kNone;
  } else if (lowered == "bearer") {
    h.auth.kind = HandlerAuth::Kind::kBearer;
    if (keys.token) r.readString(*keys.token, key + ".token", &h.auth.token);
    if (h.auth.token.empty()) r.fail(key + ".token", "is required for type \"bearer\"");
  } else {
    r.fail(key + ".type", "must be \"none\" or \"bearer\"");
  }
}

void readHandlerTimeout(Reader& r, const toml::node& n, const std::string& key,
                        EventHandlerSettings& h) {
  seconds s{100};
  r.readDuration(n, key, &s, 1, 3600);
  h.timeout = s;
}

const Section<EventHandlerSettings> kEventHandler = {{
    {"url_template", readUrlTemplate, /*required=*/true},
    {"user_event_pattern", readUserEvents},
    {"system_events", readSystemEvents},
    {"auth", readAuth},
    {"timeout_seconds", readHandlerTimeout},
    {"group_presence_events", readGroupPresence},
}};

// --- [hubs.<name>] -------------------------------------------------------------------------

void readAnonymousConnect(Reader& r, const toml::node& n, const std::string& key,
                          HubSettings& hub) {
  std::string anon = "deny";
  r.readString(n, key, &anon);
  if (iequals(anon, "allow")) {
    hub.allowAnonymous = true;
  } else if (iequals(anon, "deny")) {
    hub.allowAnonymous = false;
  } else {
    r.fail(key, "must be \"allow\" or \"deny\"");
  }
}

void readEventHandlers(Reader& r, const toml::node& n, const std::string& key, HubSettings& hub) {
  const toml::array* arr = n.as_array();
  if (!arr) {
    r.fail(key, "must be an array of tables ([[...event_handlers]])");
    return;
  }
  for (size_t i = 0; i < arr->size() && !r.failed(); ++i) {
    std::string hp = key + "[" + std::to_string(i) + "]";
    const toml::table* ht = (*arr)[i].as_table();
    if (!ht) {
      r.fail(hp, "must be a table");
      return;
    }
    EventHandlerSettings h{*cloudevents::UrlTemplate::parse("http://localhost/"), {}, {}, {}, {}};
    readSection(r, *ht, hp, kEventHandler, h);
    hub.eventHandlers.push_back(std::move(h));
  }
}

const Section<HubSettings> kHub = {{
    {"anonymous_connect", readAnonymousConnect},
    durationKey("keepalive_interval_seconds", &HubSettings::keepAliveInterval, 1, 120),
    {"event_handlers", readEventHandlers},
}};

// [hubs]: one table per hub name, case-insensitive.
void readHubs(Reader& r, const toml::node& n, const std::string& key, ServerSettings& s) {
  const toml::table* hubs = r.asTable(n, key);
  if (!hubs) return;
  for (const auto& [k, v] : *hubs) {
    std::string name(k.str());
    std::string prefix = key + "." + name;
    if (name != "_default" && !protocol::isValidHubName(name)) {
      r.fail(prefix, "not a valid hub name (letters, digits and _`,.[] ; starts with a letter)");
      break;
    }
    const toml::table* ht = v.as_table();
    if (!ht) {
      r.fail(prefix, "must be a table");
      break;
    }
    std::string hubKey = name == "_default" ? name : protocol::hubKey(name);
    if (s.hubs.count(hubKey)) {
      r.fail(prefix, "hub names are case-insensitive; this hub is configured twice");
      break;
    }
    readSection(r, *ht, prefix, kHub, s.hubs[hubKey]);
    if (r.failed()) break;
  }
}

bool isReadableFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return static_cast<bool>(in);
}

// --- [upstream], [limits], [reliable], [cluster], [shutdown] -------------------------------

void readRetryDelays(Reader& r, const toml::node& n, const std::string& key, UpstreamSettings& u) {
  const toml::array* arr = n.as_array();
  if (!arr) {
    r.fail(key, "must be an array of integers");
    return;
  }
  u.retryDelays.clear();
  for (const auto& item : *arr) {
    auto v = item.value_exact<int64_t>();
    if (!v || *v < 0 || *v > 600000) {
      r.fail(key, "items must be integers from 0 to 600000");
      break;
    }
    u.retryDelays.push_back(milliseconds(*v));
  }
}

// upstream.tls_ca_file must be readable.
void validateUpstreamTls(Reader& r, const std::string& prefix, UpstreamSettings& u) {
  if (!r.failed() && !u.tlsCaFile.empty() && !isReadableFile(u.tlsCaFile)) {
    r.fail(Reader::join(prefix, "tls_ca_file"), "cannot read " + u.tlsCaFile);
  }
}

const Section<UpstreamSettings> kUpstream = {
    {
        durationKey("timeout_seconds", &UpstreamSettings::eventTimeout, 1, 3600),
        durationKey("probe_timeout_seconds", &UpstreamSettings::probeTimeout, 1, 600),
        {"retry_delays_ms", readRetryDelays},
        intKey("max_connections_per_origin", &UpstreamSettings::maxConnectionsPerOrigin, 1, 100000),
        intKey("max_pending_requests_per_origin", &UpstreamSettings::maxPendingRequestsPerOrigin, 1,
               10000000),
        intKey("max_response_bytes", &UpstreamSettings::maxResponseBytes, 1024, int64_t{1} << 30),
        intKey("max_connection_state_bytes", &UpstreamSettings::maxConnectionStateBytes, 0,
               1 << 20),
        boolKey("forward_access_token", &UpstreamSettings::forwardAccessToken),
        stringKey("request_origin", &UpstreamSettings::requestOrigin),
        boolKey("invocation_id_header", &UpstreamSettings::invocationIdHeader),
        stringKey("tls_ca_file", &UpstreamSettings::tlsCaFile),
        boolKey("tls_insecure_skip_verify", &UpstreamSettings::tlsInsecureSkipVerify),
    },
    validateUpstreamTls};

const Section<LimitSettings> kLimits = {{
    intKey("max_message_bytes", &LimitSettings::maxMessageBytes, 125, int64_t{1} << 30),
    intKey("max_rest_body_bytes", &LimitSettings::maxRestBodyBytes, 1024, int64_t{1} << 30),
    intKey("max_request_head_bytes", &LimitSettings::maxRequestHeadBytes, 1024, 1048576),
    intKey("outbound_queue_bytes", &LimitSettings::outboundQueueBytes, 1024, int64_t{1} << 34),
    intKey("outbound_queue_messages", &LimitSettings::outboundQueueMessages, 1, int64_t{1} << 24),
    intKey("max_groups_per_connection", &LimitSettings::maxGroupsPerConnection, 1, 1000000),
    intKey("inbound_queue_messages", &LimitSettings::inboundQueueMessages, 1, int64_t{1} << 20),
    intKey("max_connections", &LimitSettings::maxConnections, 1, 10000000),
    intKey("max_connections_per_ip", &LimitSettings::maxConnectionsPerIp, 0, 10000000),
    intKey("inbound_queue_bytes", &LimitSettings::inboundQueueBytes, 1024, int64_t{1} << 32),
    intKey("max_messages_per_second", &LimitSettings::maxMessagesPerSecond, 0, 1000000),
    intKey("max_message_burst", &LimitSettings::maxMessageBurst, 0, 100000000),
    intKey("max_pending_invocations", &LimitSettings::maxPendingInvocations, 1, 100000),
    intKey("max_streams_per_connection", &LimitSettings::maxStreamsPerConnection, 1, 100000),
    intKey("stream_idle_timeout_max_ms", &LimitSettings::streamIdleTimeoutMaxMs, 1000, 86400000),
    durationKey("handshake_timeout_seconds", &LimitSettings::handshakeTimeout, 1, 3600),
    durationKey("http_idle_timeout_seconds", &LimitSettings::httpIdleTimeout, 1, 86400),
}};

const Section<ReliableSettings> kReliable = {{
    durationKey("recovery_window_seconds", &ReliableSettings::recoveryWindow, 1, 86400),
    intKey("buffer_messages", &ReliableSettings::bufferMessages, 1, 1000000),
    intKey("buffer_bytes", &ReliableSettings::bufferBytes, 1024, int64_t{1} << 34),
    boolKey("close_without_status_ends_session", &ReliableSettings::closeWithoutStatusEndsSession),
}};

// The address scheme (once every cluster key was read without error) and the node id's
// characters.
void validateCluster(Reader& r, const std::string& prefix, ClusterSettings& c) {
  if (!r.failed() && !c.redis.empty() && !startsWith(c.redis, "redis://") &&
      !startsWith(c.redis, "rediss://") && !startsWith(c.redis, "unix://")) {
    r.fail(Reader::join(prefix, "redis"),
           "must be redis://, rediss:// or unix:// (see docs/cluster.md)");
  }
  bool tlsFiles = !c.tlsCaFile.empty() || !c.tlsCertFile.empty() || !c.tlsKeyFile.empty();
  if (!r.failed() && tlsFiles && !startsWith(c.redis, "rediss://")) {
    r.fail(Reader::join(prefix, "redis"), "the tls_* keys need a rediss:// address");
  }
  if (!r.failed() && c.tlsCertFile.empty() != c.tlsKeyFile.empty()) {
    r.fail(Reader::join(prefix, c.tlsCertFile.empty() ? "tls_cert_file" : "tls_key_file"),
           "tls_cert_file and tls_key_file go together");
  }
  for (char ch : c.nodeId) {
    if (!isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') {
      r.fail(Reader::join(prefix, "node_id"), "may contain only letters, digits, '-', '_' and '.'");
      break;
    }
  }
}

const Section<ClusterSettings> kCluster = {
    {
        stringKey("redis", &ClusterSettings::redis),
        stringKey("tls_ca_file", &ClusterSettings::tlsCaFile),
        stringKey("tls_cert_file", &ClusterSettings::tlsCertFile),
        stringKey("tls_key_file", &ClusterSettings::tlsKeyFile),
        stringKey("node_id", &ClusterSettings::nodeId),
        stringKey("prefix", &ClusterSettings::prefix),
        durationKey("presence_ttl_seconds", &ClusterSettings::presenceTtl, 3, 3600),
        durationKey("request_timeout_ms", &ClusterSettings::requestTimeout, 100, 600000),
        intKey("max_pending_publishes", &ClusterSettings::maxPendingPublishes, 100, 100000000),
    },
    validateCluster};

// --- [delivery] ----------------------------------------------------------------------------

void readSync(Reader& r, const toml::node& n, const std::string& key, DeliverySettings& d) {
  std::string sync = "normal";
  r.readString(n, key, &sync);
  if (iequals(sync, "normal")) {
    d.sync = DeliverySettings::Sync::kNormal;
  } else if (iequals(sync, "full")) {
    d.sync = DeliverySettings::Sync::kFull;
  } else {
    r.fail(key, "must be \"normal\" or \"full\"");
  }
}

const Section<DeliverySettings> kDelivery = {{
    stringKey("data_dir", &DeliverySettings::dataDir),
    {"sync", readSync},
    durationKey("max_retry_delay_seconds", &DeliverySettings::maxRetryDelay, 1, 3600),
    durationKey("retention_seconds", &DeliverySettings::retention, 60, 31536000),
    intKey("max_pending_events", &DeliverySettings::maxPendingEvents, 1, 1000000000),
    intKey("max_pending_bytes", &DeliverySettings::maxPendingBytes, 1048576, int64_t{1} << 40),
    intKey("max_in_flight", &DeliverySettings::maxInFlight, 1, 1000000),
}};

// --- [tls] --------------------------------------------------------------------------------

const Section<TlsSettings> kTls = {{
                                       stringKey("cert_file", &TlsSettings::certFile),
                                       stringKey("key_file", &TlsSettings::keyFile),
                                   },
                                   [](Reader& r, const std::string& prefix, TlsSettings& t) {
                                     if (r.failed()) return;
                                     Status st = validateTlsFiles(t);
                                     if (!st)
                                       r.error =
                                           invalidArgument(Reader::join(prefix, st.message()));
                                   }};

// --- [trace] ------------------------------------------------------------------------------

const Section<TraceSettings> kTrace = {{
    boolKey("include_payloads", &TraceSettings::includePayloads),
    intKey("viewer_queue_events", &TraceSettings::viewerQueueEvents, 10, 1000000),
}};

const Section<ServerSettings> kShutdown = {{
    durationKey("drain_seconds", &ServerSettings::shutdownDrain, 0, 3600),
}};

// --- top level -----------------------------------------------------------------------------

void readListen(Reader& r, const toml::node& n, const std::string& key, ServerSettings& s) {
  std::string listen;
  r.readString(n, key, &listen);
  if (listen.empty()) return;
  Status st = parseListen(listen, &s.listenHost, &s.listenPort);
  if (!st) r.fail(key, st.message());
}

void readLogLevel(Reader& r, const toml::node& n, const std::string& key, ServerSettings& s) {
  r.readString(n, key, &s.logLevel);
  static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
  if (!kLevels.count(s.logLevel))
    r.fail(key, "must be one of trace, debug, info, warn, error, critical, off");
}

void readLogFormat(Reader& r, const toml::node& n, const std::string& key, ServerSettings& s) {
  r.readString(n, key, &s.logFormat);
  if (s.logFormat != "text" && s.logFormat != "json") r.fail(key, "must be \"text\" or \"json\"");
}

const Section<ServerSettings> kRoot = {{
    {"listen", readListen},
    stringArrayKey("access_keys", &ServerSettings::accessKeys),
    stringKey("public_endpoint", &ServerSettings::publicEndpoint),
    intKey("workers", &ServerSettings::workers, 0, 256),
    {"log_level", readLogLevel},
    {"log_format", readLogFormat},
    boolKey("access_log", &ServerSettings::accessLog),
    boolKey("strict_audience_host", &ServerSettings::strictAudienceHost),
    {"hubs", readHubs},
    sectionKey("upstream", &ServerSettings::upstream, kUpstream),
    sectionKey("limits", &ServerSettings::limits, kLimits),
    sectionKey("reliable", &ServerSettings::reliable, kReliable),
    sectionKey("cluster", &ServerSettings::cluster, kCluster),
    sectionKey("shutdown", kShutdown),
    sectionKey("delivery", &ServerSettings::delivery, kDelivery),
    sectionKey("tls", &ServerSettings::tls, kTls),

    // --- [trace] ------------------------------------------------------------------------------

    sectionKey("trace", &ServerSettings::trace, kTrace),
}};

}  // namespace

Status parseListen(std::string_view text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalidArgument("expected HOST:PORT");
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']' &&
      h.find_first_of("[]", 1) == h.size() - 1) {
    h = h.substr(1, h.size() - 2);
  } else if (h.find_first_of(":[]") != std::string_view::npos) {
    return invalidArgument("expected HOST:PORT (write IPv6 addresses as [::1]:PORT)");
  }
  if (h.empty()) return invalidArgument("expected HOST:PORT (host is empty)");
  auto p = parseUint64(text.substr(colon + 1));
  if (!p || *p > 65535) return invalidArgument("port must be a number from 0 to 65535");
  *host = std::string(h);
  *port = static_cast<uint16_t>(*p);
  return Status::ok();
}

// The checks that apply whether a value came from the file or from a flag.
static Status validateKeysAndEndpoint(const ServerSettings& s) {
  for (size_t i = 0; i < s.accessKeys.size(); ++i) {
    Status st = auth::validateAccessKey(s.accessKeys[i]);
    if (!st) return invalidArgument("access_keys[" + std::to_string(i) + "]: " + st.message());
  }
  if (!s.publicEndpoint.empty()) {
    auto parts = cloudevents::parseHttpUrl(s.publicEndpoint);
    if (!parts) return invalidArgument("public_endpoint: " + parts.status().message());
  }
  return Status::ok();
}

Status validateTlsFiles(const TlsSettings& t) {
  if (t.certFile.empty() != t.keyFile.empty()) {
    return invalidArgument(std::string(t.certFile.empty() ? "cert_file" : "key_file") +
                           ": cert_file and key_file go together");
  }
  for (const auto& [key, path] : {std::pair{"cert_file", &t.certFile}, {"key_file", &t.keyFile}}) {
    if (!path->empty() && !isReadableFile(*path)) {
      return invalidArgument(std::string(key) + ": cannot read " + *path);
    }
  }
  return Status::ok();
}

Status validateSettings(const ServerSettings& s) {
  if (s.accessKeys.empty()) return invalidArgument("access_keys: at least one key is required");
  if (Status st = validateTlsFiles(s.tls); !st) return invalidArgument("tls." + st.message());
  if (Status st = validateKeysAndEndpoint(s); !st) return st;
  if (s.logFormat != "text" && s.logFormat != "json")
    return invalidArgument("log_format: must be \"text\" or \"json\"");
  for (const auto& [name, hub] : s.hubs) {
    if (name != "_default" && !protocol::isValidHubName(name)) {
      return invalidArgument("hubs." + name + ": not a valid hub name");
    }
  }
  return Status::ok();
}

StatusOr<ServerSettings> loadSettings(std::string_view tomlText) {
  toml::table root;
  try {
    root = toml::parse(tomlText);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "line " << e.source().begin.line << ", column " << e.source().begin.column << ": "
       << e.description();
    return invalidArgument(os.str());
  }
  ServerSettings s;
  Reader r;
  readSection(r, root, "", kRoot, s);
  if (r.failed()) return r.error;
  if (Status st = validateKeysAndEndpoint(s); !st) return st;
  return s;
}

StatusOr<ServerSettings> loadSettingsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalidArgument(path + ": cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = loadSettings(ss.str());
  if (!r) return Status(r.status().code(), path + ": " + r.status().message());
  return r;
}

const HubSettings& hubSettings(const ServerSettings& settings, std::string_view hubKey) {
  static const HubSettings kEmpty;
  auto it = settings.hubs.find(std::string(hubKey));
  if (it != settings.hubs.end()) return it->second;
  it = settings.hubs.find("_default");
  if (it != settings.hubs.end()) return it->second;
  return kEmpty;
}

}  // namespace wps::config
