// The loader's key tables: exact error messages for every section and reader kind, which error
// wins when there are several, and the keys that are read only in some cases.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "config/loader.h"

namespace wps::config {
namespace {

using namespace std::chrono_literals;

std::string errorOf(std::string_view toml) {
  auto s = loadSettings(toml);
  EXPECT_FALSE(s.isOk()) << toml;
  return s ? std::string() : s.status().message();
}

ServerSettings loadOk(std::string_view toml) {
  auto s = loadSettings(toml);
  EXPECT_TRUE(s.isOk()) << s.status().toString();
  return s ? std::move(s.value()) : ServerSettings{};
}

const std::string kHandler = "[[hubs.chat.event_handlers]]\n";

TEST(LoaderKeysTest, ExactMessagesPerSection) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"lisen = 1", "lisen: unknown key"},
      {"listen = \"nope\"", "listen: expected HOST:PORT"},
      {"access_keys = [\"k\", 2]", "access_keys[1]: must be a string"},
      {"workers = 300", "workers: must be between 0 and 256"},
      {"log_level = \"loud\"",
       "log_level: must be one of trace, debug, info, warn, error, critical, off"},
      {"log_format = \"xml\"", "log_format: must be \"text\" or \"json\""},
      {"access_log = \"yes\"", "access_log: must be true or false"},
      {"limits = 5", "limits: must be a table"},
      {"shutdown = 1", "shutdown: must be a table"},
      {"[shutdown]\ndrain_seconds = 3601", "shutdown.drain_seconds: must be between 0 and 3600"},
      {"[upstream]\nretry_delays_ms = 5", "upstream.retry_delays_ms: must be an array of integers"},
      {"[upstream]\nretry_delays_ms = [600001]",
       "upstream.retry_delays_ms: items must be integers from 0 to 600000"},
      {"[upstream]\nrequest_origin = 1", "upstream.request_origin: must be a string"},
      {"[limits]\nhandshake_timeout_seconds = 0",
       "limits.handshake_timeout_seconds: must be between 1 and 3600"},
      {"[reliable]\nclose_without_status_ends_session = 1",
       "reliable.close_without_status_ends_session: must be true or false"},
      {"[cluster]\nredis_url = \"x\"", "cluster.redis_url: unknown key"},
      {"[cluster]\nredis = \"http://x\"",
       "cluster.redis: must be redis://, rediss:// or unix:// (see docs/cluster.md)"},
      {"[cluster]\nredis = \"redis://h\"\ntls_ca_file = \"/ca.pem\"",
       "cluster.redis: the tls_* keys need a rediss:// address"},
      {"[cluster]\nredis = \"rediss://h\"\ntls_cert_file = \"/c.pem\"",
       "cluster.tls_key_file: tls_cert_file and tls_key_file go together"},
      {"[cluster]\nredis = \"rediss://h\"\ntls_key_file = \"/k.pem\"",
       "cluster.tls_cert_file: tls_cert_file and tls_key_file go together"},
      {"[cluster]\ntls_ca_file = 5", "cluster.tls_ca_file: must be a string"},
      {"[cluster]\nnode_id = \"a b\"",
       "cluster.node_id: may contain only letters, digits, '-', '_' and '.'"},
      {"[cluster]\nrequest_timeout_ms = 5",
       "cluster.request_timeout_ms: must be between 100 and 600000"},
      {"[cluster]\npresence_ttl_seconds = 2",
       "cluster.presence_ttl_seconds: must be between 3 and 3600"},
      {"[hubs.chat]\nanonymous_connect = \"maybe\"",
       "hubs.chat.anonymous_connect: must be \"allow\" or \"deny\""},
      {"[hubs.chat]\nevent_handlers = 1",
       "hubs.chat.event_handlers: must be an array of tables ([[...event_handlers]])"},
      {"[hubs.chat]\nevent_handlers = [1]", "hubs.chat.event_handlers[0]: must be a table"},
      {kHandler + "url_template = \"http://up/\"\nauth = { type = \"bearer\" }",
       "hubs.chat.event_handlers[0].auth.token: is required for type \"bearer\""},
      {kHandler + "url_template = \"http://up/\"\nauth = { type = \"x\" }",
       "hubs.chat.event_handlers[0].auth.type: must be \"none\" or \"bearer\""},
      {kHandler + "url_template = \"http://up/\"\nauth = { type = \"bearer\", token = 5 }",
       "hubs.chat.event_handlers[0].auth.token: must be a string"},
      {kHandler + "url_template = \"http://up/\"\nsystem_events = [\"x\"]",
       "hubs.chat.event_handlers[0].system_events: 'x' is not a system event (connect, "
       "connected, disconnected)"},
      {kHandler + "url_template = \"http://up/\"\nuser_event_pattern = \"a b\"",
       "hubs.chat.event_handlers[0].user_event_pattern: 'a b' is not a valid event name"},
      {kHandler + "url_template = \"http://up/\"\ntimeout_seconds = 3601",
       "hubs.chat.event_handlers[0].timeout_seconds: must be between 1 and 3600"},
  };
  for (const auto& [toml, message] : cases)
    EXPECT_EQ(errorOf(toml), message) << toml;
}

TEST(LoaderKeysTest, FirstErrorWins) {
  // Unknown keys of a table are reported before its values are read.
  EXPECT_EQ(errorOf("workers = \"x\"\nzzz = 1"), "zzz: unknown key");
  EXPECT_EQ(errorOf("[limits]\nmax_message_bytes = 1\nzzz = 1"), "limits.zzz: unknown key");
  // Keys are read in table order: top-level keys before sections.
  EXPECT_EQ(errorOf("strict_audience_host = 1\n[upstream]\ntimeout_seconds = 0"),
            "strict_audience_host: must be true or false");
  // A missing url_template is reported before the handler's other keys.
  EXPECT_EQ(errorOf(kHandler + "user_event_pattern = \"a b\""),
            "hubs.chat.event_handlers[0].url_template: is required");
  // cluster.redis is checked only after the other cluster keys were read without error.
  EXPECT_EQ(errorOf("[cluster]\nredis = \"http://x\"\nprefix = 5"),
            "cluster.prefix: must be a string");
}

TEST(LoaderKeysTest, AuthTokenIsReadOnlyForBearer) {
  auto s =
      loadOk(kHandler + "url_template = \"http://up/\"\nauth = { type = \"none\", token = 5 }");
  EXPECT_EQ(s.hubs.at("chat").eventHandlers[0].auth.kind, HandlerAuth::Kind::kNone);
  EXPECT_TRUE(s.hubs.at("chat").eventHandlers[0].auth.token.empty());
}

TEST(LoaderKeysTest, ClusterKeys) {
  auto s = loadOk(R"(
[cluster]
redis = "unix:///tmp/redis.sock"
node_id = "node-1.a_b"
prefix = "p"
presence_ttl_seconds = 30
request_timeout_ms = 250
max_pending_publishes = 500
)");
  EXPECT_EQ(s.cluster.redis, "unix:///tmp/redis.sock");
  EXPECT_EQ(s.cluster.nodeId, "node-1.a_b");
  EXPECT_EQ(s.cluster.prefix, "p");
  EXPECT_EQ(s.cluster.presenceTtl, 30s);
  EXPECT_EQ(s.cluster.requestTimeout, 250ms);
  EXPECT_EQ(s.cluster.maxPendingPublishes, 500u);
}

TEST(LoaderKeysTest, ClusterTlsKeys) {
  auto s = loadOk(R"(
[cluster]
redis = "rediss://wps:p%40ss@redis.internal:6380/2"
tls_ca_file = "/etc/ca.pem"
tls_cert_file = "/etc/client.pem"
tls_key_file = "/etc/client.key"
)");
  EXPECT_EQ(s.cluster.redis, "rediss://wps:p%40ss@redis.internal:6380/2");
  EXPECT_EQ(s.cluster.tlsCaFile, "/etc/ca.pem");
  EXPECT_EQ(s.cluster.tlsCertFile, "/etc/client.pem");
  EXPECT_EQ(s.cluster.tlsKeyFile, "/etc/client.key");
  EXPECT_TRUE(loadOk("[cluster]\nredis = \"rediss://h\"").cluster.tlsCaFile.empty());
}

TEST(LoaderKeysTest, HttpIdleTimeout) {
  EXPECT_EQ(loadOk("").limits.httpIdleTimeout, 60s);
  EXPECT_EQ(loadOk("[limits]\nhttp_idle_timeout_seconds = 1").limits.httpIdleTimeout, 1s);
  EXPECT_EQ(loadOk("[limits]\nhttp_idle_timeout_seconds = 86400").limits.httpIdleTimeout, 86400s);
  EXPECT_EQ(errorOf("[limits]\nhttp_idle_timeout_seconds = 0"),
            "limits.http_idle_timeout_seconds: must be between 1 and 86400");
  EXPECT_EQ(errorOf("[limits]\nhttp_idle_timeout_seconds = \"20\""),
            "limits.http_idle_timeout_seconds: must be an integer");
}

TEST(LoaderKeysTest, MaxRequestHeadBytes) {
  EXPECT_EQ(loadOk("").limits.maxRequestHeadBytes, 65536u);
  EXPECT_EQ(loadOk("[limits]\nmax_request_head_bytes = 1024").limits.maxRequestHeadBytes, 1024u);
  EXPECT_EQ(loadOk("[limits]\nmax_request_head_bytes = 1048576").limits.maxRequestHeadBytes,
            1048576u);
  EXPECT_EQ(errorOf("[limits]\nmax_request_head_bytes = 1023"),
            "limits.max_request_head_bytes: must be between 1024 and 1048576");
  EXPECT_EQ(errorOf("[limits]\nmax_request_head_bytes = 1048577"),
            "limits.max_request_head_bytes: must be between 1024 and 1048576");
  EXPECT_EQ(errorOf("[limits]\nmax_request_head_bytes = \"64k\""),
            "limits.max_request_head_bytes: must be an integer");
}

TEST(LoaderKeysTest, MaxGroupsPerConnection) {
  EXPECT_EQ(loadOk("").limits.maxGroupsPerConnection, 1000u);
  EXPECT_EQ(loadOk("[limits]\nmax_groups_per_connection = 1").limits.maxGroupsPerConnection, 1u);
  EXPECT_EQ(loadOk("[limits]\nmax_groups_per_connection = 50000").limits.maxGroupsPerConnection,
            50000u);
  EXPECT_EQ(errorOf("[limits]\nmax_groups_per_connection = 0"),
            "limits.max_groups_per_connection: must be between 1 and 1000000");
  EXPECT_EQ(errorOf("[limits]\nmax_groups_per_connection = 1000001"),
            "limits.max_groups_per_connection: must be between 1 and 1000000");
}

TEST(LoaderKeysTest, MaxConnections) {
  EXPECT_EQ(loadOk("").limits.maxConnections, 100000u);
  EXPECT_EQ(loadOk("[limits]\nmax_connections = 1").limits.maxConnections, 1u);
  EXPECT_EQ(loadOk("[limits]\nmax_connections = 10000000").limits.maxConnections, 10000000u);
  EXPECT_EQ(errorOf("[limits]\nmax_connections = 0"),
            "limits.max_connections: must be between 1 and 10000000");
  EXPECT_EQ(errorOf("[limits]\nmax_connections = 10000001"),
            "limits.max_connections: must be between 1 and 10000000");
}

TEST(LoaderKeysTest, MaxConnectionsPerIp) {
  EXPECT_EQ(loadOk("").limits.maxConnectionsPerIp, 0u);  // off
  EXPECT_EQ(loadOk("[limits]\nmax_connections_per_ip = 20").limits.maxConnectionsPerIp, 20u);
  EXPECT_EQ(errorOf("[limits]\nmax_connections_per_ip = -1"),
            "limits.max_connections_per_ip: must be between 0 and 10000000");
  EXPECT_EQ(errorOf("[limits]\nmax_connections_per_ip = 10000001"),
            "limits.max_connections_per_ip: must be between 0 and 10000000");
}

TEST(LoaderKeysTest, InboundQueueBytes) {
  EXPECT_EQ(loadOk("").limits.inboundQueueBytes, 4u * 1024 * 1024);
  EXPECT_EQ(loadOk("[limits]\ninbound_queue_bytes = 1024").limits.inboundQueueBytes, 1024u);
  EXPECT_EQ(loadOk("[limits]\ninbound_queue_bytes = 4294967296").limits.inboundQueueBytes,
            size_t{1} << 32);
  EXPECT_EQ(errorOf("[limits]\ninbound_queue_bytes = 1023"),
            "limits.inbound_queue_bytes: must be between 1024 and 4294967296");
  EXPECT_EQ(errorOf("[limits]\ninbound_queue_bytes = 4294967297"),
            "limits.inbound_queue_bytes: must be between 1024 and 4294967296");
}

TEST(LoaderKeysTest, MessageRateLimit) {
  ServerSettings off = loadOk("");
  EXPECT_EQ(off.limits.maxMessagesPerSecond, 0u);
  EXPECT_EQ(off.limits.maxMessageBurst, 0u);
  ServerSettings on = loadOk("[limits]\nmax_messages_per_second = 50\nmax_message_burst = 200");
  EXPECT_EQ(on.limits.maxMessagesPerSecond, 50u);
  EXPECT_EQ(on.limits.maxMessageBurst, 200u);
  EXPECT_EQ(loadOk("[limits]\nmax_messages_per_second = 1000000").limits.maxMessagesPerSecond,
            1000000u);
  EXPECT_EQ(errorOf("[limits]\nmax_messages_per_second = -1"),
            "limits.max_messages_per_second: must be between 0 and 1000000");
  EXPECT_EQ(errorOf("[limits]\nmax_messages_per_second = 1000001"),
            "limits.max_messages_per_second: must be between 0 and 1000000");
  EXPECT_EQ(errorOf("[limits]\nmax_message_burst = 100000001"),
            "limits.max_message_burst: must be between 0 and 100000000");
  EXPECT_EQ(errorOf("[limits]\nmax_message_burst = 1.5"),
            "limits.max_message_burst: must be an integer");
}

TEST(LoaderKeysTest, InvocationKeys) {
  EXPECT_EQ(loadOk("").limits.maxPendingInvocations, 100u);
  EXPECT_EQ(loadOk("[limits]\nmax_pending_invocations = 1").limits.maxPendingInvocations, 1u);
  EXPECT_EQ(errorOf("[limits]\nmax_pending_invocations = 0"),
            "limits.max_pending_invocations: must be between 1 and 100000");
  EXPECT_EQ(errorOf("[limits]\nmax_pending_invocations = 100001"),
            "limits.max_pending_invocations: must be between 1 and 100000");
  EXPECT_EQ(loadOk("").limits.maxStreamsPerConnection, 100u);
  EXPECT_EQ(loadOk("").limits.streamIdleTimeoutMaxMs, 3600000u);
  EXPECT_EQ(loadOk("[limits]\nmax_streams_per_connection = 2").limits.maxStreamsPerConnection, 2u);
  EXPECT_EQ(loadOk("[limits]\nstream_idle_timeout_max_ms = 5000").limits.streamIdleTimeoutMaxMs,
            5000u);
  EXPECT_EQ(errorOf("[limits]\nmax_streams_per_connection = 0"),
            "limits.max_streams_per_connection: must be between 1 and 100000");
  EXPECT_EQ(errorOf("[limits]\nstream_idle_timeout_max_ms = 999"),
            "limits.stream_idle_timeout_max_ms: must be between 1000 and 86400000");
  EXPECT_FALSE(loadOk("").upstream.invocationIdHeader);
  EXPECT_TRUE(loadOk("[upstream]\ninvocation_id_header = true").upstream.invocationIdHeader);
  EXPECT_EQ(errorOf("[upstream]\ninvocation_id_header = 1"),
            "upstream.invocation_id_header: must be true or false");
}

}  // namespace
}  // namespace wps::config
