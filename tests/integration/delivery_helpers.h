// Shared helpers of the durable-delivery tests (delivery_*_test.cc): clients that learn their
// connection id, a config file for a webpubsubd child process, and the check of what the fake
// upstream received against the at-least-once and per-connection order rules.
// Used from the test's thread only.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "auth/jwt.h"
#include "common/time.h"
#include "support/fake_upstream.h"
#include "support/test_server.h"
#include "support/ws_client.h"

namespace wps::test::delivery {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls `done` every 20 ms until it holds or `timeout` passes; returns its last value.
inline bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// A fresh directory under the test temp dir (removed first if it exists).
inline std::string freshDir(const std::string& name) {
  std::string dir =
      ::testing::TempDir() + "wps_delivery_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A PubSub (json) client of hub "chat" on 127.0.0.1:port with its connection id (from the
// `connected` system message); null client when the handshake failed.
struct IdentifiedClient {
  std::unique_ptr<WsClient> ws;
  std::string connectionId;
};

inline std::string signedTarget(uint16_t port, const std::string& user) {
  std::string aud = "http://127.0.0.1:" + std::to_string(port) + "/client/hubs/chat";
  std::string payload = auth::buildClientTokenPayload(aud, WallClock::now(),
                                                      std::chrono::seconds(3600), user, {}, {});
  return "/client/hubs/chat?access_token=" + auth::signJwt(payload, kTestKey);
}

inline IdentifiedClient connectClient(uint16_t port, const std::string& user) {
  IdentifiedClient c;
  c.ws = WsClient::connect(port, signedTarget(port, user), {"json.webpubsub.azure.v1"});
  if (!c.ws) return c;
  WsMessage m = c.ws->nextData(10s);
  if (!m.isText()) {
    c.ws.reset();
    return c;
  }
  auto v = boost::json::parse(m.data).as_object();
  if (v.contains("connectionId")) c.connectionId = std::string(v.at("connectionId").as_string());
  return c;
}

// Opens `count` clients (users "<prefix>-<i>"); every one must succeed.
inline std::vector<IdentifiedClient> connectMany(uint16_t port, const std::string& prefix,
                                                 int count) {
  std::vector<IdentifiedClient> out;
  for (int i = 0; i < count; ++i) {
    auto c = connectClient(port, prefix + "-" + std::to_string(i));
    EXPECT_TRUE(c.ws && !c.connectionId.empty()) << "client " << prefix << "-" << i;
    if (!c.ws) break;
    out.push_back(std::move(c));
  }
  return out;
}

// Closes every client with a close frame and waits for the server's answer (so the server has
// queued each `disconnected` before this returns).
inline void closeAll(std::vector<IdentifiedClient>& clients) {
  for (auto& c : clients)
    c.ws->sendClose(1000, "bye");
  for (auto& c : clients)
    c.ws->waitForClose(5s);
  clients.clear();
}

// Passes the handler's abuse-protection validation while the upstream is up (one client
// connects and disconnects, both events delivered) and forgets what the upstream saw. A handler
// whose validation failed is validated again only after the validation backoff (up to 60 s),
// so an outage test that wants to see the outbox's own retry schedule validates first.
inline void warmUp(uint16_t port, FakeUpstream& upstream) {
  std::vector<IdentifiedClient> one;
  one.push_back(connectClient(port, "warm-up"));
  ASSERT_TRUE(one.back().ws);
  closeAll(one);
  ASSERT_TRUE(upstream.waitForDelivered(2, 10s));
  upstream.clear();
}

// The config file of a webpubsubd child: hub "chat" with its `connected` and `disconnected`
// events (no blocking `connect`: clients connect while the upstream is down) at `upstream`,
// a [delivery] section made of `deliveryLines`, and a short drain.
inline std::string writeConfig(const std::string& dir, const FakeUpstream& upstream,
                               const std::string& deliveryLines, int drainSeconds = 2) {
  std::string path = dir + "/webpubsubd.toml";
  std::ofstream out(path);
  out << "access_keys = [\"" << kTestKey << "\"]\n"
      << "workers = 2\nlog_level = \"info\"\n"
      << "\n[upstream]\n"
      << "\n[hubs.chat]\n"
      << "\n[[hubs.chat.event_handlers]]\n"
      << "url_template = \"" << upstream.url("/upstream/{hub}/{event}") << "\"\n"
      << "system_events = [\"connected\", \"disconnected\"]\n"
      << "\n[delivery]\n"
      << deliveryLines << "\n"
      << "\n[shutdown]\ndrain_seconds = " << drainSeconds << "\n";
  return path;
}

// What the upstream received, checked against the delivery rules for `expected` connections
// (each must get one `connected` and one `disconnected`).
struct DeliveryReport {
  size_t connections = 0;
  size_t missingConnected = 0;
  size_t missingDisconnected = 0;
  size_t outOfOrder = 0;      // a disconnected attempt before the connected was answered 2xx
  size_t changedRetries = 0;  // an attempt of an event differing from its first (body, ce-*)
  size_t deliveries = 0;      // 2xx answers to connected/disconnected
  size_t uniqueEvents = 0;    // distinct (connectionId, ce-id) answered 2xx
  size_t unexpected = 0;      // events of connections not in `expected`
  std::map<std::string, std::string> disconnectedCeId;  // connectionId -> ce-id delivered
  std::map<std::string, std::string> disconnectedBody;  // connectionId -> body delivered

  double duplicateRatio() const {
    return uniqueEvents == 0
               ? 0.0
               : static_cast<double>(deliveries - uniqueEvents) / static_cast<double>(uniqueEvents);
  }
};

inline DeliveryReport checkDeliveries(const std::vector<DeliveryAttempt>& attempts,
                                      const std::set<std::string>& expected) {
  DeliveryReport r;
  r.connections = expected.size();
  struct PerConnection {
    bool connectedOk = false;
    bool disconnectedOk = false;
  };
  std::map<std::string, PerConnection> seen;
  std::map<std::pair<std::string, std::string>, const DeliveryAttempt*> first;
  std::set<std::pair<std::string, std::string>> delivered;
  for (const auto& a : attempts) {
    if (!expected.count(a.connectionId)) {
      ++r.unexpected;
      continue;
    }
    auto key = std::make_pair(a.connectionId, a.eventName);
    auto [it, fresh] = first.emplace(key, &a);
    if (!fresh && (it->second->body != a.body || it->second->ceId != a.ceId ||
                   it->second->ceTime != a.ceTime)) {
      ++r.changedRetries;
    }
    PerConnection& pc = seen[a.connectionId];
    if (a.eventName == "disconnected" && !pc.connectedOk) ++r.outOfOrder;
    if (!a.delivered()) continue;
    ++r.deliveries;
    delivered.insert({a.connectionId, a.ceId + "/" + a.eventName});
    if (a.eventName == "connected") pc.connectedOk = true;
    if (a.eventName == "disconnected") {
      pc.disconnectedOk = true;
      r.disconnectedCeId[a.connectionId] = a.ceId;
      r.disconnectedBody[a.connectionId] = a.body;
    }
  }
  r.uniqueEvents = delivered.size();
  for (const auto& id : expected) {
    r.missingConnected += seen[id].connectedOk ? 0 : 1;
    r.missingDisconnected += seen[id].disconnectedOk ? 0 : 1;
  }
  return r;
}

// Asserts the at-least-once, order and duplicate rules of the issue on `r`.
inline void expectComplete(const DeliveryReport& r) {
  EXPECT_EQ(r.missingConnected, 0u) << "of " << r.connections << " connections";
  EXPECT_EQ(r.missingDisconnected, 0u) << "of " << r.connections << " connections";
  EXPECT_EQ(r.outOfOrder, 0u) << "disconnected attempts sent before their connected was answered";
  EXPECT_EQ(r.changedRetries, 0u) << "retries that differ from the first attempt";
  EXPECT_EQ(r.uniqueEvents, 2 * r.connections);
  EXPECT_LE(r.duplicateRatio(), 0.01)
      << r.deliveries << " deliveries of " << r.uniqueEvents << " events";
}

// The `reason` of a disconnected event body ({"reason": "..."}), or "".
inline std::string reasonOf(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("reason")) return {};
  const auto& reason = v.as_object().at("reason");
  return reason.is_string() ? std::string(reason.as_string()) : std::string();
}

}  // namespace wps::test::delivery
