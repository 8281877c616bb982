// The HTTP front door's limits and RFC checks, seen through a raw socket: the WebSocket upgrade's
// request-line and Host checks (RFC 6455 §4.2.1), oversized request heads (431) and targets
// (414), and the cap on query parameters.
#include <string>

#include "fixture.h"
#include "support/raw_http.h"
#include "support/ws_client.h"

namespace wps::test {
namespace {

// A WebSocket upgrade request for `target` with the given request-line version and headers.
std::string upgradeRequest(const std::string& target, const std::string& version = "HTTP/1.1",
                           const std::string& host = "Host: 127.0.0.1\r\n") {
  return "GET " + target + " " + version + "\r\n" + host +
         "Upgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

class HttpLimitsTest : public UpstreamTest {};

TEST_F(HttpLimitsTest, UpgradeOverHttp10IsRefused400) {
  RawAnswer a = rawExchange(port(), upgradeRequest(server->clientTarget("chat"), "HTTP/1.0"));
  EXPECT_EQ(a.status, 400) << a.text;
  EXPECT_NE(a.text.find("HTTP/1.1 or higher"), std::string::npos) << a.text;
}

TEST_F(HttpLimitsTest, UpgradeWithoutHostIsRefused400) {
  RawAnswer a = rawExchange(port(), upgradeRequest(server->clientTarget("chat"), "HTTP/1.1", ""));
  EXPECT_EQ(a.status, 400) << a.text;
  EXPECT_NE(a.text.find("Host header"), std::string::npos) << a.text;
}

TEST_F(HttpLimitsTest, NormalRawUpgradeStillSwitchesProtocols) {
  // The server keeps the WebSocket open: read only the head.
  RawAnswer a = rawExchange(port(), upgradeRequest(server->clientTarget("chat")), true);
  EXPECT_EQ(a.status, 101) << a.text;
}

// A REST-style GET with `extraHeaders` (each ending in CRLF), Connection: close.
std::string getRequest(const std::string& target, const std::string& extraHeaders = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders +
         "Connection: close\r\n\r\n";
}

TEST_F(HttpLimitsTest, RequestHeadOverTheLimitIsAnswered431) {
  std::string big = "X-Filler: " + std::string(100 * 1024, 'a') + "\r\n";
  RawAnswer a = rawExchange(port(), getRequest("/api/health", big));
  EXPECT_EQ(a.status, 431) << a.text.substr(0, 200);
  EXPECT_NE(a.text.find("header fields are too large"), std::string::npos);
}

TEST_F(HttpLimitsTest, RequestTargetOverTheLimitIsAnswered414) {
  RawAnswer a = rawExchange(port(), getRequest("/api/health?x=" + std::string(100 * 1024, 'a')));
  EXPECT_EQ(a.status, 414) << a.text.substr(0, 200);
  EXPECT_NE(a.text.find("target is too long"), std::string::npos);
}

TEST_F(HttpLimitsTest, RequestHeadJustUnderTheLimitIsServed) {
  std::string head = getRequest("/api/health", "X-Filler: \r\n");
  std::string filler(64 * 1024 - head.size() - 16, 'a');
  std::string req = getRequest("/api/health", "X-Filler: " + filler + "\r\n");
  ASSERT_LT(req.size(), 64u * 1024);
  RawAnswer a = rawExchange(port(), req);
  EXPECT_EQ(a.status, 200) << a.text.substr(0, 200);
}

// The same limits on the two endpoints an attacker reaches first: the client WebSocket upgrade
// (before its token is looked at) and a REST send (before authentication).
std::string restSendRequest(const std::string& target, const std::string& extraHeaders = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders +
         "Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";
}

TEST_F(HttpLimitsTest, HundredKilobyteHeadOnTheClientEndpointIs431AndTargetIs414) {
  const std::string filler(100 * 1024, 'a');
  std::string upgrade = upgradeRequest(server->clientTarget("chat"));
  upgrade.insert(upgrade.size() - 2, "X-Filler: " + filler + "\r\n");
  RawAnswer head = rawExchange(port(), upgrade);
  EXPECT_EQ(head.status, 431) << head.text.substr(0, 200);
  EXPECT_NE(head.text.find("header fields are too large"), std::string::npos);

  RawAnswer line =
      rawExchange(port(), upgradeRequest(server->clientTarget("chat", {}, "&x=" + filler)));
  EXPECT_EQ(line.status, 414) << line.text.substr(0, 200);
  EXPECT_NE(line.text.find("target is too long"), std::string::npos);
}

TEST_F(HttpLimitsTest, HundredKilobyteHeadOnRestIs431AndTargetIs414) {
  const std::string filler(100 * 1024, 'a');
  const std::string send = "/api/hubs/chat/:send?api-version=2024-01-01";
  RawAnswer head = rawExchange(port(), restSendRequest(send, "X-Filler: " + filler + "\r\n"));
  EXPECT_EQ(head.status, 431) << head.text.substr(0, 200);
  EXPECT_NE(head.text.find("header fields are too large"), std::string::npos);
  // A 100 KB bearer token is a 100 KB header too.
  head = rawExchange(port(), restSendRequest(send, "Authorization: Bearer " + filler + "\r\n"));
  EXPECT_EQ(head.status, 431) << head.text.substr(0, 200);

  RawAnswer line = rawExchange(port(), restSendRequest(send + "&x=" + filler));
  EXPECT_EQ(line.status, 414) << line.text.substr(0, 200);
  EXPECT_NE(line.text.find("target is too long"), std::string::npos);
  // The server still serves a normal request afterwards.
  EXPECT_EQ(rawExchange(port(), getRequest("/api/health")).status, 200);
}

class SmallHeadLimitTest : public UpstreamTest {
  void configure(config::ServerSettings& s) override { s.limits.maxRequestHeadBytes = 2048; }
};

TEST_F(SmallHeadLimitTest, TheLimitIsTheSetting) {
  std::string filler = "X-Filler: " + std::string(3000, 'a') + "\r\n";
  EXPECT_EQ(rawExchange(port(), getRequest("/api/health", filler)).status, 431);
  filler = "X-Filler: " + std::string(1500, 'a') + "\r\n";
  EXPECT_EQ(rawExchange(port(), getRequest("/api/health", filler)).status, 200);
}

// "&p0=v&p1=v…" with `n` parameters.
std::string manyParameters(int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += "&p" + std::to_string(i) + "=v";
  return out;
}

TEST_F(HttpLimitsTest, HandshakeWithMoreThan100QueryParametersIsRefused400) {
  // access_token is the first parameter: 1 + 100 = 101.
  HandshakeOutcome out;
  auto c =
      WsClient::connect(port(), server->clientTarget("chat", {}, manyParameters(100)), {}, &out);
  EXPECT_FALSE(c);
  EXPECT_EQ(out.status, 400);
  EXPECT_NE(out.body.find("Too many query parameters"), std::string::npos) << out.body;
}

TEST_F(HttpLimitsTest, HandshakeWith100QueryParametersIsAccepted) {
  HandshakeOutcome out;
  TokenSpec t;
  t.userId = "alice";
  auto c = WsClient::connect(port(), server->clientTarget("chat", t, manyParameters(99)), {}, &out);
  EXPECT_TRUE(c) << out.status << " " << out.body;
}

TEST_F(HttpLimitsTest, RestWithMoreThan100QueryParametersIsRefused400) {
  RawAnswer a = rawExchange(port(), getRequest("/api/health?" + manyParameters(101).substr(1)));
  EXPECT_EQ(a.status, 400) << a.text;
  EXPECT_NE(a.text.find("at most 100"), std::string::npos) << a.text;
  a = rawExchange(port(), getRequest("/api/health?" + manyParameters(100).substr(1)));
  EXPECT_EQ(a.status, 200) << a.text.substr(0, 200);
}

}  // namespace
}  // namespace wps::test
