// HandshakeService decisions with fakes (manual loop, scripted upstream): every rejection's
// status, body and metric, the identity a new connection gets, the connect event and its
// outcomes, and recovery requests.
#include "core/handshake.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/jwt.h"
#include "core/connection_directory.h"
#include "core/engine.h"
#include "core/reconnection_tokens.h"
#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"
#include "metrics/metrics.h"

namespace wps::core {
namespace {

using namespace std::chrono_literals;
using test::FakeUpstreamClient;
using test::ManualEventLoop;
using Kind = HandshakeResult::Kind;

constexpr std::string_view kKey = "unit-test-access-key-0123456789abcdefghij";
constexpr std::string_view kHost = "localhost:8080";
constexpr std::string_view kJson = "json.webpubsub.azure.v1";
constexpr std::string_view kReliableJson = "json.reliable.webpubsub.azure.v1";

// Hub "chat" has no connect handler; hub "events" has one.
config::ServerSettings testSettings() {
  config::ServerSettings s;
  s.accessKeys = {std::string(kKey)};
  s.workers = 1;
  s.hubs["chat"] = config::HubSettings{};
  config::HubSettings events;
  config::EventHandlerSettings h{
      *cloudevents::UrlTemplate::parse("http://up/{event}"), {}, {}, {}, {}};
  h.systemEvents = {"connect"};
  events.eventHandlers.push_back(std::move(h));
  s.hubs["events"] = std::move(events);
  return s;
}

class HandshakeTest : public ::testing::Test {
 protected:
  HandshakeTest()
      : settings(testSettings()),
        client(loop),
        engine(settings, {{&loop, &client}}),
        service(engine.worker(0)) {}

  std::string token(const std::string& hub, std::optional<std::string> user = "alice",
                    std::vector<std::string> roles = {}, std::vector<std::string> groups = {}) {
    std::string aud = "http://" + std::string(kHost) + "/client/hubs/" + hub;
    return auth::signJwt(
        auth::buildClientTokenPayload(aud, loop.wallNow(), 1h, user, roles, groups), kKey);
  }

  HandshakeRequest request(const std::string& hub, upstream::MultiMap query,
                           std::vector<std::string> subprotocols = {std::string(kJson)}) {
    HandshakeRequest r;
    r.hub = hub;
    r.query = std::move(query);
    r.subprotocols = std::move(subprotocols);
    r.host = std::string(kHost);
    r.headers = {{"Host", std::string(kHost)}, {"X-Custom", "a"}, {"x-custom", "b"}};
    return r;
  }

  // Runs a handshake that needs no upstream call.
  HandshakeResult decide(HandshakeRequest r) {
    std::optional<HandshakeResult> out;
    auto pending = service.handle(std::move(r), [&](HandshakeResult res) { out = std::move(res); });
    EXPECT_FALSE(pending);
    EXPECT_TRUE(out);
    return out ? std::move(*out) : HandshakeResult{};
  }

  // Starts a handshake with a connect event, answers the validation probe and returns the index
  // of the connect request.
  size_t startConnect(HandshakeRequest r) {
    handle = service.handle(std::move(r), [&](HandshakeResult res) { result = std::move(res); });
    EXPECT_TRUE(handle);
    loop.runPending();
    for (size_t i = 0; i < client.count(); ++i) {
      if (client.request(i).method == "OPTIONS") {
        client.respond(i, 200, {{"WebHook-Allowed-Origin", "*"}});
      }
    }
    loop.runPending();
    EXPECT_GE(client.count(), 1u);
    size_t last = client.count() - 1;
    EXPECT_EQ(client.request(last).method, "POST");
    return last;
  }

  uint64_t rejected() {
    uint64_t sum = 0;
    for (uint64_t n : engine.metrics().totals().handshakesRejected)
      sum += n;
    return sum;
  }
  uint64_t rejected(metrics::Refusal reason) {
    return engine.metrics().totals().handshakesRejected[static_cast<size_t>(reason)];
  }
  uint64_t upstreamFailures() { return engine.metrics().totals().upstreamFailures; }

  ManualEventLoop loop;
  config::ServerSettings settings;
  FakeUpstreamClient client;
  Engine engine;
  HandshakeService service;
  std::unique_ptr<upstream::RequestHandle> handle;
  std::optional<HandshakeResult> result;
};

void expectReject(const HandshakeResult& r, int status, std::string_view body) {
  EXPECT_EQ(r.kind, Kind::kReject);
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.body, body);
  EXPECT_FALSE(r.session);
}

TEST_F(HandshakeTest, RejectionsCarryTheirStatusAndBodyAndAreCounted) {
  std::string t = token("chat");
  expectReject(decide(request("1bad", {{"access_token", {t}}})), 400, "Invalid hub name.");
  expectReject(decide(request("chat", {})), 401, "An access token is required.");
  auto garbage = decide(request("chat", {{"access_token", {"garbage"}}}));
  EXPECT_EQ(garbage.status, 401);
  EXPECT_TRUE(garbage.body.starts_with("Invalid access token: ")) << garbage.body;
  expectReject(decide(request("chat", {{"access_token", {token("chat", "u", {}, {"ok", ""})}}})),
               400, "The token's webpubsub.group claim holds an invalid group name.");
  expectReject(decide(request("chat", {{"access_token", {t}}, {"webpubsub_mode", {"bogus"}}})), 400,
               "webpubsub_mode must be sendEvent or sendToGroup.");
  expectReject(
      decide(request("chat", {{"access_token", {t}}, {"webpubsub_mode", {"sendToGroup"}}})), 400,
      "webpubsub_mode=sendToGroup needs a valid group parameter.");
  expectReject(decide(request("chat", {{"access_token", {t}},
                                       {"webpubsub_mode", {"sendToGroup"}},
                                       {"group", {"g"}},
                                       {"noEcho", {"maybe"}}})),
               400, "noEcho must be true or false.");
  expectReject(decide(request("chat", {{"access_token", {t}}}, {"custom", "other"})), 400,
               "None of the offered subprotocols is supported.");
  EXPECT_EQ(rejected(), 8u);
  EXPECT_EQ(rejected(metrics::Refusal::kUnauthorized), 2u);
  EXPECT_EQ(rejected(metrics::Refusal::kInvalidRequest), 6u);
  EXPECT_EQ(upstreamFailures(), 0u);
}

TEST_F(HandshakeTest, AnEmptyAccessTokenParameterHidesTheAuthorizationHeader) {
  auto r = request("chat", {{"access_token", {""}}});
  r.headers.push_back({"Authorization", "Bearer " + token("chat")});
  expectReject(decide(std::move(r)), 401, "An access token is required.");
  auto bearer = request("chat", {});
  bearer.headers.push_back({"authorization", "bearer  " + token("chat", "bob") + " "});
  auto accepted = decide(std::move(bearer));
  ASSERT_EQ(accepted.kind, Kind::kAccept);
  EXPECT_EQ(accepted.session->userId(), "bob");
}

TEST_F(HandshakeTest, WithoutAConnectHandlerTheTokenGivesTheIdentity) {
  auto r =
      decide(request("Chat",
                     {{"access_token", {token("chat", "alice", {"webpubsub.sendToGroup"}, {"g1"})}},
                      {"webpubsub_mode", {"SendToGroup"}},
                      {"group", {"x", "g2"}},
                      {"noEcho", {"TRUE"}}},
                     {"custom", std::string(kReliableJson), std::string(kJson)}));
  ASSERT_EQ(r.kind, Kind::kAccept);
  EXPECT_EQ(r.subprotocol, kReliableJson);  // the first Web PubSub one offered
  ASSERT_TRUE(r.session);
  EXPECT_EQ(r.session->hubKey(), "chat");
  EXPECT_EQ(r.session->userId(), "alice");
  EXPECT_EQ(r.session->kind(), protocol::ClientKind::kJsonReliable);
  EXPECT_EQ(r.session->connectionId().size(), 22u);
  EXPECT_TRUE(r.session->permissions().allows(auth::Permission::kSendToGroup, "any"));
  // No subprotocol offered at all: a simple client, with anonymous access where allowed.
  settings.hubs["chat"].allowAnonymous = true;
  auto simple = decide(request("chat", {{"webpubsub_mode", {""}}}, {}));
  ASSERT_EQ(simple.kind, Kind::kAccept);
  EXPECT_EQ(simple.subprotocol, "");
  EXPECT_EQ(simple.session->kind(), protocol::ClientKind::kSimple);
  EXPECT_EQ(simple.session->userId(), std::nullopt);
  EXPECT_EQ(rejected(), 0u);
}

TEST_F(HandshakeTest, TheConnectEventCarriesTheRequestAndItsAnswerOverridesTheIdentity) {
  size_t i = startConnect(request("events",
                                  {{"access_token", {token("events", "alice")}}, {"q", {"1", "2"}}},
                                  {"custom", std::string(kJson)}));
  const auto& sent = client.request(i);
  EXPECT_TRUE(sent.url.ends_with("/connect")) << sent.url;
  auto body = boost::json::parse(sent.body).as_object();
  EXPECT_EQ(body.at("query").at("q"), boost::json::parse(R"(["1","2"])"));
  EXPECT_TRUE(body.at("query").as_object().contains("access_token"));  // forwarded by default
  EXPECT_EQ(body.at("headers").at("X-Custom"), boost::json::parse(R"(["a","b"])"));
  EXPECT_EQ(body.at("subprotocols"), boost::json::parse(R"(["custom","json.webpubsub.azure.v1"])"));
  EXPECT_FALSE(result);
  client.respond(i, 200, {{"Content-Type", "application/json"}},
                 R"({"userId":"bob","roles":["webpubsub.joinLeaveGroup"],"subprotocol":"CUSTOM"})");
  loop.runPending();
  ASSERT_TRUE(result);
  ASSERT_EQ(result->kind, Kind::kAccept);
  EXPECT_EQ(result->subprotocol, "custom");  // the handler's choice, in the client's spelling
  EXPECT_EQ(result->session->userId(), "bob");
  EXPECT_EQ(result->session->kind(), protocol::ClientKind::kSimple);
  EXPECT_TRUE(result->session->permissions().allows(auth::Permission::kJoinLeaveGroup, "g"));
  EXPECT_EQ(rejected(), 0u);
}

TEST_F(HandshakeTest, ConnectEventFailuresRejectTheHandshake) {
  struct Case {
    int status;
    std::string body;
    int expectedStatus;
    std::string expectedBody;
    uint64_t failures;  // upstreamFailures added
  };
  std::vector<Case> cases = {
      {403, "", 403, "The connection was rejected by the event handler.", 1},
      {200, "[1]", 500, "The event handler's connect answer is invalid.", 1},
      {200, R"({"subprotocol":"other"})", 500,
       "The event handler selected a subprotocol the client did not offer.", 0},
  };
  uint64_t failures = 0;
  uint64_t rejections = 0;
  for (const auto& c : cases) {
    result.reset();
    size_t i = startConnect(request("events", {{"access_token", {token("events")}}}));
    client.respond(i, c.status, {{"Content-Type", "application/json"}}, c.body);
    loop.runPending();
    ASSERT_TRUE(result) << c.body;
    expectReject(*result, c.expectedStatus, c.expectedBody);
    failures += c.failures;
    EXPECT_EQ(upstreamFailures(), failures) << c.body;
    EXPECT_EQ(rejected(), ++rejections) << c.body;
  }
  // Transport errors (after the retries): 500.
  result.reset();
  startConnect(request("events", {{"access_token", {token("events")}}}));
  for (int round = 0; round < 10 && !result; ++round) {
    for (size_t i = 0; i < client.count(); ++i)
      client.fail(i, StatusCode::kUnavailable);
    loop.runPending();
    loop.advance(1h);
  }
  ASSERT_TRUE(result);
  expectReject(*result, 500, "The event handler could not be reached.");
  EXPECT_EQ(upstreamFailures(), failures + 1);
  EXPECT_EQ(rejected(), rejections + 1);
  // The handler's 403 denied; an invalid answer, a bad subprotocol choice and no answer failed.
  EXPECT_EQ(rejected(metrics::Refusal::kUpstreamDenied), 1u);
  EXPECT_EQ(rejected(metrics::Refusal::kUpstreamFailed), 3u);
}

TEST_F(HandshakeTest, RecoveryNeedsAKnownReliableSessionItsTokenAndItsSubprotocol) {
  const std::string id = "recoverable-connection";
  ASSERT_TRUE(engine.directory().insert(id, {"chat", 0, std::string(kReliableJson), true}));
  std::string good = engine.worker(0).tokens.issue(id, loop.wallNow());
  auto recovery = [&](std::string connectionId, std::string reconnectionToken,
                      std::vector<std::string> offers) {
    return decide(request(
        "chat",
        {{"awps_connection_id", {connectionId}}, {"awps_reconnection_token", {reconnectionToken}}},
        std::move(offers)));
  };
  auto ok = recovery(id, good, {"custom", "JSON.reliable.webpubsub.azure.v1"});
  EXPECT_EQ(ok.kind, Kind::kRecover);
  EXPECT_EQ(ok.subprotocol, "JSON.reliable.webpubsub.azure.v1");
  EXPECT_EQ(ok.connectionId, id);
  EXPECT_EQ(ok.worker, 0u);
  auto failed = [&](const HandshakeResult& r, std::string_view subprotocol) {
    EXPECT_EQ(r.kind, Kind::kRecoveryFailed);
    EXPECT_EQ(r.subprotocol, subprotocol);
    EXPECT_FALSE(r.session);
  };
  failed(recovery(id, "bad-token", {std::string(kReliableJson)}), kReliableJson);
  failed(recovery("unknown", good, {std::string(kReliableJson)}), kReliableJson);
  failed(recovery(id, good, {"custom", std::string(kJson)}), kJson);  // not the session's
  failed(recovery(id, good, {"custom"}), "");
  EXPECT_EQ(rejected(), 0u);  // recovery failures are not handshake rejections
}

}  // namespace
}  // namespace wps::core
