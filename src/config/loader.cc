#include "config/loader.h"

#include <toml++/toml.h>
#include <fstream>
#include <set>
#include <sstream>

#include "auth/access_key.h"
#include "common/strings.h"
#include "protocol/names.h"

namespace wps::config {
namespace {

// Collects the first error; every reader names the full key path.
class Reader {
 public:
  Status error;

  bool failed() const { return !error.isOk(); }
  void fail(const std::string& key, const std::string& problem) {
    if (!failed()) error = invalidArgument(key + ": " + problem);
  }

  // Rejects keys of `table` not listed in `allowed`.
  void checkKeys(const toml::table& table, const std::string& prefix,
                 std::initializer_list<std::string_view> allowed) {
    for (const auto& [k, v] : table) {
      bool known = false;
      for (auto a : allowed)
        known = known || k.str() == a;
      if (!known) fail(join(prefix, std::string(k.str())), "unknown key");
    }
  }

  static std::string join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
  }

  void readString(const toml::table& t, const std::string& prefix, std::string_view key,
                  std::string* out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    if (auto v = n->value<std::string>()) {
      *out = *v;
    } else {
      fail(join(prefix, std::string(key)), "must be a string");
    }
  }

  void readBool(const toml::table& t, const std::string& prefix, std::string_view key, bool* out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    if (auto v = n->value_exact<bool>()) {
      *out = *v;
    } else {
      fail(join(prefix, std::string(key)), "must be true or false");
    }
  }

  template <class T>
  void readInt(const toml::table& t, const std::string& prefix, std::string_view key, T* out,
               int64_t min, int64_t max) {
    const toml::node* n = t.get(key);
    if (!n) return;
    auto v = n->value_exact<int64_t>();
    if (!v) {
      fail(join(prefix, std::string(key)), "must be an integer");
      return;
    }
    if (*v < min || *v > max) {
      fail(join(prefix, std::string(key)),
           "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return;
    }
    *out = static_cast<T>(*v);
  }

  void readSeconds(const toml::table& t, const std::string& prefix, std::string_view key,
                   seconds* out, int64_t min, int64_t max) {
    int64_t s = out->count();
    readInt(t, prefix, key, &s, min, max);
    *out = seconds(s);
  }

  void readStringArray(const toml::table& t, const std::string& prefix, std::string_view key,
                       std::vector<std::string>* out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    const toml::array* arr = n->as_array();
    std::string name = join(prefix, std::string(key));
    if (!arr) {
      fail(name, "must be an array of strings");
      return;
    }
    out->clear();
    for (size_t i = 0; i < arr->size(); ++i) {
      auto v = (*arr)[i].value<std::string>();
      if (!v) {
        fail(name + "[" + std::to_string(i) + "]", "must be a string");
        return;
      }
      out->push_back(*v);
    }
  }

  const toml::table* subTable(const toml::table& t, const std::string& prefix,
                              std::string_view key) {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) {
      fail(join(prefix, std::string(key)), "must be a table");
      return nullptr;
    }
    return n->as_table();
  }
};

void readHandler(Reader& r, const toml::table& t, const std::string& prefix,
                 EventHandlerSettings* h) {
  r.checkKeys(t, prefix,
              {"url_template", "user_event_pattern", "system_events", "auth", "timeout_seconds"});
  std::string url;
  r.readString(t, prefix, "url_template", &url);
  if (r.failed()) return;
  if (!t.get("url_template")) {
    r.fail(prefix + ".url_template", "is required");
    return;
  }
  auto tmpl = cloudevents::UrlTemplate::parse(url);
  if (!tmpl) {
    r.fail(prefix + ".url_template", tmpl.status().message());
    return;
  }
  h->urlTemplate = std::move(tmpl.value());

  std::string pattern;
  r.readString(t, prefix, "user_event_pattern", &pattern);
  h->userEvents.clear();
  for (auto item : split(pattern, ',')) {
    std::string_view name = trim(item);
    if (name.empty()) continue;
    if (name != "*" && !protocol::isValidEventName(name)) {
      r.fail(prefix + ".user_event_pattern",
             "'" + std::string(name) + "' is not a valid event name");
      return;
    }
    h->userEvents.push_back(toLowerAscii(name));
  }

  std::vector<std::string> system;
  r.readStringArray(t, prefix, "system_events", &system);
  for (auto& e : system) {
    std::string lower = toLowerAscii(trim(e));
    if (lower != "connect" && lower != "connected" && lower != "disconnected") {
      r.fail(prefix + ".system_events",
             "'" + e + "' is not a system event (connect, connected, disconnected)");
      return;
    }
    h->systemEvents.push_back(lower);
  }

  if (const toml::table* auth = r.subTable(t, prefix, "auth")) {
    std::string ap = prefix + ".auth";
    r.checkKeys(*auth, ap, {"type", "token"});
    std::string type = "none";
    r.readString(*auth, ap, "type", &type);
    std::string lowered = toLowerAscii(type);
    if (lowered == "none") {
      h->auth.kind = HandlerAuth::Kind::kNone;
    } else if (lowered == "bearer") {
      h->auth.kind = HandlerAuth::Kind::kBearer;
      r.readString(*auth, ap, "token", &h->auth.token);
      if (h->auth.token.empty()) r.fail(ap + ".token", "is required for type \"bearer\"");
    } else {
      r.fail(ap + ".type", "must be \"none\" or \"bearer\"");
    }
  }
  if (t.get("timeout_seconds")) {
    seconds s{100};
    r.readSeconds(t, prefix, "timeout_seconds", &s, 1, 3600);
    h->timeout = s;
  }
}

void readHub(Reader& r, const toml::table& t, const std::string& prefix, HubSettings* hub) {
  r.checkKeys(t, prefix, {"event_handlers", "anonymous_connect", "keepalive_interval_seconds"});
  std::string anon = "deny";
  r.readString(t, prefix, "anonymous_connect", &anon);
  if (iequals(anon, "allow")) {
    hub->allowAnonymous = true;
  } else if (iequals(anon, "deny")) {
    hub->allowAnonymous = false;
  } else {
    r.fail(prefix + ".anonymous_connect", "must be \"allow\" or \"deny\"");
  }
  r.readSeconds(t, prefix, "keepalive_interval_seconds", &hub->keepAliveInterval, 1, 120);
  const toml::node* handlers = t.get("event_handlers");
  if (!handlers) return;
  const toml::array* arr = handlers->as_array();
  if (!arr) {
    r.fail(prefix + ".event_handlers", "must be an array of tables ([[...event_handlers]])");
    return;
  }
  for (size_t i = 0; i < arr->size() && !r.failed(); ++i) {
    std::string hp = prefix + ".event_handlers[" + std::to_string(i) + "]";
    const toml::table* ht = (*arr)[i].as_table();
    if (!ht) {
      r.fail(hp, "must be a table");
      return;
    }
    EventHandlerSettings h{*cloudevents::UrlTemplate::parse("http://localhost/"), {}, {}, {}, {}};
    readHandler(r, *ht, hp, &h);
    hub->eventHandlers.push_back(std::move(h));
  }
}

}  // namespace

Status parseListen(std::string_view text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalidArgument("expected HOST:PORT");
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
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

Status validateSettings(const ServerSettings& s) {
  if (s.accessKeys.empty()) return invalidArgument("access_keys: at least one key is required");
  if (Status st = validateKeysAndEndpoint(s); !st) return st;
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
  r.checkKeys(
      root, "",
      {"listen", "access_keys", "public_endpoint", "workers", "log_level", "strict_audience_host",
       "hubs", "upstream", "limits", "reliable", "shutdown", "cluster"});
  std::string listen;
  r.readString(root, "", "listen", &listen);
  if (!listen.empty()) {
    Status st = parseListen(listen, &s.listenHost, &s.listenPort);
    if (!st) r.fail("listen", st.message());
  }
  r.readStringArray(root, "", "access_keys", &s.accessKeys);
  r.readString(root, "", "public_endpoint", &s.publicEndpoint);
  r.readInt(root, "", "workers", &s.workers, 0, 256);
  r.readString(root, "", "log_level", &s.logLevel);
  static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
  if (!kLevels.count(s.logLevel))
    r.fail("log_level", "must be one of trace, debug, info, warn, error, critical, off");
  r.readBool(root, "", "strict_audience_host", &s.strictAudienceHost);

  if (const toml::table* hubs = r.subTable(root, "", "hubs")) {
    for (const auto& [k, v] : *hubs) {
      std::string name(k.str());
      std::string prefix = "hubs." + name;
      if (name != "_default" && !protocol::isValidHubName(name)) {
        r.fail(prefix, "not a valid hub name (letters, digits and _`,.[] ; starts with a letter)");
        break;
      }
      const toml::table* ht = v.as_table();
      if (!ht) {
        r.fail(prefix, "must be a table");
        break;
      }
      std::string key = name == "_default" ? name : protocol::hubKey(name);
      if (s.hubs.count(key)) {
        r.fail(prefix, "hub names are case-insensitive; this hub is configured twice");
        break;
      }
      readHub(r, *ht, prefix, &s.hubs[key]);
      if (r.failed()) break;
    }
  }
  if (const toml::table* u = r.subTable(root, "", "upstream")) {
    r.checkKeys(*u, "upstream",
                {"timeout_seconds", "probe_timeout_seconds", "retry_delays_ms",
                 "max_connections_per_origin", "max_response_bytes", "max_connection_state_bytes",
                 "forward_access_token", "request_origin"});
    r.readSeconds(*u, "upstream", "timeout_seconds", &s.upstream.eventTimeout, 1, 3600);
    r.readSeconds(*u, "upstream", "probe_timeout_seconds", &s.upstream.probeTimeout, 1, 600);
    if (const toml::node* n = u->get("retry_delays_ms")) {
      const toml::array* arr = n->as_array();
      if (!arr) {
        r.fail("upstream.retry_delays_ms", "must be an array of integers");
      } else {
        s.upstream.retryDelays.clear();
        for (const auto& item : *arr) {
          auto v = item.value_exact<int64_t>();
          if (!v || *v < 0 || *v > 600000) {
            r.fail("upstream.retry_delays_ms", "items must be integers from 0 to 600000");
            break;
          }
          s.upstream.retryDelays.push_back(milliseconds(*v));
        }
      }
    }
    r.readInt(*u, "upstream", "max_connections_per_origin", &s.upstream.maxConnectionsPerOrigin, 1,
              100000);
    r.readInt(*u, "upstream", "max_response_bytes", &s.upstream.maxResponseBytes, 1024,
              int64_t{1} << 30);
    r.readInt(*u, "upstream", "max_connection_state_bytes", &s.upstream.maxConnectionStateBytes, 0,
              1 << 20);
    r.readBool(*u, "upstream", "forward_access_token", &s.upstream.forwardAccessToken);
    r.readString(*u, "upstream", "request_origin", &s.upstream.requestOrigin);
  }
  if (const toml::table* l = r.subTable(root, "", "limits")) {
    r.checkKeys(*l, "limits",
                {"max_message_bytes", "max_rest_body_bytes", "outbound_queue_bytes",
                 "outbound_queue_messages", "inbound_queue_messages", "handshake_timeout_seconds",
                 "http_idle_timeout_seconds"});
    r.readInt(*l, "limits", "max_message_bytes", &s.limits.maxMessageBytes, 125, int64_t{1} << 30);
    r.readInt(*l, "limits", "max_rest_body_bytes", &s.limits.maxRestBodyBytes, 1024,
              int64_t{1} << 30);
    r.readInt(*l, "limits", "outbound_queue_bytes", &s.limits.outboundQueueBytes, 1024,
              int64_t{1} << 34);
    r.readInt(*l, "limits", "outbound_queue_messages", &s.limits.outboundQueueMessages, 1,
              int64_t{1} << 24);
    r.readInt(*l, "limits", "inbound_queue_messages", &s.limits.inboundQueueMessages, 1,
              int64_t{1} << 20);
    r.readSeconds(*l, "limits", "handshake_timeout_seconds", &s.limits.handshakeTimeout, 1, 3600);
    r.readSeconds(*l, "limits", "http_idle_timeout_seconds", &s.limits.httpIdleTimeout, 1, 86400);
  }
  if (const toml::table* rel = r.subTable(root, "", "reliable")) {
    r.checkKeys(*rel, "reliable",
                {"recovery_window_seconds", "buffer_messages", "buffer_bytes",
                 "close_without_status_ends_session"});
    r.readSeconds(*rel, "reliable", "recovery_window_seconds", &s.reliable.recoveryWindow, 1,
                  86400);
    r.readInt(*rel, "reliable", "buffer_messages", &s.reliable.bufferMessages, 1, 1000000);
    r.readInt(*rel, "reliable", "buffer_bytes", &s.reliable.bufferBytes, 1024, int64_t{1} << 34);
    r.readBool(*rel, "reliable", "close_without_status_ends_session",
               &s.reliable.closeWithoutStatusEndsSession);
  }
  if (const toml::table* c = r.subTable(root, "", "cluster")) {
    r.checkKeys(*c, "cluster",
                {"redis", "node_id", "prefix", "presence_ttl_seconds", "request_timeout_ms",
                 "max_pending_publishes"});
    r.readString(*c, "cluster", "redis", &s.cluster.redis);
    r.readString(*c, "cluster", "node_id", &s.cluster.nodeId);
    r.readString(*c, "cluster", "prefix", &s.cluster.prefix);
    r.readSeconds(*c, "cluster", "presence_ttl_seconds", &s.cluster.presenceTtl, 3, 3600);
    int64_t timeoutMs = s.cluster.requestTimeout.count();
    r.readInt(*c, "cluster", "request_timeout_ms", &timeoutMs, 100, 600000);
    s.cluster.requestTimeout = milliseconds(timeoutMs);
    r.readInt(*c, "cluster", "max_pending_publishes", &s.cluster.maxPendingPublishes, 100,
              100000000);
    if (!r.failed() && !s.cluster.redis.empty() && !startsWith(s.cluster.redis, "redis://") &&
        !startsWith(s.cluster.redis, "unix://")) {
      r.fail("cluster.redis", "must be redis://HOST:PORT or unix:///PATH");
    }
    for (char ch : s.cluster.nodeId) {
      if (!isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') {
        r.fail("cluster.node_id", "may contain only letters, digits, '-', '_' and '.'");
        break;
      }
    }
  }
  if (const toml::table* sd = r.subTable(root, "", "shutdown")) {
    r.checkKeys(*sd, "shutdown", {"drain_seconds"});
    r.readSeconds(*sd, "shutdown", "drain_seconds", &s.shutdownDrain, 0, 3600);
  }
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
