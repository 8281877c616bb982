// The `connect` event and the client handshake against a scripted event handler
// (upstream-cloudevents.md §3, §4, §9.1; client-protocols.md §1.3, §2).
#include <regex>

#include "cloudevents/signature.h"
#include "integration/fixture.h"
#include "support/http_request.h"

namespace wps::test {
namespace {

using boost::json::value;

TEST_F(UpstreamTest, ConnectCarriesEveryCloudEventsHeaderAndTheSpecBody) {
  TokenSpec t;
  t.userId = "alice";
  t.roles = {"webpubsub.joinLeaveGroup"};
  auto client = server->connect("Chat", t, {}, "&foo=bar&foo=baz");  // hub case differs
  ASSERT_TRUE(client);
  ASSERT_TRUE(upstream.waitForEvent("connect"));
  auto r = upstream.requestsFor("connect").at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/upstream/chat/connect");  // {hub} lower-cased
  std::string id = r.header("ce-connectionId");
  ASSERT_EQ(id.size(), 22u);
  EXPECT_TRUE(std::regex_match(id, std::regex("[A-Za-z0-9_-]+")));
  EXPECT_EQ(r.header("ce-specversion"), "1.0");
  EXPECT_EQ(r.header("ce-awpsversion"), "1.0");
  EXPECT_EQ(r.header("ce-type"), "azure.webpubsub.sys.connect");
  EXPECT_EQ(r.header("ce-source"), "/hubs/chat/client/" + id);
  EXPECT_EQ(r.header("ce-id"), "0");
  EXPECT_TRUE(
      std::regex_match(r.header("ce-time"), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_EQ(r.header("ce-signature"), cloudevents::computeSignature({kTestKey, kTestKey2}, id));
  EXPECT_EQ(r.header("ce-userId"), "alice");
  EXPECT_EQ(r.header("ce-hub"), "chat");
  EXPECT_EQ(r.header("ce-eventName"), "connect");
  EXPECT_FALSE(r.hasHeader("ce-subprotocol"));
  EXPECT_FALSE(r.hasHeader("ce-connectionState"));
  EXPECT_EQ(r.header("WebHook-Request-Origin"), "127.0.0.1");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_FALSE(r.hasHeader("Authorization"));

  value body = json(r.body);
  EXPECT_EQ(body.at("claims").at("sub"), value({"alice"}));
  EXPECT_EQ(body.at("claims").at("role"), value({"webpubsub.joinLeaveGroup"}));
  EXPECT_TRUE(body.at("claims").at("exp").as_array().at(0).is_string());
  EXPECT_EQ(body.at("query").at("foo"), value({"bar", "baz"}));
  EXPECT_EQ(body.at("query").at("access_token").as_array().size(), 1u);
  EXPECT_TRUE(body.at("headers").as_object().contains("Upgrade"));
  EXPECT_FALSE(body.at("headers").as_object().contains("Authorization"));
  EXPECT_EQ(body.at("subprotocols"), value(boost::json::array{}));
  EXPECT_EQ(body.at("clientCertificates"), value(boost::json::array{}));
}

TEST_F(UpstreamTest, ValidationProbePrecedesTheFirstEventAndIsCached) {
  auto a = simpleClient();
  ASSERT_TRUE(a);
  auto b = simpleClient("bob");
  ASSERT_TRUE(b);
  auto all = upstream.requests();
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all[0].method, "OPTIONS");
  EXPECT_EQ(all[0].target, "/upstream/chat/validate");
  EXPECT_EQ(all[0].header("WebHook-Request-Origin"), "127.0.0.1");
  EXPECT_EQ(all[0].header("ce-awpsversion"), "1.0");
  EXPECT_EQ(all[0].header("ce-hub"), "chat");
  EXPECT_FALSE(all[0].hasHeader("ce-signature"));
  size_t probes = 0;
  for (auto& r : all)
    probes += r.method == "OPTIONS";
  EXPECT_EQ(probes, 1u);
}

TEST_F(UpstreamTest, FailedValidationRefusesTheConnectionWithoutPosting) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.method == "OPTIONS") return Reply::status(200);  // no WebHook-Allowed-Origin
    return Reply::status(200);
  });
  HandshakeOutcome out;
  TokenSpec t;
  t.userId = "alice";
  EXPECT_FALSE(server->connect("chat", t, {}, "", &out));
  EXPECT_EQ(out.status, 500);
  EXPECT_TRUE(upstream.requestsFor("connect").empty());
}

TEST_F(UpstreamTest, ValidationAcceptsOriginListsWithPortsAndFallsBackToGet) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.method == "OPTIONS") return Reply::status(404);
    if (r.method == "GET") {
      Reply ok = Reply::status(200);
      ok.response.headers.push_back(
          {"WebHook-Allowed-Origin", "other.example.com, 127.0.0.1:8080"});
      return ok;
    }
    return Reply::status(204);
  });
  auto c = simpleClient();
  ASSERT_TRUE(c);
  bool sawGet = false;
  for (auto& r : upstream.requests())
    sawGet = sawGet || (r.method == "GET" && r.event() == "validate");
  EXPECT_TRUE(sawGet);
}

TEST_F(UpstreamTest, RejectionStatusesReachTheClientAndNoDisconnectedFollows) {
  for (int status : {400, 401, 403, 429}) {
    upstream.setHandler([status](const RecordedRequest& r) {
      if (r.event() == "connect") return Reply::status(status);
      return FakeUpstream::defaultReply(r);
    });
    HandshakeOutcome out;
    EXPECT_FALSE(server->connect("chat", TokenSpec{}, {}, "", &out));
    EXPECT_EQ(out.status, status);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(upstream.requestsFor("disconnected").empty());
  EXPECT_TRUE(upstream.requestsFor("connected").empty());
}

TEST_F(UpstreamTest, ServerErrorsAreRetriedWithTheSameCeIdThenPassedThrough) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() == "connect") return Reply::status(503);
    return FakeUpstream::defaultReply(r);
  });
  HandshakeOutcome out;
  EXPECT_FALSE(server->connect("chat", TokenSpec{}, {}, "", &out));
  EXPECT_EQ(out.status, 503);
  auto attempts = upstream.requestsFor("connect");
  ASSERT_EQ(attempts.size(), 4u);  // first attempt + 3 retries
  for (auto& a : attempts) {
    EXPECT_EQ(a.header("ce-id"), attempts[0].header("ce-id"));
    EXPECT_EQ(a.header("ce-connectionId"), attempts[0].header("ce-connectionId"));
    EXPECT_EQ(a.body, attempts[0].body);
  }
}

TEST_F(UpstreamTest, TooManyRequestsIsNotRetried) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() == "connect") return Reply::status(429);
    return FakeUpstream::defaultReply(r);
  });
  HandshakeOutcome out;
  EXPECT_FALSE(server->connect("chat", TokenSpec{}, {}, "", &out));
  EXPECT_EQ(out.status, 429);
  EXPECT_EQ(upstream.requestsFor("connect").size(), 1u);
}

TEST_F(UpstreamTest, ConnectAnswerOverridesIdentityAndSetsState) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() == "connect") {
      Reply ok = Reply::text(
          R"({"UserId":"bob","groups":["g1"],"roles":["webpubsub.sendToGroup.g1"],"subprotocol":null})",
          "application/json");
      ok.response.headers.push_back({"ce-connectionState", "eyJrIjoidiJ9"});
      return ok;
    }
    return FakeUpstream::defaultReply(r);
  });
  TokenSpec t;
  t.userId = "alice";
  boost::json::object connected;
  auto c = jsonClient(t, &connected);
  ASSERT_TRUE(c);
  EXPECT_EQ(connected.at("userId"), "bob");
  ASSERT_TRUE(upstream.waitForEvent("connected"));
  auto ev = upstream.requestsFor("connected").at(0);
  EXPECT_EQ(ev.header("ce-userId"), "bob");
  EXPECT_EQ(ev.header("ce-connectionState"), "eyJrIjoidiJ9");
  EXPECT_EQ(ev.header("ce-subprotocol"), "json.webpubsub.azure.v1");
  EXPECT_EQ(ev.header("ce-type"), "azure.webpubsub.sys.connected");
  EXPECT_EQ(ev.header("ce-eventName"), "connected");
  EXPECT_EQ(ev.body, "{}");
  // The connection joined g1 (from the answer) and may send to it (role from the answer).
  c->sendText(R"({"type":"sendToGroup","group":"g1","dataType":"text","data":"hi","ackId":1})");
  auto m1 = json(c->nextData().data);
  EXPECT_EQ(m1.at("type"), "message");
  EXPECT_EQ(m1.at("group"), "g1");
  EXPECT_EQ(m1.at("fromUserId"), "bob");
  auto ack = json(c->nextData().data);
  EXPECT_EQ(ack.at("success"), true);
  // Roles were replaced: sending to another group is forbidden.
  c->sendText(R"({"type":"sendToGroup","group":"g2","dataType":"text","data":"x","ackId":2})");
  auto denied = json(c->nextData().data);
  EXPECT_EQ(denied.at("success"), false);
  EXPECT_EQ(denied.at("error").at("name"), "Forbidden");
}

TEST_F(UpstreamTest, EmptyAndNullAndNoContentAnswersAcceptWithTokenIdentity) {
  for (int variant = 0; variant < 3; ++variant) {
    upstream.setHandler([variant](const RecordedRequest& r) {
      if (r.event() == "connect") {
        if (variant == 0) return Reply::status(204);
        if (variant == 1) return Reply::status(200);
        return Reply::text("null", "application/json");
      }
      return FakeUpstream::defaultReply(r);
    });
    TokenSpec t;
    t.userId = "carol";
    boost::json::object connected;
    auto c = jsonClient(t, &connected);
    ASSERT_TRUE(c) << "variant " << variant;
    EXPECT_EQ(connected.at("userId"), "carol");
  }
}

TEST_F(UpstreamTest, EmptyUserIdInTheAnswerMeansNoUser) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() == "connect") return Reply::text(R"({"userId":""})", "application/json");
    return FakeUpstream::defaultReply(r);
  });
  TokenSpec t;
  t.userId = "dave";
  boost::json::object connected;
  auto c = jsonClient(t, &connected);
  ASSERT_TRUE(c);
  EXPECT_TRUE(connected.at("userId").is_null());
  ASSERT_TRUE(upstream.waitForEvent("connected"));
  EXPECT_FALSE(upstream.requestsFor("connected").at(0).hasHeader("ce-userId"));
}

TEST_F(UpstreamTest, InvalidConnectAnswersGive500) {
  const char* bodies[] = {"{not json",
                          "[1,2]",
                          R"({"userId":5})",
                          R"({"groups":["ok",""]})",
                          R"({"roles":"webpubsub.sendToGroup"})",
                          R"({"subprotocol":"json.webpubsub.azure.v1"})"};
  for (const char* b : bodies) {
    upstream.setHandler([b](const RecordedRequest& r) {
      if (r.event() == "connect") return Reply::text(b, "application/json");
      return FakeUpstream::defaultReply(r);
    });
    HandshakeOutcome out;
    EXPECT_FALSE(server->connect("chat", TokenSpec{}, {}, "", &out)) << b;
    EXPECT_EQ(out.status, 500) << b;
  }
}

TEST_F(UpstreamTest, SubprotocolSelection) {
  // No subprotocol in the answer: the first Web PubSub name offered is selected.
  HandshakeOutcome out;
  auto c = WsClient::connect(
      port(), server->clientTarget("chat"),
      {"custom.v1", "json.reliable.webpubsub.azure.v1", "json.webpubsub.azure.v1"}, &out);
  ASSERT_TRUE(c);
  EXPECT_EQ(out.subprotocol, "json.reliable.webpubsub.azure.v1");
  // Only custom names offered, nobody picks one: 400.
  EXPECT_FALSE(WsClient::connect(port(), server->clientTarget("chat"), {"custom.v1"}, &out));
  EXPECT_EQ(out.status, 400);
  // The handler picks a custom subprotocol: a simple client with that protocol.
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() == "connect")
      return Reply::text(R"({"subprotocol":"custom.v1"})", "application/json");
    if (r.event() == "message") return Reply::text("pong");
    return FakeUpstream::defaultReply(r);
  });
  auto raw = WsClient::connect(port(), server->clientTarget("chat"), {"Custom.V1"}, &out);
  ASSERT_TRUE(raw);
  EXPECT_EQ(out.subprotocol, "Custom.V1");  // the client's spelling is echoed
  raw->sendText("ping");
  EXPECT_EQ(raw->nextData().data, "pong");
  auto msg = upstream.requestsFor("message").at(0);
  EXPECT_EQ(msg.header("ce-subprotocol"), "Custom.V1");
}

TEST_F(UpstreamTest, UnreachableUpstreamGives500AndTheServerKeepsServing) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() == "connect") return Reply{Reply::Action::kCloseConnection, {}, {}};
    return FakeUpstream::defaultReply(r);
  });
  HandshakeOutcome out;
  EXPECT_FALSE(server->connect("chat", TokenSpec{}, {}, "", &out));
  EXPECT_EQ(out.status, 500);
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() == "connect") return Reply{Reply::Action::kGarbage, {}, {}};
    return FakeUpstream::defaultReply(r);
  });
  EXPECT_FALSE(server->connect("chat", TokenSpec{}, {}, "", &out));
  EXPECT_EQ(out.status, 500);
  upstream.setHandler(&FakeUpstream::defaultReply);
  EXPECT_TRUE(simpleClient());
}

TEST_F(UpstreamTest, ConnectTimeoutGives500) {
  server.reset();
  auto s = TestServer::defaultSettings();
  s.hubs["chat"] = TestServer::hubWithHandler(upstream.url("/upstream/{hub}/{event}"));
  s.hubs["chat"].eventHandlers[0].timeout = std::chrono::seconds(1);
  server = std::make_unique<TestServer>(std::move(s));
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() == "connect") return Reply{Reply::Action::kHang, {}, {}};
    return FakeUpstream::defaultReply(r);
  });
  auto start = std::chrono::steady_clock::now();
  HandshakeOutcome out;
  EXPECT_FALSE(server->connect("chat", TokenSpec{}, {}, "", &out));
  EXPECT_EQ(out.status, 500);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// --- Tokens and handshake checks (client-protocols.md §1.3, §2.3) ----------------------------

class HandshakeTest : public UpstreamTest {};

TEST_F(HandshakeTest, TokensAreValidated) {
  HandshakeOutcome out;
  auto status = [&](const std::string& target) {
    auto c = WsClient::connect(port(), target, {}, &out);
    return c ? 101 : out.status;
  };
  EXPECT_EQ(status("/client/hubs/chat"), 401);                       // missing
  EXPECT_EQ(status("/client/hubs/chat?access_token=garbage"), 401);  // garbage
  TokenSpec expired;
  expired.lifetime = std::chrono::seconds(-600);  // beyond the 5 minute skew
  EXPECT_EQ(status(server->clientTarget("chat", expired)), 401);
  TokenSpec withinSkew;
  withinSkew.lifetime = std::chrono::seconds(-60);
  EXPECT_EQ(status(server->clientTarget("chat", withinSkew)), 101);
  TokenSpec wrongKey;
  wrongKey.key = "another-key-that-is-long-enough-0123456789";
  EXPECT_EQ(status(server->clientTarget("chat", wrongKey)), 401);
  TokenSpec secondary;
  secondary.key = kTestKey2;
  EXPECT_EQ(status(server->clientTarget("chat", secondary)), 101);
  TokenSpec otherHub;
  otherHub.audience = "http://127.0.0.1/client/hubs/other";
  EXPECT_EQ(status(server->clientTarget("chat", otherHub)), 401);
  TokenSpec wss;
  wss.audience = "wss://pubsub.example.com/client/hubs/CHAT";  // scheme and host not compared
  EXPECT_EQ(status(server->clientTarget("chat", wss)), 101);
  // Authorization: Bearer instead of the query.
  auto c = WsClient::connect(port(), "/client/hubs/chat", {}, &out,
                             {{"Authorization", "Bearer " + server->token()}});
  EXPECT_TRUE(c);
  // The /client?hub= form.
  EXPECT_EQ(status("/client?hub=chat&access_token=" + server->token()), 101);
}

TEST_F(HandshakeTest, BadRequestsAreRefusedWith400) {
  HandshakeOutcome out;
  auto status = [&](const std::string& target) {
    auto c = WsClient::connect(port(), target, {}, &out);
    return c ? 101 : out.status;
  };
  EXPECT_EQ(status("/client/hubs/1bad?access_token=" + server->token()), 400);
  TokenSpec badGroup;
  badGroup.groups = {"   "};
  EXPECT_EQ(status(server->clientTarget("chat", badGroup)), 400);
  EXPECT_EQ(status(server->clientTarget("chat", {}, "&webpubsub_mode=bogus")), 400);
  EXPECT_EQ(status(server->clientTarget("chat", {}, "&webpubsub_mode=sendToGroup")), 400);
  EXPECT_EQ(
      status(server->clientTarget("chat", {}, "&webpubsub_mode=sendToGroup&group=g&noEcho=maybe")),
      400);
  EXPECT_EQ(status(server->clientTarget("chat", {}, "&webpubsub_mode=SENDEVENT")), 101);
  EXPECT_EQ(status(server->clientTarget("chat", {}, "&webpubsub_mode=")), 101);
  // Not a WebSocket upgrade at all.
  auto plain = httpRequest(port(), "GET", "/client/hubs/chat?access_token=" + server->token());
  EXPECT_EQ(plain.status, 400);
}

TEST_F(HandshakeTest, AnonymousConnectFollowsThePolicy) {
  server.reset();
  auto s = TestServer::defaultSettings();
  s.hubs["open"].allowAnonymous = true;
  server = std::make_unique<TestServer>(std::move(s));
  HandshakeOutcome out;
  EXPECT_TRUE(WsClient::connect(port(), "/client/hubs/open", {}, &out));
  EXPECT_FALSE(WsClient::connect(port(), "/client/hubs/closed", {}, &out));
  EXPECT_EQ(out.status, 401);
}

TEST_F(HandshakeTest, NoConnectHandlerAcceptsWithTheTokenIdentity) {
  server.reset();
  auto s = TestServer::defaultSettings();
  s.hubs["chat"] =
      TestServer::hubWithHandler(upstream.url("/upstream/{hub}/{event}"), "*", {"connected"});
  server = std::make_unique<TestServer>(std::move(s));
  TokenSpec t;
  t.userId = "erin";
  boost::json::object connected;
  auto c = jsonClient(t, &connected);
  ASSERT_TRUE(c);
  EXPECT_EQ(connected.at("userId"), "erin");
  ASSERT_TRUE(upstream.waitForEvent("connected"));
  EXPECT_TRUE(upstream.requestsFor("connect").empty());
}

}  // namespace
}  // namespace wps::test
