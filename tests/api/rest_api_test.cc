// The REST API's exact statuses, error shapes and validation (rest-api.md), driven directly
// (no sockets) over an engine with one manual loop and sessions on fake transports.
#include "api/rest_api.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <tuple>

#include "api/message_body.h"
#include "auth/jwt.h"
#include "core/session.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"

namespace wps::api {
namespace {

using http::HttpResponse;
using test::FakeTransport;

constexpr const char* kKey = "rest-test-access-key-0123456789abcdefghij";

class RestApiTest : public ::testing::Test {
 protected:
  RestApiTest()
      : settings(makeSettings()), client(loop), engine(settings, {{&loop, &client}}), api(engine) {}

  static config::ServerSettings makeSettings() {
    config::ServerSettings s;
    s.accessKeys = {kKey};
    s.workers = 1;
    return s;
  }

  std::string tokenFor(const std::string& target,
                       std::chrono::seconds lifetime = std::chrono::hours(1),
                       const std::string& key = kKey) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(loop.wallNow().time_since_epoch());
    std::string payload = "{\"aud\":\"http://localhost:8080" + target +
                          "\",\"iat\":" + std::to_string(now.count()) +
                          ",\"exp\":" + std::to_string((now + lifetime).count()) + "}";
    return auth::signJwt(payload, key);
  }

  HttpResponse call(const std::string& method, const std::string& target, std::string body = {},
                    http::HttpHeaders headers = {}, bool authenticate = true) {
    RestRequest r;
    r.method = method;
    r.target = target;
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.host = "localhost:8080";
    if (authenticate) r.headers.push_back({"Authorization", "Bearer " + tokenFor(target)});
    std::optional<HttpResponse> out;
    api.handle(r, [&](HttpResponse res) { out = std::move(res); });
    loop.runPending();
    EXPECT_TRUE(out) << method << " " << target << " did not answer";
    return out.value_or(HttpResponse{});
  }

  std::shared_ptr<core::ClientSession> connect(
      FakeTransport& t, const std::string& id, std::optional<std::string> user,
      protocol::ClientKind kind = protocol::ClientKind::kJson) {
    core::SessionIdentity identity;
    identity.hubKey = "hub";
    identity.connectionId = id;
    identity.userId = std::move(user);
    identity.kind = kind;
    identity.subprotocol = std::string(protocol::subprotocolName(kind));
    auto s = std::make_shared<core::ClientSession>(engine.worker(0), identity);
    s->start(&t);
    t.frames.clear();
    return s;
  }

  static std::string code(const HttpResponse& r) {
    auto h = http::findHeader(r.headers, "x-ms-error-code");
    return h ? std::string(*h) : "";
  }

  test::ManualEventLoop loop;
  config::ServerSettings settings;  // must outlive the engine
  test::FakeUpstreamClient client;
  core::Engine engine;
  RestApi api;
};

TEST_F(RestApiTest, HealthNeedsNoTokenAndUnknownRoutesAre404) {
  EXPECT_EQ(call("HEAD", "/api/health?api-version=2024-12-01", {}, {}, false).status, 200);
  EXPECT_EQ(call("GET", "/api/health", {}, {}, false).status, 200);
  EXPECT_EQ(call("GET", "/api/nothing").status, 404);
  EXPECT_EQ(call("POST", "/api/hubs/hub/groups//:send").status, 404);  // empty segment
}

TEST_F(RestApiTest, HealthIs200WithTheBusStateAndReadyIs503WhileTheBusIsDown) {
  auto& state = engine.metrics().clusterState;
  auto health = call("GET", "/api/health", {}, {}, false);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok","cluster":"single"})");
  EXPECT_EQ(http::findHeader(health.headers, "Content-Type").value_or(""), "application/json");
  EXPECT_EQ(call("GET", "/api/health/ready", {}, {}, false).status, 200);
  state.store(metrics::ClusterState::kConnected);
  EXPECT_EQ(call("GET", "/api/health", {}, {}, false).body,
            R"({"status":"ok","cluster":"connected"})");
  EXPECT_EQ(call("HEAD", "/api/health/ready", {}, {}, false).status, 200);
  // Redis down: the node still serves its clients, so /api/health stays 200; ready says 503.
  state.store(metrics::ClusterState::kDegraded);
  auto degraded = call("GET", "/api/health", {}, {}, false);
  EXPECT_EQ(degraded.status, 200);
  EXPECT_EQ(degraded.body, R"({"status":"ok","cluster":"degraded"})");
  auto notReady = call("GET", "/api/health/ready", {}, {}, false);
  EXPECT_EQ(notReady.status, 503);
  EXPECT_EQ(notReady.body, R"({"status":"unavailable","cluster":"degraded"})");
  EXPECT_EQ(call("POST", "/api/health/ready", {}, {}, false).status, 405);
  EXPECT_EQ(call("GET", "/api/health/other", {}, {}, false).status, 404);
}

TEST_F(RestApiTest, AuthenticationFailuresAre401WithWwwAuthenticate) {
  auto noToken = call("POST", "/api/hubs/hub/:send", "x", {}, false);
  EXPECT_EQ(noToken.status, 401);
  EXPECT_TRUE(http::findHeader(noToken.headers, "WWW-Authenticate"));
  EXPECT_TRUE(noToken.body.empty());
  RestRequest r;
  r.method = "POST";
  r.target = "/api/hubs/hub/:send";
  r.host = "localhost:8080";
  auto check = [&](const std::string& token) {
    r.headers = {{"Authorization", "Bearer " + token}};
    std::optional<HttpResponse> out;
    api.handle(r, [&](HttpResponse res) { out = res; });
    loop.runPending();
    return out->status;
  };
  EXPECT_EQ(check(tokenFor(r.target, std::chrono::hours(-1))), 401);  // expired
  EXPECT_EQ(
      check(tokenFor(r.target, std::chrono::hours(1), "wrong-key-wrong-key-wrong-key-wrong-key")),
      401);
  EXPECT_EQ(check(tokenFor("/api/hubs/other/:send")), 401);  // audience of another path
  EXPECT_EQ(check("garbage"), 401);
  // The audience may carry the query (SDKs) or not (old docs), any case.
  EXPECT_EQ(check(tokenFor("/API/HUBS/HUB/:send?api-version=2024-12-01")), 202);
}

TEST_F(RestApiTest, StrictAudienceHostComparesThePublicEndpointOnly) {
  settings.strictAudienceHost = true;
  // Tokens name http://localhost:8080 and requests carry Host: localhost:8080.
  EXPECT_EQ(call("POST", "/api/hubs/hub/:send", "x").status, 202);
  settings.publicEndpoint = "https://pubsub.example.com";
  // The Host header matches the token, but the server's public identity does not: refused.
  EXPECT_EQ(call("POST", "/api/hubs/hub/:send", "x").status, 401);
  settings.strictAudienceHost = false;
  EXPECT_EQ(call("POST", "/api/hubs/hub/:send", "x").status, 202);
}

TEST_F(RestApiTest, AnEncodedSlashStaysInsideTheAudiencesSegment) {
  FakeTransport t;
  auto s = connect(t, "c1", "a/groups/b");
  // Both decode as a whole to .../users/a/groups/b/groups/c; the router sees two routes.
  const std::string x = "/api/hubs/hub/users/a%2Fgroups%2Fb/groups/c";  // user a/groups/b → c
  const std::string y = "/api/hubs/hub/users/a/groups/b%2Fgroups%2Fc";  // user a → b/groups/c
  auto put = [&](const std::string& target, const std::string& audience) {
    http::HttpHeaders auth = {{"Authorization", "Bearer " + tokenFor(audience)}};
    return call("PUT", target, {}, std::move(auth), false).status;
  };
  EXPECT_EQ(put(y, x), 401);
  EXPECT_EQ(put(x, y), 401);
  EXPECT_FALSE(s->inGroup("c"));
  EXPECT_EQ(put(x, x), 200);
  EXPECT_EQ(put(x, "/api/hubs/hub/users/a%2fgroups%2fb/groups/c"), 200);  // hex case is free
  EXPECT_TRUE(s->inGroup("c"));
  EXPECT_FALSE(s->inGroup("b/groups/c"));
}

TEST_F(RestApiTest, SendStatusesAndValidationOrder) {
  EXPECT_EQ(
      call("POST", "/api/hubs/hub/:send", "\"x\"", {{"Content-Type", "application/json"}}).status,
      202);
  EXPECT_EQ(call("POST", "/api/hubs/hub/connections/missing/:send", "x").status, 202);
  EXPECT_EQ(call("POST", "/api/hubs/hub/users/nobody/:send", "x").status, 202);
  EXPECT_EQ(call("POST", "/api/hubs/hub/groups/none/:send", "x").status, 202);
  auto ttl = call("POST", "/api/hubs/hub/:send?messageTtlSeconds=301", "x");
  EXPECT_EQ(ttl.status, 400);
  EXPECT_EQ(code(ttl), "Error.BadRequest");
  EXPECT_EQ(call("POST", "/api/hubs/hub/:send?messageTtlSeconds=-1", "x").status, 400);
  EXPECT_EQ(call("POST", "/api/hubs/hub/:send?messageTtlSeconds=300", "x").status, 202);
  auto badFilter = call("POST", "/api/hubs/hub/:send?filter=userId%20lt%201", "x");
  EXPECT_EQ(badFilter.status, 400);
  auto body = boost::json::parse(badFilter.body);
  EXPECT_EQ(body.at("code"), "Error.BadRequest");
  EXPECT_EQ(body.at("message"),
            "Invalid syntax for 'userId lt 1': Type 'string', expect 'int'. (Parameter 'filter')");
  // Filter is validated before the content type.
  EXPECT_EQ(
      call("POST", "/api/hubs/hub/:send?filter=bad(", "x", {{"Content-Type", "application/xml"}})
          .status,
      400);
  EXPECT_EQ(call("POST", "/api/hubs/hub/:send", "x", {{"Content-Type", "application/xml"}}).status,
            415);
  auto invalidJson =
      call("POST", "/api/hubs/hub/:send", "{bad", {{"Content-Type", "application/json"}});
  EXPECT_EQ(invalidJson.status, 400);
  EXPECT_EQ(boost::json::parse(invalidJson.body).at("message"),
            "The request body is not a valid JSON.");
  EXPECT_EQ(call("POST", "/api/hubs/1hub/:send", "x").status, 400);
  EXPECT_EQ(
      call("POST", "/api/hubs/hub/:send?api-version=2024-12-01&api-version=2024-12-01", "x").status,
      400);
  EXPECT_EQ(call("POST", "/api/hubs/hub/:send?api-version=garbage", "x").status, 400);
  EXPECT_EQ(call("GET", "/api/hubs/hub/:send").status, 405);
}

TEST_F(RestApiTest, ContentTypesMapToPayloadKinds) {
  auto kind = [](const char* ct, std::string body = "x") {
    http::HttpHeaders h;
    if (ct) h.push_back({"Content-Type", ct});
    return payloadFromBody(h, std::move(body));
  };
  EXPECT_EQ(kind(nullptr)->type, protocol::DataType::kBinary);
  EXPECT_EQ(kind("application/octet-stream")->type, protocol::DataType::kBinary);
  EXPECT_EQ(kind("TEXT/PLAIN; charset=utf-8")->type, protocol::DataType::kText);
  EXPECT_EQ(kind("application/json; charset=UTF-8", "1")->type, protocol::DataType::kJson);
  EXPECT_EQ(kind("text/plain; charset=iso-8859-1", "\xE4")->data, "\xC3\xA4");  // re-encoded
  EXPECT_EQ(kind("text/plain; charset=klingon").status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(kind("text/plain; charset=\"").status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(kind("application/xml").status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(kind("application/json", "{").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(kind("text/plain", "\xff").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RestApiTest, DeliveryFormatsPerClientKind) {
  FakeTransport j, s;
  auto sj = connect(j, "c-json", "u1");
  auto ss = connect(s, "c-simple", "u2", protocol::ClientKind::kSimple);
  call("POST", "/api/hubs/hub/:send", "\"Hello World\"", {{"Content-Type", "application/json"}});
  ASSERT_EQ(j.frames.size(), 1u);
  EXPECT_EQ(boost::json::parse(j.payload(0)),
            boost::json::parse(
                R"({"type":"message","from":"server","dataType":"json","data":"Hello World"})"));
  ASSERT_EQ(s.frames.size(), 1u);
  EXPECT_EQ(s.payload(0), "\"Hello World\"");  // with its quotes
  call("POST", "/api/hubs/hub/groups/g/:send", "x");
  EXPECT_EQ(j.frames.size(), 1u);  // not in the group
  call("PUT", "/api/hubs/hub/groups/g/connections/c-json");
  call("POST", "/api/hubs/hub/groups/g/:send", "hi",
       {{"Content-Type", "text/plain"}, {"X-WebPubSub-Metadata-Trace", "a, b"}});
  ASSERT_EQ(j.frames.size(), 2u);
  auto m = boost::json::parse(j.payload(1));
  EXPECT_EQ(m.at("from"), "group");
  EXPECT_EQ(m.at("group"), "g");
  EXPECT_TRUE(m.at("fromUserId").is_null());
  EXPECT_EQ(m.at("metadata").at("trace"), "b");
}

TEST_F(RestApiTest, ExistsChecksAnd404Codes) {
  FakeTransport t;
  auto s = connect(t, "c1", "alice");
  EXPECT_EQ(call("HEAD", "/api/hubs/hub/connections/c1").status, 200);
  EXPECT_EQ(call("HEAD", "/api/hubs/HUB/connections/c1").status, 200);  // hub case-insensitive
  auto missing = call("HEAD", "/api/hubs/hub/connections/c2");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.body.empty());
  EXPECT_EQ(call("HEAD", "/api/hubs/hub/users/alice").status, 200);
  EXPECT_EQ(code(call("HEAD", "/api/hubs/hub/users/ALICE")),
            "Warning.User.NotExisted");  // ids are case-sensitive
  EXPECT_EQ(code(call("HEAD", "/api/hubs/hub/groups/g")), "Warning.Group.NotExisted");
  auto addMissing = call("PUT", "/api/hubs/hub/groups/g/connections/nope");
  EXPECT_EQ(addMissing.status, 404);
  EXPECT_EQ(code(addMissing), "Error.Connection.NotExisted");
  EXPECT_EQ(boost::json::parse(addMissing.body).at("message"), "Connection `nope` is not found.");
  EXPECT_EQ(code(call("PUT", "/api/hubs/hub/users/bob/groups/g")), "Error.User.NotExisted");
  EXPECT_EQ(call("PUT", "/api/hubs/hub/users/alice/groups/g").status, 200);
  EXPECT_EQ(call("HEAD", "/api/hubs/hub/groups/g").status, 200);
  EXPECT_EQ(call("DELETE", "/api/hubs/hub/users/alice/groups/g").status, 204);
  EXPECT_EQ(call("DELETE", "/api/hubs/hub/users/alice/groups").status, 204);
  EXPECT_EQ(call("DELETE", "/api/hubs/hub/connections/c1/groups").status, 204);
  EXPECT_EQ(call("DELETE", "/api/hubs/hub/groups/g/connections/c1").status, 204);
  EXPECT_EQ(call("DELETE", "/api/hubs/hub/connections/zzz").status, 204);
  EXPECT_EQ(call("POST", "/api/hubs/hub/:closeConnections").status, 204);
  EXPECT_TRUE(t.closed);
}

TEST_F(RestApiTest, AddToGroupRefusesAConnectionAtMaxGroupsPerConnection) {
  settings.limits.maxGroupsPerConnection = 1;
  FakeTransport t;
  auto s = connect(t, "c1", "alice");
  EXPECT_EQ(call("PUT", "/api/hubs/hub/groups/g1/connections/c1").status, 200);
  EXPECT_EQ(call("PUT", "/api/hubs/hub/groups/g1/connections/c1").status, 200);  // a member
  // One connection at the limit: 400 naming the limit.
  auto refused = call("PUT", "/api/hubs/hub/groups/g2/connections/c1");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(code(refused), "Error.BadRequest");
  EXPECT_EQ(refused.body,
            R"({"code":"Error.BadRequest","message":"The connection is already in 1 groups, the )"
            R"(limit (limits.max_groups_per_connection).","target":"connection"})");
  // Documented: user-wide and filter adds skip a connection at the limit and succeed.
  EXPECT_EQ(call("PUT", "/api/hubs/hub/users/alice/groups/g3").status, 200);
  EXPECT_EQ(call("POST", "/api/hubs/hub/:addToGroups", R"({"groups":["g4"]})",
                 {{"Content-Type", "application/json"}})
                .status,
            200);
  EXPECT_EQ(code(call("HEAD", "/api/hubs/hub/groups/g4")), "Warning.Group.NotExisted");
  EXPECT_EQ(call("HEAD", "/api/hubs/hub/groups/g1").status, 200);
  EXPECT_EQ(code(call("HEAD", "/api/hubs/hub/groups/g2")), "Warning.Group.NotExisted");
  EXPECT_EQ(code(call("HEAD", "/api/hubs/hub/groups/g3")), "Warning.Group.NotExisted");
  EXPECT_EQ(s->groups(), std::vector<std::string>{"g1"});
}

TEST_F(RestApiTest, AddToGroupsValidatesItsBody) {
  FakeTransport t;
  auto s = connect(t, "c1", "alice");
  http::HttpHeaders json = {{"Content-Type", "application/json"}};
  EXPECT_EQ(call("POST", "/api/hubs/hub/:addToGroups",
                 R"({"groups":["a","b"],"filter":"userId eq 'alice'"})", json)
                .status,
            200);
  EXPECT_TRUE(s->inGroup("a") && s->inGroup("b"));
  EXPECT_EQ(call("POST", "/api/hubs/hub/:removeFromGroups", R"({"Groups":["a"]})", json).status,
            200);
  EXPECT_FALSE(s->inGroup("a"));
  for (const char* bad :
       {"", "null", "[]", "42", R"({"groups":[]})", R"({"groups":"a"})", R"({"groups":["ok",""]})",
        R"({"groups":["a"],"filter":3})", R"({"groups":["a"],"filter":"true or userId"})"}) {
    EXPECT_EQ(call("POST", "/api/hubs/hub/:addToGroups", bad, json).status, 400) << bad;
  }
  EXPECT_EQ(call("POST", "/api/hubs/hub/:addToGroups", R"({"groups":["a"]})",
                 {{"Content-Type", "text/plain"}})
                .status,
            415);
  EXPECT_EQ(call("POST", "/api/hubs/hub/:addToGroups", R"({"groups":["a"]})").status, 415);
}

TEST_F(RestApiTest, ListConnectionsPagesWithCompleteNextLinks) {
  std::vector<std::unique_ptr<FakeTransport>> ts;
  std::vector<std::shared_ptr<core::ClientSession>> ss;
  for (int i = 0; i < 5; ++i) {
    ts.push_back(std::make_unique<FakeTransport>());
    ss.push_back(
        connect(*ts.back(), "c" + std::to_string(i),
                i == 0 ? std::nullopt : std::optional<std::string>("u" + std::to_string(i))));
    engine.shard(0).join(*ss.back(), "room");
  }
  auto page = call(
      "GET", "/api/hubs/hub/groups/room/connections?api-version=2024-12-01&maxpagesize=2&top=3");
  ASSERT_EQ(page.status, 200);
  auto v = boost::json::parse(page.body);
  ASSERT_EQ(v.at("value").as_array().size(), 2u);
  EXPECT_EQ(v.at("value").at(0).at("connectionId"), "c0");
  EXPECT_FALSE(v.at("value").at(0).as_object().contains("userId"));
  std::string next(v.at("nextLink").as_string());
  EXPECT_EQ(next.rfind("http://localhost:8080/api/hubs/hub/groups/room/connections?", 0), 0u);
  EXPECT_NE(next.find("api-version=2024-12-01"), std::string::npos);
  EXPECT_NE(next.find("maxpagesize=2"), std::string::npos);
  EXPECT_NE(next.find("top=1"), std::string::npos);
  std::string nextTarget = next.substr(std::string("http://localhost:8080").size());
  auto second = boost::json::parse(call("GET", nextTarget).body);
  ASSERT_EQ(second.at("value").as_array().size(), 1u);
  EXPECT_EQ(second.at("value").at(0).at("connectionId"), "c2");
  EXPECT_FALSE(second.as_object().contains("nextLink"));
  EXPECT_EQ(call("GET", "/api/hubs/hub/groups/room/connections?continuationToken=forged").status,
            400);
  EXPECT_EQ(call("GET", "/api/hubs/hub/groups/room/connections?maxpagesize=0").status, 400);
  EXPECT_EQ(call("GET", "/api/hubs/hub/groups/room/connections?maxpagesize=201").status, 400);
  EXPECT_EQ(boost::json::parse(call("GET", "/api/hubs/hub/groups/empty/connections").body),
            boost::json::parse(R"({"value":[]})"));
}

TEST_F(RestApiTest, PermissionsGrantRevokeCheck) {
  FakeTransport t;
  auto s = connect(t, "c1", "alice");
  std::string base = "/api/hubs/hub/permissions/";
  EXPECT_EQ(call("HEAD", base + "sendToGroup/connections/c1?targetName=g").status, 404);
  EXPECT_EQ(call("PUT", base + "SENDTOGROUP/connections/c1?targetName=g").status, 200);
  EXPECT_EQ(call("HEAD", base + "1/connections/c1?targetName=g").status, 200);
  EXPECT_EQ(call("HEAD", base + "sendToGroup/connections/c1?targetName=h").status, 404);
  EXPECT_EQ(call("DELETE", base + "sendToGroup/connections/c1?targetName=g").status, 204);
  EXPECT_EQ(call("HEAD", base + "sendToGroup/connections/c1?targetName=g").status, 404);
  EXPECT_EQ(call("PUT", base + "sendToGroup/connections/c1").status, 400);  // targetName required
  EXPECT_EQ(call("PUT", base + "bogus/connections/c1?targetName=g").status, 400);
  auto missing = call("PUT", base + "joinLeaveGroup/connections/nope?targetName=g");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(code(missing), "Info.Connection.NotExisted");
  EXPECT_EQ(call("DELETE", base + "joinLeaveGroup/connections/nope?targetName=g").status, 204);
}

TEST_F(RestApiTest, GenerateTokenMintsAValidClientToken) {
  auto r = call("POST",
                "/api/hubs/Chat/"
                ":generateToken?userId=u%201&role=webpubsub.sendToGroup.g1&group=g1&group=g%202&"
                "minutesToExpire=5");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(*http::findHeader(r.headers, "Content-Type"), "application/json; charset=utf-8");
  std::string token(boost::json::parse(r.body).at("token").as_string());
  auth::JwtVerifyOptions o;
  o.keys = {kKey};
  o.now = loop.wallNow();
  auto claims = auth::verifyJwt(token, o);
  ASSERT_TRUE(claims) << claims.status().toString();
  EXPECT_EQ(*claims->sub, "u 1");
  EXPECT_EQ(claims->roles, std::vector<std::string>{"webpubsub.sendToGroup.g1"});
  EXPECT_EQ(claims->groups, (std::vector<std::string>{"g1", "g 2"}));
  EXPECT_EQ(claims->audiences, std::vector<std::string>{"http://localhost:8080/client/hubs/Chat"});
  EXPECT_EQ(*claims->exp - *claims->iat, 300);
  EXPECT_EQ(call("POST", "/api/hubs/chat/:generateToken?minutesToExpire=0").status, 400);
  EXPECT_EQ(call("POST", "/api/hubs/chat/:generateToken?group=%20").status, 400);
  EXPECT_EQ(call("POST", "/api/hubs/chat/:generateToken?clientType=bogus").status, 400);
  EXPECT_EQ(call("POST", "/api/hubs/chat/:generateToken?clientType=mqtt").status, 501);
  EXPECT_EQ(call("POST", "/api/hubs/chat/:generateToken?clientType=Default").status, 200);
}

// Found by rest_route_fuzz: a userId, role or group that is not UTF-8 was minted into a token (200)
// that never verifies.
TEST_F(RestApiTest, GenerateTokenRejectsClaimsThatAreNotUtf8) {
  EXPECT_EQ(call("POST", "/api/hubs/chat/:generateToken?userId=%FF").status, 400);
  EXPECT_EQ(call("POST", "/api/hubs/chat/:generateToken?role=a%C3").status, 400);
  EXPECT_EQ(call("POST", "/api/hubs/chat/:generateToken?group=g%FF").status, 400);
  EXPECT_EQ(call("POST", "/api/hubs/chat/:generateToken?userId=%C3%A9&role=%E2%82%AC").status, 200);
}

// Found by token_verify_fuzz: claims long enough to make the token larger than the verifier's limit
// (auth::kMaxJwtSize) gave 200 with a token that is always rejected.
TEST_F(RestApiTest, GenerateTokenRefusesATokenTooLargeToVerify) {
  std::string target = "/api/hubs/chat/:generateToken?userId=u";
  for (int i = 0; i < 400; ++i)
    target += "&group=group-with-a-fairly-long-name-" + std::to_string(i);
  auto r = call("POST", target);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "Error.BadRequest");
  EXPECT_EQ(call("POST", "/api/hubs/chat/:generateToken?group=a&group=b").status, 200);
}

// A cluster that cannot answer: every operation with an answer fails with `code`.
class FailingBroker : public core::Broker {
 public:
  explicit FailingBroker(StatusCode code) : failure_(code, "2 cluster node(s) did not answer.") {}
  void publish(const std::string&, const core::Target&, core::OutboundMessagePtr) override {
    ++published;
  }
  void closeConnections(const std::string&, const core::Target&, std::string, EventLoop& reply,
                        StatusDone done) override {
    reply.post([done, s = failure_] { done(s); });
  }
  void addToGroups(const std::string&, const core::Target&, std::vector<std::string>,
                   EventLoop& reply, AddDone done) override {
    fail(reply, std::move(done));
  }
  void removeFromGroups(const std::string&, const core::Target&, std::vector<std::string>,
                        EventLoop& reply, CountDone done) override {
    fail(reply, std::move(done));
  }
  void leaveAllGroups(const std::string&, const core::Target&, EventLoop& reply,
                      CountDone done) override {
    fail(reply, std::move(done));
  }
  void count(const std::string&, const core::Target&, EventLoop& reply, CountDone done) override {
    fail(reply, std::move(done));
  }
  void permission(const std::string&, const std::string&, core::PermissionOp, auth::Permission,
                  std::string, EventLoop& reply, PermissionDone done) override {
    fail(reply, std::move(done));
  }
  void listGroup(const std::string&, const std::string&, EventLoop& reply,
                 MembersDone done) override {
    fail(reply, std::move(done));
  }

  int published = 0;

 private:
  template <class Done>
  void fail(EventLoop& reply, Done done) {
    reply.post([done, s = failure_] { done(s); });
  }
  Status failure_;
};

TEST_F(RestApiTest, ClusterTimeoutsAndAnUnavailableBusAre503) {
  for (StatusCode failure : {StatusCode::kDeadlineExceeded, StatusCode::kUnavailable}) {
    auto broker = std::make_unique<FailingBroker>(failure);
    FailingBroker* fake = broker.get();
    engine.setBroker(std::move(broker));
    http::HttpHeaders json = {{"Content-Type", "application/json"}};
    std::string perm = "/api/hubs/hub/permissions/sendToGroup/connections/c1?targetName=g";
    std::vector<std::tuple<std::string, std::string, std::string>> operations = {
        {"HEAD", "/api/hubs/hub/groups/g", ""},
        {"GET", "/api/hubs/hub/groups/g/connections", ""},
        {"HEAD", "/api/hubs/hub/users/alice", ""},
        {"GET", "/api/hubs/hub/connections/c1", ""},
        {"PUT", "/api/hubs/hub/users/alice/groups/g", ""},
        {"DELETE", "/api/hubs/hub/users/alice/groups/g", ""},
        {"DELETE", "/api/hubs/hub/users/alice/groups", ""},
        {"PUT", "/api/hubs/hub/groups/g/connections/c1", ""},
        {"DELETE", "/api/hubs/hub/groups/g/connections/c1", ""},
        {"DELETE", "/api/hubs/hub/connections/c1/groups", ""},
        {"DELETE", "/api/hubs/hub/connections/c1", ""},
        {"POST", "/api/hubs/hub/:closeConnections", ""},
        {"POST", "/api/hubs/hub/groups/g/:closeConnections", ""},
        {"POST", "/api/hubs/hub/:addToGroups", R"({"groups":["g"]})"},
        {"POST", "/api/hubs/hub/:removeFromGroups", R"({"groups":["g"]})"},
        {"PUT", perm, ""},
        {"DELETE", perm, ""},
        {"HEAD", perm, ""},
    };
    for (const auto& [method, target, body] : operations) {
      auto r = call(method, target, body, json);
      EXPECT_EQ(r.status, 503) << method << " " << target;
      EXPECT_EQ(code(r), "Error.ServiceUnavailable") << method << " " << target;
      auto error = boost::json::parse(r.body);
      EXPECT_EQ(error.at("code"), "Error.ServiceUnavailable");
      EXPECT_EQ(error.at("message"), "2 cluster node(s) did not answer.");
      EXPECT_FALSE(error.as_object().contains("target"));
    }
    // Sends are fire-and-forget: accepted whatever the cluster does.
    EXPECT_EQ(call("POST", "/api/hubs/hub/groups/g/:send", "x").status, 202);
    EXPECT_EQ(fake->published, 1);
  }
}

TEST_F(RestApiTest, OtherBrokerFailuresAre500) {
  engine.setBroker(std::make_unique<FailingBroker>(StatusCode::kInternal));
  auto r = call("HEAD", "/api/hubs/hub/groups/g");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(code(r), "Error.InternalServerError");
}

TEST_F(RestApiTest, RouteTableKeepsNotFoundMethodAndParameterAnswers) {
  auto body = [](const HttpResponse& r) { return boost::json::parse(r.body); };
  auto unknown = call("GET", "/api/hubs/hub/nothing/here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, R"({"code":"Error.NotFound","message":"No such API."})");
  EXPECT_EQ(code(unknown), "Error.NotFound");
  EXPECT_EQ(call("GET", "/api/hubs/hub").body, unknown.body);  // too short
  EXPECT_EQ(call("GET", "/api/other/hub/x").body, unknown.body);
  EXPECT_EQ(call("GET", "/api/hubs/hub/:sendx").body, unknown.body);
  auto wrongMethod = call("PATCH", "/api/hubs/hub/connections/c1");
  EXPECT_EQ(wrongMethod.status, 405);
  EXPECT_EQ(wrongMethod.body,
            R"({"code":"Error.MethodNotAllowed","message":"This method is not allowed here."})");
  EXPECT_EQ(call("POST", "/api/health", {}, {}, false).body,
            R"({"code":"Error.MethodNotAllowed","message":"Use GET or HEAD."})");
  // The method is checked before the path parameters here...
  EXPECT_EQ(call("PUT", "/api/hubs/hub/users/%20/:send").status, 405);
  EXPECT_EQ(call("POST", "/api/hubs/hub/groups/%20").status, 405);
  EXPECT_EQ(call("PATCH", "/api/hubs/hub/permissions/bogus/connections/c1").status, 405);
  // ... and after them for membership of one user or connection.
  auto badUser = call("POST", "/api/hubs/hub/users/%20/groups/g");
  EXPECT_EQ(badUser.status, 400);
  EXPECT_EQ(body(badUser).at("target"), "user");
  EXPECT_EQ(body(call("POST", "/api/hubs/hub/users/u/groups/%20")).at("target"), "group");
  EXPECT_EQ(call("POST", "/api/hubs/hub/users/u/groups/g").status, 405);
  EXPECT_EQ(call("HEAD", "/api/hubs/hub/groups/%20/connections/c1").status, 400);
  EXPECT_EQ(call("HEAD", "/api/hubs/hub/groups/g/connections/c1").status, 405);
  // Path parameters come before the required query parameter.
  std::string perm = "/api/hubs/hub/permissions/";
  auto bogus = call("PUT", perm + "bogus/connections/c1");
  EXPECT_EQ(body(bogus).at("target"), "permission");
  auto noTarget = call("PUT", perm + "joinLeaveGroup/connections/c1");
  EXPECT_EQ(noTarget.status, 400);
  EXPECT_EQ(body(noTarget).at("message"), "targetName must be a valid group name.");
  EXPECT_EQ(body(noTarget).at("target"), "targetName");
  EXPECT_EQ(call("PUT", perm + "joinLeaveGroup/connections/c1?targetName=%20").status, 400);
}

}  // namespace
}  // namespace wps::api
