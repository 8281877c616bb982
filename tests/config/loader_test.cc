// Loading and validating the TOML configuration.
#include "config/loader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace wps::config {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kKey1 = "primary-access-key-0123456789abcdefghijklmnop";
constexpr std::string_view kKey2 = "secondary-access-key-0123456789abcdefghijklmno";

constexpr std::string_view kFullConfig = R"(
listen = "0.0.0.0:9090"
access_keys = ["primary-access-key-0123456789abcdefghijklmnop",
               "secondary-access-key-0123456789abcdefghijklmno"]
public_endpoint = "https://pubsub.example.com"
workers = 4
log_level = "debug"
log_format = "json"
access_log = false
strict_audience_host = true

[hubs.Chat]
anonymous_connect = "allow"
keepalive_interval_seconds = 30

[[hubs.Chat.event_handlers]]
url_template = "https://app.example.com/api/webpubsub/hubs/{hub}/{event}?code=abc"
user_event_pattern = " Message , processOrder "
system_events = ["connect", "CONNECTED", "disconnected"]
auth = { type = "bearer", token = "s3cret" }
timeout_seconds = 30

[[hubs.Chat.event_handlers]]
url_template = "http://fallback.example.com/{event}"
user_event_pattern = "*"

[hubs._default]
anonymous_connect = "deny"

[[hubs._default.event_handlers]]
url_template = "http://default.example.com/{hub}/{event}"
system_events = ["connect"]
auth = { type = "none" }

[upstream]
timeout_seconds = 50
probe_timeout_seconds = 5
retry_delays_ms = [100, 200]
max_connections_per_origin = 16
max_pending_requests_per_origin = 500
max_response_bytes = 1048576
max_connection_state_bytes = 4096
forward_access_token = false
request_origin = "pubsub.example.com:8443"

[limits]
max_message_bytes = 65536
max_rest_body_bytes = 2048
outbound_queue_bytes = 4096
outbound_queue_messages = 100
inbound_queue_messages = 10
handshake_timeout_seconds = 5
http_idle_timeout_seconds = 15

[reliable]
recovery_window_seconds = 120
buffer_messages = 50
buffer_bytes = 65536
close_without_status_ends_session = true

[shutdown]
drain_seconds = 3

[delivery]
data_dir = "/var/lib/webpubsubd"
sync = "full"
max_retry_delay_seconds = 30
retention_seconds = 3600
max_pending_events = 5000
max_pending_bytes = 10485760
max_in_flight = 50
)";

ServerSettings loadOk(std::string_view toml) {
  auto s = loadSettings(toml);
  EXPECT_TRUE(s.isOk()) << s.status().toString();
  return s ? std::move(s.value()) : ServerSettings{};
}

// The error message for `toml`, which must fail with kInvalidArgument.
std::string loadError(std::string_view toml) {
  auto s = loadSettings(toml);
  EXPECT_FALSE(s.isOk()) << toml;
  if (s) return {};
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  return s.status().message();
}

// `toml` fails, and the message starts with `key` and contains `problem`.
void expectError(std::string_view toml, std::string_view key, std::string_view problem) {
  std::string m = loadError(toml);
  EXPECT_EQ(m.rfind(std::string(key) + ":", 0), 0u)
      << "message: " << m << "\nexpected key: " << key;
  EXPECT_NE(m.find(problem), std::string::npos) << "message: " << m << "\nexpected: " << problem;
}

std::string handlerToml(std::string_view body) {
  return "[[hubs.chat.event_handlers]]\n" + std::string(body) + "\n";
}

TEST(LoadSettingsTest, EmptyFileGivesDefaults) {
  ServerSettings s = loadOk("");
  ServerSettings d;
  EXPECT_EQ(s.listenHost, d.listenHost);
  EXPECT_EQ(s.listenPort, d.listenPort);
  EXPECT_TRUE(s.accessKeys.empty());
  EXPECT_TRUE(s.hubs.empty());
  EXPECT_EQ(s.upstream.eventTimeout, 100s);
  EXPECT_EQ(s.upstream.probeTimeout, 10s);
  EXPECT_EQ(s.upstream.retryDelays, (std::vector<std::chrono::milliseconds>{1s, 3s, 5s}));
  EXPECT_EQ(s.upstream.maxResponseBytes, 16u * 1024 * 1024);
  EXPECT_EQ(s.upstream.maxPendingRequestsPerOrigin, 10000u);
  EXPECT_TRUE(s.upstream.forwardAccessToken);
  EXPECT_EQ(s.shutdownDrain, d.shutdownDrain);
  EXPECT_TRUE(s.delivery.dataDir.empty());
  EXPECT_EQ(s.delivery.sync, DeliverySettings::Sync::kNormal);
  EXPECT_EQ(s.delivery.maxRetryDelay, 60s);
  EXPECT_EQ(s.delivery.retention, 86400s);
  EXPECT_EQ(s.delivery.maxPendingEvents, 1000000u);
  EXPECT_EQ(s.delivery.maxPendingBytes, size_t{1} << 30);
  EXPECT_EQ(s.delivery.maxInFlight, 1000u);
}

TEST(LoadSettingsTest, FullFile) {
  ServerSettings s = loadOk(kFullConfig);
  EXPECT_EQ(s.listenHost, "0.0.0.0");
  EXPECT_EQ(s.listenPort, 9090);
  EXPECT_EQ(s.accessKeys, (std::vector<std::string>{std::string(kKey1), std::string(kKey2)}));
  EXPECT_EQ(s.publicEndpoint, "https://pubsub.example.com");
  EXPECT_EQ(s.workers, 4u);
  EXPECT_EQ(s.logLevel, "debug");
  EXPECT_EQ(s.logFormat, "json");
  EXPECT_FALSE(s.accessLog);
  EXPECT_TRUE(s.strictAudienceHost);

  ASSERT_EQ(s.hubs.size(), 2u);
  ASSERT_EQ(s.hubs.count("chat"), 1u);  // hub keys are lower-cased
  const HubSettings& chat = s.hubs.at("chat");
  EXPECT_TRUE(chat.allowAnonymous);
  EXPECT_EQ(chat.keepAliveInterval, 30s);
  ASSERT_EQ(chat.eventHandlers.size(), 2u);
  const auto& h0 = chat.eventHandlers[0];
  EXPECT_EQ(h0.urlTemplate.text(),
            "https://app.example.com/api/webpubsub/hubs/{hub}/{event}?code=abc");
  EXPECT_EQ(h0.urlTemplate.resolve("chat", "connect"),
            "https://app.example.com/api/webpubsub/hubs/chat/connect?code=abc");
  EXPECT_EQ(h0.userEvents, (std::vector<std::string>{"message", "processorder"}));
  EXPECT_EQ(h0.systemEvents, (std::vector<std::string>{"connect", "connected", "disconnected"}));
  EXPECT_EQ(h0.auth.kind, HandlerAuth::Kind::kBearer);
  EXPECT_EQ(h0.auth.token, "s3cret");
  EXPECT_EQ(h0.timeout, std::optional<std::chrono::seconds>(30s));
  const auto& h1 = chat.eventHandlers[1];
  EXPECT_EQ(h1.urlTemplate.text(), "http://fallback.example.com/{event}");
  EXPECT_EQ(h1.userEvents, std::vector<std::string>{"*"});
  EXPECT_TRUE(h1.systemEvents.empty());
  EXPECT_EQ(h1.auth.kind, HandlerAuth::Kind::kNone);
  EXPECT_FALSE(h1.timeout.has_value());

  ASSERT_EQ(s.hubs.count("_default"), 1u);
  const HubSettings& def = s.hubs.at("_default");
  EXPECT_FALSE(def.allowAnonymous);
  EXPECT_EQ(def.keepAliveInterval, 20s);
  ASSERT_EQ(def.eventHandlers.size(), 1u);
  EXPECT_TRUE(def.eventHandlers[0].userEvents.empty());
  EXPECT_EQ(def.eventHandlers[0].systemEvents, std::vector<std::string>{"connect"});
  EXPECT_EQ(def.eventHandlers[0].auth.kind, HandlerAuth::Kind::kNone);

  EXPECT_EQ(s.upstream.eventTimeout, 50s);
  EXPECT_EQ(s.upstream.probeTimeout, 5s);
  EXPECT_EQ(s.upstream.retryDelays, (std::vector<std::chrono::milliseconds>{100ms, 200ms}));
  EXPECT_EQ(s.upstream.maxConnectionsPerOrigin, 16u);
  EXPECT_EQ(s.upstream.maxPendingRequestsPerOrigin, 500u);
  EXPECT_EQ(s.upstream.maxResponseBytes, 1048576u);
  EXPECT_EQ(s.upstream.maxConnectionStateBytes, 4096u);
  EXPECT_FALSE(s.upstream.forwardAccessToken);
  EXPECT_EQ(s.upstream.requestOrigin, "pubsub.example.com:8443");

  EXPECT_EQ(s.limits.maxMessageBytes, 65536u);
  EXPECT_EQ(s.limits.maxRestBodyBytes, 2048u);
  EXPECT_EQ(s.limits.outboundQueueBytes, 4096u);
  EXPECT_EQ(s.limits.outboundQueueMessages, 100u);
  EXPECT_EQ(s.limits.inboundQueueMessages, 10u);
  EXPECT_EQ(s.limits.handshakeTimeout, 5s);
  EXPECT_EQ(s.limits.httpIdleTimeout, 15s);

  EXPECT_EQ(s.reliable.recoveryWindow, 120s);
  EXPECT_EQ(s.reliable.bufferMessages, 50u);
  EXPECT_EQ(s.reliable.bufferBytes, 65536u);
  EXPECT_TRUE(s.reliable.closeWithoutStatusEndsSession);

  EXPECT_EQ(s.shutdownDrain, 3s);

  EXPECT_EQ(s.delivery.dataDir, "/var/lib/webpubsubd");
  EXPECT_EQ(s.delivery.sync, DeliverySettings::Sync::kFull);
  EXPECT_EQ(s.delivery.maxRetryDelay, 30s);
  EXPECT_EQ(s.delivery.retention, 3600s);
  EXPECT_EQ(s.delivery.maxPendingEvents, 5000u);
  EXPECT_EQ(s.delivery.maxPendingBytes, 10485760u);
  EXPECT_EQ(s.delivery.maxInFlight, 50u);
  EXPECT_TRUE(validateSettings(s).isOk()) << validateSettings(s).toString();
}

TEST(LoadSettingsTest, EmptyRetryDelaysDisableRetries) {
  EXPECT_TRUE(loadOk("[upstream]\nretry_delays_ms = []\n").upstream.retryDelays.empty());
}

TEST(LoadSettingsTest, HandlerAuthTypeIsCaseInsensitive) {
  auto s = loadOk(handlerToml(R"(url_template = "http://up/{event}"
auth = { type = "Bearer", token = "t" })"));
  EXPECT_EQ(s.hubs.at("chat").eventHandlers[0].auth.kind, HandlerAuth::Kind::kBearer);
}

TEST(LoadSettingsTest, AuthAsSubTable) {
  auto s = loadOk(R"(
[[hubs.chat.event_handlers]]
url_template = "http://up/{event}"
[hubs.chat.event_handlers.auth]
type = "bearer"
token = "abc"
)");
  ASSERT_EQ(s.hubs.at("chat").eventHandlers.size(), 1u);
  EXPECT_EQ(s.hubs.at("chat").eventHandlers[0].auth.token, "abc");
}

// --- errors ----------------------------------------------------------------------------------

TEST(LoadSettingsErrorTest, UnknownKeys) {
  expectError("lisen = \"127.0.0.1:80\"", "lisen", "unknown key");
  expectError("[upstream]\ntimeout = 5", "upstream.timeout", "unknown key");
  expectError("[limits]\nmax_bytes = 5", "limits.max_bytes", "unknown key");
  expectError("[reliable]\nwindow = 5", "reliable.window", "unknown key");
  expectError("[shutdown]\ndrain = 5", "shutdown.drain", "unknown key");
  expectError("[hubs.chat]\nanonymous = \"allow\"", "hubs.chat.anonymous", "unknown key");
  expectError(handlerToml("url_template = \"http://up/{event}\"\nurl = \"x\""),
              "hubs.chat.event_handlers[0].url", "unknown key");
  expectError(handlerToml("url_template = \"http://up/{event}\"\n"
                          "auth = { type = \"bearer\", token = \"t\", resource = \"x\" }"),
              "hubs.chat.event_handlers[0].auth.resource", "unknown key");
}

TEST(LoadSettingsErrorTest, WrongTypes) {
  expectError("workers = \"4\"", "workers", "integer");
  expectError("workers = 4.5", "workers", "integer");
  expectError("listen = 8080", "listen", "string");
  expectError("access_keys = \"k\"", "access_keys", "array");
  expectError("access_keys = [1]", "access_keys[0]", "string");
  expectError("strict_audience_host = \"yes\"", "strict_audience_host", "true or false");
  expectError("hubs = 5", "hubs", "table");
  expectError("[hubs]\nchat = 5", "hubs.chat", "table");
  expectError("[upstream]\nforward_access_token = 1", "upstream.forward_access_token",
              "true or false");
  expectError("[upstream]\nretry_delays_ms = 1000", "upstream.retry_delays_ms", "array");
  expectError("[upstream]\nretry_delays_ms = [\"1s\"]", "upstream.retry_delays_ms", "integer");
  expectError("upstream = 1", "upstream", "table");
  expectError("[hubs.chat]\nanonymous_connect = true", "hubs.chat.anonymous_connect", "string");
  expectError("[hubs.chat]\nevent_handlers = 1", "hubs.chat.event_handlers", "array");
  expectError("[hubs.chat]\nevent_handlers = [1]", "hubs.chat.event_handlers[0]", "table");
  expectError(handlerToml("url_template = 5"), "hubs.chat.event_handlers[0].url_template",
              "string");
  expectError(handlerToml("url_template = \"http://up/\"\nsystem_events = \"connect\""),
              "hubs.chat.event_handlers[0].system_events", "array");
  expectError(handlerToml("url_template = \"http://up/\"\nuser_event_pattern = [\"*\"]"),
              "hubs.chat.event_handlers[0].user_event_pattern", "string");
  expectError(handlerToml("url_template = \"http://up/\"\nauth = \"bearer\""),
              "hubs.chat.event_handlers[0].auth", "table");
  expectError(handlerToml("url_template = \"http://up/\"\ntimeout_seconds = \"5\""),
              "hubs.chat.event_handlers[0].timeout_seconds", "integer");
}

TEST(LoadSettingsErrorTest, OutOfRangeNumbers) {
  expectError("workers = -1", "workers", "between 0 and 256");
  expectError("workers = 257", "workers", "between 0 and 256");
  expectError("[hubs.chat]\nkeepalive_interval_seconds = 0", "hubs.chat.keepalive_interval_seconds",
              "between 1 and 120");
  expectError("[hubs.chat]\nkeepalive_interval_seconds = 121",
              "hubs.chat.keepalive_interval_seconds", "between 1 and 120");
  expectError("[upstream]\ntimeout_seconds = 0", "upstream.timeout_seconds", "between");
  expectError("[upstream]\nretry_delays_ms = [1000, -1]", "upstream.retry_delays_ms", "0");
  expectError("[upstream]\nmax_connections_per_origin = 0", "upstream.max_connections_per_origin",
              "between");
  expectError("[upstream]\nmax_pending_requests_per_origin = 0",
              "upstream.max_pending_requests_per_origin", "between 1 and 10000000");
  expectError("[upstream]\nmax_pending_requests_per_origin = 10000001",
              "upstream.max_pending_requests_per_origin", "between 1 and 10000000");
  expectError("[limits]\nmax_message_bytes = 1", "limits.max_message_bytes", "between");
  expectError("[reliable]\nbuffer_messages = 0", "reliable.buffer_messages", "between");
  expectError("[shutdown]\ndrain_seconds = -5", "shutdown.drain_seconds", "between");
  expectError(handlerToml("url_template = \"http://up/\"\ntimeout_seconds = 0"),
              "hubs.chat.event_handlers[0].timeout_seconds", "between");
  // The limits themselves are accepted.
  EXPECT_EQ(
      loadOk("[hubs.chat]\nkeepalive_interval_seconds = 120").hubs.at("chat").keepAliveInterval,
      120s);
  EXPECT_EQ(loadOk("[hubs.chat]\nkeepalive_interval_seconds = 1").hubs.at("chat").keepAliveInterval,
            1s);
  EXPECT_EQ(loadOk("workers = 256").workers, 256u);
}

TEST(LoadSettingsTest, DeliverySyncIsCaseInsensitive) {
  EXPECT_EQ(loadOk("[delivery]\nsync = \"FULL\"").delivery.sync, DeliverySettings::Sync::kFull);
  EXPECT_EQ(loadOk("[delivery]\nsync = \"Normal\"").delivery.sync, DeliverySettings::Sync::kNormal);
}

TEST(LoadSettingsTest, TraceKeys) {
  EXPECT_FALSE(loadOk("").trace.includePayloads);
  EXPECT_EQ(loadOk("").trace.viewerQueueEvents, 1000u);
  auto s = loadOk("[trace]\ninclude_payloads = true\nviewer_queue_events = 50");
  EXPECT_TRUE(s.trace.includePayloads);
  EXPECT_EQ(s.trace.viewerQueueEvents, 50u);
}

TEST(LoadSettingsErrorTest, TraceKeys) {
  expectError("[trace]\npayloads = true", "trace.payloads", "unknown key");
  expectError("[trace]\ninclude_payloads = \"yes\"", "trace.include_payloads", "true or false");
  expectError("[trace]\nviewer_queue_events = 9", "trace.viewer_queue_events",
              "between 10 and 1000000");
}

TEST(LoadSettingsErrorTest, DeliveryKeys) {
  expectError("[delivery]\ndir = \"/tmp\"", "delivery.dir", "unknown key");
  expectError("delivery = 1", "delivery", "table");
  expectError("[delivery]\ndata_dir = 5", "delivery.data_dir", "string");
  expectError("[delivery]\nsync = \"off\"", "delivery.sync", "\"normal\" or \"full\"");
  expectError("[delivery]\nsync = true", "delivery.sync", "string");
  expectError("[delivery]\nmax_retry_delay_seconds = 0", "delivery.max_retry_delay_seconds",
              "between 1 and 3600");
  expectError("[delivery]\nmax_retry_delay_seconds = 3601", "delivery.max_retry_delay_seconds",
              "between 1 and 3600");
  expectError("[delivery]\nretention_seconds = 59", "delivery.retention_seconds",
              "between 60 and 31536000");
  expectError("[delivery]\nretention_seconds = 31536001", "delivery.retention_seconds",
              "between 60 and 31536000");
  expectError("[delivery]\nmax_pending_events = 0", "delivery.max_pending_events", "between 1");
  expectError("[delivery]\nmax_pending_bytes = 1048575", "delivery.max_pending_bytes",
              "between 1048576");
  expectError("[delivery]\nmax_in_flight = 0", "delivery.max_in_flight", "between 1 and 1000000");
  expectError("[delivery]\nmax_in_flight = 1000001", "delivery.max_in_flight",
              "between 1 and 1000000");
  // The limits themselves are accepted.
  auto s = loadOk(
      "[delivery]\nmax_retry_delay_seconds = 3600\nretention_seconds = 60\n"
      "max_pending_events = 1\nmax_pending_bytes = 1048576\nmax_in_flight = 1");
  EXPECT_EQ(s.delivery.maxRetryDelay, 3600s);
  EXPECT_EQ(s.delivery.retention, 60s);
  EXPECT_EQ(s.delivery.maxPendingEvents, 1u);
  EXPECT_EQ(s.delivery.maxPendingBytes, 1048576u);
  EXPECT_EQ(s.delivery.maxInFlight, 1u);
}

TEST(LoadSettingsErrorTest, BadUrlTemplate) {
  expectError(handlerToml(R"(url_template = "http://{hub}.example.com/{event}")"),
              "hubs.chat.event_handlers[0].url_template", "host");
  expectError(handlerToml(R"(url_template = "http://up/{foo}")"),
              "hubs.chat.event_handlers[0].url_template", "foo");
  expectError(handlerToml(R"(url_template = "ftp://up/{event}")"),
              "hubs.chat.event_handlers[0].url_template", "");
  expectError(R"(
[[hubs.chat.event_handlers]]
url_template = "http://up/{event}"
[[hubs.chat.event_handlers]]
url_template = "/relative/{event}"
)",
              "hubs.chat.event_handlers[1].url_template", "");
}

TEST(LoadSettingsErrorTest, MissingUrlTemplate) {
  expectError(handlerToml(R"(user_event_pattern = "*")"),
              "hubs.chat.event_handlers[0].url_template", "required");
}

TEST(LoadSettingsErrorTest, BadSystemEvent) {
  expectError(handlerToml(R"(url_template = "http://up/"
system_events = ["connect", "message"])"),
              "hubs.chat.event_handlers[0].system_events", "message");
  expectError(handlerToml(R"(url_template = "http://up/"
system_events = ["disconnect"])"),
              "hubs.chat.event_handlers[0].system_events", "disconnect");
}

TEST(LoadSettingsErrorTest, BadUserEventPattern) {
  expectError(handlerToml(R"(url_template = "http://up/"
user_event_pattern = "ok, bad name")"),
              "hubs.chat.event_handlers[0].user_event_pattern", "bad name");
}

TEST(LoadSettingsErrorTest, BadAuth) {
  expectError(handlerToml(R"(url_template = "http://up/"
auth = { type = "ManagedIdentity" })"),
              "hubs.chat.event_handlers[0].auth.type", "bearer");
  expectError(handlerToml(R"(url_template = "http://up/"
auth = { type = "bearer" })"),
              "hubs.chat.event_handlers[0].auth.token", "required");
}

TEST(LoadSettingsErrorTest, BadHubName) {
  expectError("[hubs.1chat]\nanonymous_connect = \"allow\"", "hubs.1chat", "hub name");
  expectError("[hubs.\"chat room\"]\nanonymous_connect = \"allow\"", "hubs.chat room", "hub name");
  expectError("[hubs._other]\nanonymous_connect = \"allow\"", "hubs._other", "hub name");
  expectError("[hubs.\"" + std::string(129, 'a') + "\"]\n", "hubs." + std::string(129, 'a'),
              "hub name");
  // Every allowed character.
  auto s = loadOk("[hubs.\"A_b`c,d.e[f]9\"]\n");
  EXPECT_EQ(s.hubs.count("a_b`c,d.e[f]9"), 1u);
}

TEST(LoadSettingsErrorTest, HubConfiguredTwiceWithDifferentCase) {
  std::string m = loadError("[hubs.Chat]\n[hubs.chat]\n");
  EXPECT_EQ(m.rfind("hubs.", 0), 0u) << m;
  EXPECT_NE(m.find("twice"), std::string::npos) << m;
}

TEST(LoadSettingsErrorTest, BadEnumValues) {
  expectError("log_level = \"verbose\"", "log_level", "must be one of");
  expectError("[hubs.chat]\nanonymous_connect = \"maybe\"", "hubs.chat.anonymous_connect", "allow");
}

TEST(LoadSettingsErrorTest, BadListen) {
  expectError("listen = \"localhost\"", "listen", "HOST:PORT");
  expectError("listen = \"localhost:99999\"", "listen", "port");
  expectError("listen = \":8080\"", "listen", "host");
}

TEST(LoadSettingsErrorTest, BadPublicEndpoint) {
  std::string m = loadError("public_endpoint = \"pubsub.example.com\"");
  EXPECT_EQ(m.rfind("public_endpoint:", 0), 0u) << m;
}

TEST(LoadSettingsErrorTest, ShortAccessKeyIsNotEchoed) {
  std::string secret = "tooShortSecretXYZ";
  std::string m = loadError("access_keys = [\"" + secret + "\"]");
  EXPECT_EQ(m.rfind("access_keys[0]:", 0), 0u) << m;
  EXPECT_NE(m.find("32"), std::string::npos) << m;
  EXPECT_EQ(m.find(secret), std::string::npos) << m;
  EXPECT_EQ(m.find("tooShort"), std::string::npos) << m;

  std::string m2 = loadError("access_keys = [\"" + std::string(kKey1) + "\", \"" + secret + "\"]");
  EXPECT_EQ(m2.rfind("access_keys[1]:", 0), 0u) << m2;
  EXPECT_EQ(m2.find(secret), std::string::npos) << m2;
  EXPECT_EQ(m2.find(kKey1), std::string::npos) << m2;
}

TEST(LoadSettingsErrorTest, SyntaxErrorHasLineAndColumn) {
  std::string m = loadError("workers = 4\nlisten = \"unterminated\n");
  EXPECT_NE(m.find("line 2"), std::string::npos) << m;
  EXPECT_NE(m.find("column"), std::string::npos) << m;

  std::string dup = loadError("workers = 4\n\nworkers = 5\n");
  EXPECT_NE(dup.find("line 3"), std::string::npos) << dup;
}

TEST(LoadSettingsFileTest, ReadsAFileAndNamesItOnErrors) {
  std::string path = ::testing::TempDir() + "/wps_config_test.toml";
  {
    std::ofstream out(path);
    out << "workers = 3\n";
  }
  auto s = loadSettingsFile(path);
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  EXPECT_EQ(s->workers, 3u);
  {
    std::ofstream out(path);
    out << "workers = \"x\"\n";
  }
  auto bad = loadSettingsFile(path);
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find(path), std::string::npos);
  EXPECT_NE(bad.status().message().find("workers"), std::string::npos);
  std::remove(path.c_str());
  auto missing = loadSettingsFile(path);
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
}

// --- parseListen -------------------------------------------------------------------------------

TEST(ParseListenTest, HostAndPort) {
  std::string host;
  uint16_t port = 1;
  ASSERT_TRUE(parseListen("127.0.0.1:8080", &host, &port).isOk());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(parseListen("localhost:65535", &host, &port).isOk());
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(port, 65535);
}

TEST(ParseListenTest, BracketedIpv6AndPortZero) {
  std::string host;
  uint16_t port = 1;
  ASSERT_TRUE(parseListen("[::1]:0", &host, &port).isOk());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(parseListen("[::]:443", &host, &port).isOk());
  EXPECT_EQ(host, "::");
  EXPECT_EQ(port, 443);
}

TEST(ParseListenTest, Errors) {
  std::string host = "unchanged";
  uint16_t port = 7;
  for (std::string_view bad :
       {"", "localhost", "localhost:", ":80", "[]:80", "localhost:65536", "localhost:-1",
        "localhost:http", "localhost:80x", "[::1]", "localhost: 80"}) {
    Status st = parseListen(bad, &host, &port);
    EXPECT_FALSE(st.isOk()) << bad;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(host, "unchanged");
  EXPECT_EQ(port, 7);
}

// Found by config_loader_fuzz: "[[x]]:1" was accepted with the host "[x]", which does not print
// back to an address parseListen accepts as the same host.
TEST(ParseListenTest, BracketsOnlyAroundTheWholeHost) {
  std::string host;
  uint16_t port = 0;
  for (std::string_view bad : {"[[x]]:1", "[a]b]:1", "[[::1]:80", "[::1]]:80"}) {
    EXPECT_FALSE(parseListen(bad, &host, &port).isOk()) << bad;
  }
  ASSERT_TRUE(parseListen("[fe80::1%eth0]:80", &host, &port).isOk());
  EXPECT_EQ(host, "fe80::1%eth0");
}

// --- validateSettings --------------------------------------------------------------------------

TEST(ValidateSettingsTest, NeedsAValidKey) {
  ServerSettings s;
  Status none = validateSettings(s);
  EXPECT_FALSE(none.isOk());
  EXPECT_EQ(none.message().rfind("access_keys", 0), 0u) << none.message();
  s.accessKeys = {std::string(kKey1)};
  EXPECT_TRUE(validateSettings(s).isOk());
  s.accessKeys.push_back("short-secret");
  Status bad = validateSettings(s);
  EXPECT_FALSE(bad.isOk());
  EXPECT_EQ(bad.message().rfind("access_keys[1]:", 0), 0u) << bad.message();
  EXPECT_EQ(bad.message().find("short-secret"), std::string::npos) << bad.message();
}

TEST(ValidateSettingsTest, PublicEndpointAndHubNames) {
  ServerSettings s;
  s.accessKeys = {std::string(kKey1)};
  s.publicEndpoint = "not a url";
  Status st = validateSettings(s);
  EXPECT_FALSE(st.isOk());
  EXPECT_EQ(st.message().rfind("public_endpoint:", 0), 0u) << st.message();
  s.publicEndpoint = "https://pubsub.example.com";
  s.hubs["_default"];
  EXPECT_TRUE(validateSettings(s).isOk());
  s.hubs["9bad"];
  Status hub = validateSettings(s);
  EXPECT_FALSE(hub.isOk());
  EXPECT_EQ(hub.message().rfind("hubs.9bad", 0), 0u) << hub.message();
}

// --- hubSettings -------------------------------------------------------------------------------

TEST(HubSettingsTest, OwnEntryThenDefaultThenEmpty) {
  ServerSettings s = loadOk(R"(
[hubs.chat]
keepalive_interval_seconds = 5
[[hubs.chat.event_handlers]]
url_template = "http://chat/{event}"
)");
  EXPECT_EQ(hubSettings(s, "chat").keepAliveInterval, 5s);
  const HubSettings& other = hubSettings(s, "other");
  EXPECT_TRUE(other.eventHandlers.empty());
  EXPECT_FALSE(other.allowAnonymous);
  EXPECT_EQ(other.keepAliveInterval, 20s);

  s = loadOk(std::string(kFullConfig));
  EXPECT_EQ(&hubSettings(s, "chat"), &s.hubs.at("chat"));
  EXPECT_EQ(&hubSettings(s, "other"), &s.hubs.at("_default"));
  ASSERT_EQ(hubSettings(s, "other").eventHandlers.size(), 1u);
  EXPECT_EQ(hubSettings(s, "other").eventHandlers[0].urlTemplate.text(),
            "http://default.example.com/{hub}/{event}");
}

}  // namespace
}  // namespace wps::config
