// planReload: which keys of a reloaded file take effect, which need a restart, and that the
// restart-only ones keep their running values.
#include "config/reload_plan.h"

#include <gtest/gtest.h>

#include "config/loader.h"

namespace wps::config {
namespace {

using Keys = std::vector<std::string>;
using namespace std::chrono_literals;

constexpr std::string_view kBase = R"(
listen = "127.0.0.1:9000"
access_keys = ["first-access-key-0123456789abcdefghijklmnopqrs"]
workers = 2

[hubs.chat]
[[hubs.chat.event_handlers]]
url_template = "http://app.example.com/{event}"
user_event_pattern = "*"

[limits]
max_message_bytes = 4096

[cluster]
prefix = "a"
)";

ServerSettings load(std::string_view text) {
  auto s = loadSettings(text);
  EXPECT_TRUE(s) << s.status().message();
  return s ? std::move(s.value()) : ServerSettings{};
}

// kBase with `from` replaced by `to` (the text must contain `from`).
std::string edited(std::string_view from, std::string_view to) {
  std::string text(kBase);
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ReloadPlanTest, SameFileChangesNothing) {
  ServerSettings running = load(kBase);
  ServerSettings next = load(kBase);
  ReloadPlan plan = planReload(running, &next);
  EXPECT_TRUE(plan.changed.empty());
  EXPECT_TRUE(plan.restartRequired.empty());
}

TEST(ReloadPlanTest, ReloadableKeysAreNamedAndKeepTheNewValues) {
  ServerSettings running = load(kBase);
  ServerSettings next =
      load("log_level = \"debug\"\n" +
           edited("max_message_bytes = 4096", "max_message_bytes = 1000\nmax_connections = 5"));
  ReloadPlan plan = planReload(running, &next);
  EXPECT_EQ(plan.changed,
            (Keys{"log_level", "limits.max_message_bytes", "limits.max_connections"}));
  EXPECT_TRUE(plan.restartRequired.empty());
  EXPECT_EQ(next.limits.maxMessageBytes, 1000u);
  EXPECT_EQ(next.logLevel, "debug");
}

TEST(ReloadPlanTest, RestartOnlyKeysAreReportedAndKeepTheRunningValues) {
  ServerSettings running = load(kBase);
  std::string text = edited("listen = \"127.0.0.1:9000\"", "listen = \"127.0.0.1:9001\"");
  text.replace(text.find("workers = 2"), 11, "workers = 3");
  text.replace(text.find("prefix = \"a\""), 12, "prefix = \"b\"");
  ServerSettings next = load(text);
  ReloadPlan plan = planReload(running, &next);
  EXPECT_TRUE(plan.changed.empty());
  EXPECT_EQ(plan.restartRequired, (Keys{"listen", "workers", "cluster"}));
  EXPECT_EQ(next.listenPort, 9000);
  EXPECT_EQ(next.workers, 2u);
  EXPECT_EQ(next.cluster.prefix, "a");
}

TEST(ReloadPlanTest, HubsAddedChangedAndRemovedAreNamedOnce) {
  ServerSettings running =
      load(std::string(kBase) + "\n[hubs.gone]\nanonymous_connect = \"allow\"\n");
  ServerSettings next =
      load(edited("http://app.example.com/{event}", "http://other.example.com/{event}") +
           "\n[hubs.added]\nanonymous_connect = \"allow\"\n");
  ReloadPlan plan = planReload(running, &next);
  EXPECT_EQ(plan.changed, (Keys{"hubs.added", "hubs.chat", "hubs.gone"}));
  EXPECT_EQ(next.hubs.at("chat").eventHandlers.at(0).urlTemplate.text(),
            "http://other.example.com/{event}");
}

TEST(ReloadPlanTest, KeyRotationIsNamedWithoutTheKeys) {
  ServerSettings running = load(kBase);
  ServerSettings next = load(edited("first-access-key-0123456789abcdefghijklmnopqrs",
                                    "second-access-key-0123456789abcdefghijklmnopqr"));
  ReloadPlan plan = planReload(running, &next);
  EXPECT_EQ(plan.changed, (Keys{"access_keys"}));
  EXPECT_EQ(next.accessKeys.front(), "second-access-key-0123456789abcdefghijklmnopqr");
}

TEST(ReloadPlanTest, TurningTlsOnNeedsARestartButNewFilesTakeEffect) {
  ServerSettings running = load(kBase);
  ServerSettings next = load(kBase);
  next.tls.certFile = "/etc/new.pem";
  next.tls.keyFile = "/etc/new.key";
  ReloadPlan plan = planReload(running, &next);
  EXPECT_EQ(plan.restartRequired, (Keys{"tls"}));
  EXPECT_FALSE(next.tls.enabled());

  running.tls.certFile = "/etc/old.pem";
  running.tls.keyFile = "/etc/old.key";
  next.tls.certFile = "/etc/new.pem";
  next.tls.keyFile = "/etc/old.key";
  plan = planReload(running, &next);
  EXPECT_EQ(plan.changed, (Keys{"tls.cert_file"}));
  EXPECT_EQ(next.tls.certFile, "/etc/new.pem");
}

TEST(ReloadPlanTest, UpstreamPoolOptionsNeedARestartTimeoutsDoNot) {
  ServerSettings running = load(kBase);
  ServerSettings next = load(std::string(kBase) +
                             "\n[upstream]\ntimeout_seconds = 7\nmax_connections_per_origin = 3\n"
                             "forward_access_token = false\nretry_delays_ms = [10]\n");
  ReloadPlan plan = planReload(running, &next);
  EXPECT_EQ(plan.changed, (Keys{"upstream.timeout_seconds", "upstream.retry_delays_ms",
                                "upstream.forward_access_token"}));
  EXPECT_EQ(plan.restartRequired, (Keys{"upstream.max_connections_per_origin"}));
  EXPECT_EQ(next.upstream.eventTimeout, 7s);
  EXPECT_EQ(next.upstream.maxConnectionsPerOrigin, running.upstream.maxConnectionsPerOrigin);
  EXPECT_FALSE(next.upstream.forwardAccessToken);
}

}  // namespace
}  // namespace wps::config
