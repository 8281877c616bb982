// Unit tests of the SDK's upstream core (include/webpubsub/upstream.h) against request vectors
// written from upstream-cloudevents.md. No server code, no network.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <optional>
#include <thread>

#include "webpubsub/upstream.h"

namespace webpubsub::upstream {
namespace {

namespace json = boost::json;

constexpr const char* kKey = "7aab239577fd4f24bc919802fb629f5f";
constexpr const char* kSecondKey = "a5f2815d0d0c4b00bd27e832432f91ab";
constexpr const char* kConnId = "0f9c97a2f0bf4706afe87a14e0797b11";
constexpr const char* kSig =
    "sha256=7767effcb3946f3e1de039df4b986ef02c110b1469d02c0a06f41b3b727ab561";
constexpr const char* kSig2 =
    "sha256=d4aefb65547a00a9881fa8ac8bd03d0faf77af9da5205d45c6e57cbda4377760";

// §9.1.1 of the spec, verbatim.
constexpr const char* kConnectBody =
    R"({"claims":{"sub":["ddd"],"role":["webpubsub.joinLeaveGroup"],"iat":["1714557600"],)"
    R"("exp":["1714561200"],"aud":["https://pubsub.example.com/client/hubs/chat"]},)"
    R"("query":{"access_token":["<the client JWT>"],"foo":["bar"]},)"
    R"("headers":{"Host":["pubsub.example.com"],"Upgrade":["websocket"],)"
    R"("Connection":["Upgrade"],"Sec-WebSocket-Version":["13"],)"
    R"("Sec-WebSocket-Protocol":["json.webpubsub.azure.v1"]},)"
    R"("subprotocols":["json.webpubsub.azure.v1"],"clientCertificates":[]})";

HttpRequest event(std::string type, std::string eventName, std::string body = "",
                  std::string contentType = "application/json") {
  HttpRequest r;
  r.method = "POST";
  r.target = "/api/webpubsub/hubs/chat/" + eventName;
  r.headers = {{"Host", "app.example.com"},
               {"WebHook-Request-Origin", "pubsub.example.com"},
               {"Content-Type", contentType},
               {"ce-specversion", "1.0"},
               {"ce-awpsversion", "1.0"},
               {"ce-type", type},
               {"ce-source", std::string("/hubs/chat/client/") + kConnId},
               {"ce-id", "0"},
               {"ce-time", "2024-05-01T10:00:00Z"},
               {"ce-signature", kSig},
               {"ce-userId", "ddd"},
               {"ce-connectionId", kConnId},
               {"ce-hub", "chat"},
               {"ce-eventName", eventName}};
  r.body = std::move(body);
  return r;
}

HttpRequest connectRequest() {
  return event("azure.webpubsub.sys.connect", "connect", kConnectBody);
}

HttpRequest userEvent(std::string name, std::string body, std::string contentType) {
  auto r = event("azure.webpubsub.user." + name, name, std::move(body), std::move(contentType));
  r.headers.emplace_back("ce-subprotocol", "json.webpubsub.azure.v1");
  return r;
}

void setHeader(HttpRequest& r, const std::string& name, std::optional<std::string> value) {
  std::erase_if(r.headers, [&](const Header& h) { return h.first == name; });
  if (value) r.headers.emplace_back(name, *value);
}

// Runs `handler` on `request`; the answer when respond was called synchronously.
struct Outcome {
  bool handled = false;
  int calls = 0;
  std::optional<HttpResponse> response;
};
Outcome run(const EventHandler& handler, HttpRequest request) {
  auto out = std::make_shared<Outcome>();
  out->handled = handler.handle(std::move(request), [out](HttpResponse r) {
    ++out->calls;
    out->response = std::move(r);
  });
  return *out;
}

std::string headerValue(const HttpResponse& r, std::string_view name) {
  auto v = r.header(name);
  return v ? std::string(*v) : std::string("<absent>");
}

// ---------------------------------------------------------------------------------------------
// Signatures (§5)

TEST(UpstreamSignature, SpecVectorIsAccepted) {
  auto parsed = parseEvent(connectRequest(), ParseOptions{{kKey}, {}});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(std::get<ConnectRequest>(*parsed).context.signature, kSig);
}

TEST(UpstreamSignature, WrongKeyIsRejectedWith401) {
  auto parsed = parseEvent(connectRequest(), ParseOptions{{"another-key-0123456789abcdef"}, {}});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().status, 401);
  EXPECT_EQ(parsed.error().code, "SignatureInvalid");
  EXPECT_EQ(parsed.error().message, "Signature validation failed.");
}

TEST(UpstreamSignature, Base64DecodedKeyIsWrong) {
  // The key is used as its UTF-8 bytes; a signature made with the base64-decoded key fails.
  auto r = connectRequest();
  setHeader(r, "ce-signature",
            "sha256=8fb66e8e0000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(parseEvent(r, ParseOptions{{kKey}, {}}).error().status, 401);
}

TEST(UpstreamSignature, AnyItemAndAnyKeyMatch) {
  auto r = connectRequest();
  setHeader(r, "ce-signature", std::string(kSig) + "," + kSig2);
  // Only the secondary key is configured: the second item matches.
  EXPECT_TRUE(parseEvent(r, ParseOptions{{kSecondKey}, {}}).ok());
  // Several keys, one of them right.
  setHeader(r, "ce-signature", kSig2);
  EXPECT_TRUE(
      parseEvent(r, ParseOptions{{"nope-nope-nope-nope-nope-nope-nope", kSecondKey}, {}}).ok());
  // Items on separate header lines count too; upper-case hex is accepted.
  setHeader(r, "ce-signature", "sha256=00");
  std::string upper = kSig;
  for (size_t i = 7; i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  r.headers.emplace_back("ce-signature", upper);
  EXPECT_TRUE(parseEvent(r, ParseOptions{{kKey}, {}}).ok());
}

TEST(UpstreamSignature, MissingSignatureFailsOnlyWhenKeysAreConfigured) {
  auto r = connectRequest();
  setHeader(r, "ce-signature", std::nullopt);
  EXPECT_EQ(parseEvent(r, ParseOptions{{kKey}, {}}).error().status, 401);
  EXPECT_TRUE(parseEvent(r).ok());
}

TEST(UpstreamSignature, EventHandlerAnswers401) {
  EventHandler h({"chat", {"some-other-key-0123456789abcdefgh"}, {}}, {});
  auto out = run(h, connectRequest());
  ASSERT_TRUE(out.response);
  EXPECT_EQ(out.response->status, 401);
  EXPECT_EQ(out.response->body, "Signature validation failed.");
}

// ---------------------------------------------------------------------------------------------
// Which requests are ours; abuse protection (§4)

TEST(UpstreamRouting, RequestsWithoutAwpsVersionAreNotHandled) {
  EventHandler h({"chat", {}, {}}, {});
  auto r = connectRequest();
  setHeader(r, "ce-awpsversion", std::nullopt);
  EXPECT_FALSE(isWebPubSubRequest(r));
  auto out = run(h, r);
  EXPECT_FALSE(out.handled);
  EXPECT_EQ(out.calls, 0);
}

TEST(UpstreamRouting, OtherHubsAreNotHandledAndHubCaseIsIgnored) {
  EventHandler other({"lobby", {}, {}}, {});
  EXPECT_FALSE(run(other, connectRequest()).handled);
  EventHandler chat({"Chat", {}, {}}, {});
  EXPECT_TRUE(run(chat, connectRequest()).handled);
  EventHandler any({"", {}, {}}, {});
  EXPECT_TRUE(run(any, connectRequest()).handled);
  auto mismatch = parseEvent(connectRequest(), ParseOptions{{}, "lobby"});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, "HubMismatch");
}

HttpRequest probe(std::string method = "OPTIONS") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = "/api/webpubsub/hubs/chat/validate";
  r.headers = {{"WebHook-Request-Origin", "pubsub.example.com"},
               {"ce-awpsversion", "1.0"},
               {"ce-hub", "chat"}};
  return r;
}

TEST(UpstreamAbuseProtection, AnyOriginByDefault) {
  EventHandler h({"chat", {}, {}}, {});
  auto out = run(h, probe());
  ASSERT_TRUE(out.handled);
  EXPECT_EQ(out.response->status, 200);
  EXPECT_EQ(headerValue(*out.response, "WebHook-Allowed-Origin"), "*");
  // The service's GET fallback is answered the same way.
  EXPECT_EQ(run(h, probe("GET")).response->status, 200);
}

TEST(UpstreamAbuseProtection, AllowedListIsEnforced) {
  ValidationOptions opts{{"https://PubSub.example.com", "localhost:8080"}};
  auto ok = answerValidation(probe(), opts);
  EXPECT_EQ(ok.status, 200);
  std::vector<std::string> lines;
  for (const auto& [n, v] : ok.headers) {
    if (n == "WebHook-Allowed-Origin") lines.push_back(v);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"pubsub.example.com", "localhost:8080"}));

  auto local = probe();
  setHeader(local, "WebHook-Request-Origin", "localhost");  // the origin never has a port
  EXPECT_EQ(answerValidation(local, opts).status, 200);

  auto evil = probe();
  setHeader(evil, "WebHook-Request-Origin", "evil.example.com");
  auto denied = answerValidation(evil, opts);
  EXPECT_EQ(denied.status, 400);
  EXPECT_EQ(denied.body, "Abuse Protection validation failed.");
  EXPECT_FALSE(denied.header("WebHook-Allowed-Origin"));
}

TEST(UpstreamAbuseProtection, MissingOriginIs400) {
  auto r = probe();
  setHeader(r, "WebHook-Request-Origin", std::nullopt);
  auto out = answerValidation(r);
  EXPECT_EQ(out.status, 400);
  EXPECT_EQ(out.body, "Missing WebHook-Request-Origin header.");
}

TEST(UpstreamAbuseProtection, ProbeWithoutAwpsVersionIsNotOurs) {
  auto r = probe();
  setHeader(r, "ce-awpsversion", std::nullopt);
  EXPECT_FALSE(isValidationRequest(r));
  EventHandler h({"chat", {}, {}}, {});
  EXPECT_FALSE(run(h, r).handled);
}

// ---------------------------------------------------------------------------------------------
// connect (§9.1)

TEST(UpstreamConnect, SpecVectorParsesEveryField) {
  auto parsed = parseEvent(connectRequest(), ParseOptions{{kKey}, "chat"});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const auto& c = std::get<ConnectRequest>(*parsed);
  EXPECT_EQ(c.context.hub, "chat");
  EXPECT_EQ(c.context.connectionId, kConnId);
  EXPECT_EQ(c.context.eventName, "connect");
  EXPECT_EQ(c.context.eventType, "azure.webpubsub.sys.connect");
  EXPECT_EQ(c.context.userId, "ddd");
  EXPECT_EQ(c.context.subprotocol, std::nullopt);
  EXPECT_EQ(c.context.origin, "pubsub.example.com");
  EXPECT_EQ(c.context.id, "0");
  EXPECT_EQ(c.context.time, "2024-05-01T10:00:00Z");
  EXPECT_TRUE(c.context.states.empty());
  EXPECT_EQ(c.claims.at("sub"), std::vector<std::string>{"ddd"});
  EXPECT_EQ(c.claims.at("iat"), std::vector<std::string>{"1714557600"});
  EXPECT_EQ(c.claims.at("role"), std::vector<std::string>{"webpubsub.joinLeaveGroup"});
  EXPECT_EQ(c.query.at("foo"), std::vector<std::string>{"bar"});
  EXPECT_EQ(c.queryValue("access_token"), "<the client JWT>");
  EXPECT_EQ(c.queryValue("missing"), std::nullopt);
  EXPECT_EQ(c.headers.at("Sec-WebSocket-Protocol"),
            std::vector<std::string>{"json.webpubsub.azure.v1"});
  EXPECT_EQ(c.subprotocols, std::vector<std::string>{"json.webpubsub.azure.v1"});
  EXPECT_TRUE(c.clientCertificates.empty());
}

TEST(UpstreamConnect, ClientCertificatesAndLenientScalars) {
  auto r = event("azure.webpubsub.sys.connect", "connect",
                 R"({"claims":{"exp":1714561200,"name":"x","nil":null},)"
                 R"("clientCertificates":[{"thumbprint":"AB12","content":"-----BEGIN"}]})");
  auto parsed = parseEvent(r);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const auto& c = std::get<ConnectRequest>(*parsed);
  EXPECT_EQ(c.claims.at("exp"), std::vector<std::string>{"1714561200"});
  EXPECT_EQ(c.claims.at("name"), std::vector<std::string>{"x"});
  EXPECT_TRUE(c.claims.at("nil").empty());
  EXPECT_TRUE(c.query.empty());
  EXPECT_TRUE(c.subprotocols.empty());
  ASSERT_EQ(c.clientCertificates.size(), 1u);
  EXPECT_EQ(c.clientCertificates[0].thumbprint, "AB12");
  EXPECT_EQ(c.clientCertificates[0].content, "-----BEGIN");
}

TEST(UpstreamConnect, MalformedBodiesAreClearErrors) {
  struct Case {
    const char* body;
    const char* messagePart;
  };
  for (const Case& c : {Case{"", "not valid JSON"}, Case{"{\"claims\":", "not valid JSON"},
                        Case{"[1,2]", "not a JSON object"},
                        Case{R"({"claims":["a"]})", "'claims' must be an object"},
                        Case{R"({"query":{"a":[{"x":1}]}})", "'query' must be an object"},
                        Case{R"({"headers":7})", "'headers' must be an object"},
                        Case{R"({"subprotocols":"json"})", "'subprotocols' must be an array"},
                        Case{R"({"subprotocols":[1]})", "'subprotocols' must be an array"},
                        Case{R"({"clientCertificates":{}})", "'clientCertificates' must be"}}) {
    auto parsed = parseEvent(event("azure.webpubsub.sys.connect", "connect", c.body));
    ASSERT_FALSE(parsed.ok()) << c.body;
    EXPECT_EQ(parsed.error().status, 400) << c.body;
    EXPECT_EQ(parsed.error().code, "InvalidBody") << c.body;
    EXPECT_NE(parsed.error().message.find(c.messagePart), std::string::npos)
        << c.body << " -> " << parsed.error().message;
  }
}

TEST(UpstreamConnect, ApproveResponses) {
  auto empty = approveConnect();
  EXPECT_EQ(empty.status, 204);
  EXPECT_TRUE(empty.body.empty());

  ConnectResponse full;
  full.userId = "alice";
  full.groups = std::vector<std::string>{"g1", "g2"};
  full.roles = std::vector<std::string>{};
  full.subprotocol = "json.webpubsub.azure.v1";
  auto r = approveConnect(full);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(headerValue(r, "Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"userId":"alice","groups":["g1","g2"],"roles":[],)"
                                             R"("subprotocol":"json.webpubsub.azure.v1"})"));

  ConnectResponse onlyUser;
  onlyUser.userId = "";
  EXPECT_EQ(approveConnect(onlyUser).body, R"({"userId":""})");
}

TEST(UpstreamConnect, DenyResponses) {
  auto r = denyConnect(403, "not you");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "not you");
  EXPECT_EQ(headerValue(r, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(denyConnect(200).status, 500);  // a "denial" must be a failure status
  EXPECT_EQ(denyConnect(302).status, 500);
  EXPECT_TRUE(denyConnect(401).body.empty());
}

TEST(UpstreamConnect, HandlerApprovesWithStateAndIdentity) {
  EventHandler h({"chat", {kKey}, {}},
                 Handlers{.onConnect = [](ConnectRequest req, ConnectResponder res) {
                   res.setState("nick", json::value(req.queryValue("foo").value_or("")));
                   res.setState("n", json::value(1));
                   ConnectResponse a;
                   a.userId = "u-" + req.context.userId.value_or("");
                   res.approve(a);
                 }});
  auto out = run(h, connectRequest());
  ASSERT_EQ(out.calls, 1);
  EXPECT_EQ(out.response->status, 200);
  EXPECT_EQ(out.response->body, R"({"userId":"u-ddd"})");
  auto state = decodeConnectionState(headerValue(*out.response, "ce-connectionState"));
  ASSERT_TRUE(state);
  EXPECT_EQ(json::value(*state), json::parse(R"({"nick":"bar","n":1})"));
}

TEST(UpstreamConnect, NoCallbackApprovesWith204) {
  EventHandler h({"chat", {}, {}}, {});
  auto out = run(h, connectRequest());
  EXPECT_EQ(out.response->status, 204);
  EXPECT_FALSE(out.response->header("ce-connectionState"));
}

TEST(UpstreamConnect, DenyCarriesNoState) {
  EventHandler h({"chat", {}, {}}, Handlers{.onConnect = [](ConnectRequest, ConnectResponder r) {
                   r.setState("x", json::value(1));
                   EXPECT_TRUE(r.deny(401, "who are you"));
                   EXPECT_FALSE(r.approve());  // one answer only
                   EXPECT_TRUE(r.answered());
                 }});
  auto out = run(h, connectRequest());
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(out.response->status, 401);
  EXPECT_EQ(out.response->body, "who are you");
  EXPECT_FALSE(out.response->header("ce-connectionState"));
}

TEST(UpstreamConnect, AsynchronousAnswerFromAnotherThread) {
  std::optional<ConnectResponder> kept;
  EventHandler h({"chat", {}, {}}, Handlers{.onConnect = [&](ConnectRequest, ConnectResponder r) {
                   kept.emplace(std::move(r));
                 }});
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto status = std::make_shared<std::atomic<int>>(0);
  ASSERT_TRUE(h.handle(connectRequest(), [calls, status](HttpResponse r) {
    ++*calls;
    *status = r.status;
  }));
  EXPECT_EQ(calls->load(), 0);  // not answered yet
  std::thread t([&] { kept->approve(); });
  t.join();
  EXPECT_EQ(calls->load(), 1);
  EXPECT_EQ(status->load(), 204);
  kept.reset();  // destroying an answered responder sends nothing more
  EXPECT_EQ(calls->load(), 1);
}

TEST(UpstreamConnect, UnansweredResponderAnswers500) {
  EventHandler h({"chat", {}, {}}, Handlers{.onConnect = [](ConnectRequest, ConnectResponder) {}});
  auto out = run(h, connectRequest());
  ASSERT_EQ(out.calls, 1);
  EXPECT_EQ(out.response->status, 500);
  EXPECT_EQ(out.response->body, "The event handler did not answer.");
}

TEST(UpstreamConnect, ThrowingCallbackAnswers500) {
  EventHandler h({"chat", {}, {}}, Handlers{.onConnect = [](ConnectRequest, ConnectResponder) {
                   throw std::runtime_error("boom");
                 }});
  auto out = run(h, connectRequest());
  ASSERT_EQ(out.calls, 1);
  EXPECT_EQ(out.response->status, 500);
}

// ---------------------------------------------------------------------------------------------
// connected / disconnected (§9.2, §9.3)

TEST(UpstreamLifecycle, ConnectedCarriesSubprotocolAndState) {
  std::optional<ConnectedRequest> seen;
  EventHandler h({"chat", {kKey}, {}},
                 Handlers{.onConnected = [&](ConnectedRequest r) { seen = std::move(r); }});
  auto r = event("azure.webpubsub.sys.connected", "connected", "{}");
  r.headers.emplace_back("ce-subprotocol", "json.reliable.webpubsub.azure.v1");
  r.headers.emplace_back("ce-connectionState", "eyJrIjoidiJ9");  // {"k":"v"}
  auto out = run(h, r);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->context.subprotocol, "json.reliable.webpubsub.azure.v1");
  EXPECT_EQ(seen->context.rawConnectionState, "eyJrIjoidiJ9");
  EXPECT_EQ(json::value(seen->context.states), json::parse(R"({"k":"v"})"));
  EXPECT_EQ(out.response->status, 200);
  EXPECT_TRUE(out.response->body.empty());
}

TEST(UpstreamLifecycle, StateThatIsNotBase64JsonIsKeptRawOnly) {
  auto r = event("azure.webpubsub.sys.connected", "connected", "{}");
  r.headers.emplace_back("ce-connectionState", "not-base64!");
  auto parsed = parseEvent(r);
  ASSERT_TRUE(parsed.ok());
  const auto& c = std::get<ConnectedRequest>(*parsed).context;
  EXPECT_TRUE(c.states.empty());
  EXPECT_EQ(c.rawConnectionState, "not-base64!");
  // base64 of a JSON array is not a state object either.
  EXPECT_FALSE(decodeConnectionState("WzFd"));
}

TEST(UpstreamLifecycle, DisconnectedReason) {
  std::optional<DisconnectedRequest> seen;
  EventHandler h({"chat", {}, {}},
                 Handlers{.onDisconnected = [&](DisconnectedRequest r) { seen = std::move(r); }});
  auto out = run(h, event("azure.webpubsub.sys.disconnected", "disconnected",
                          R"({"reason":"The client closed the connection."})"));
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->reason, "The client closed the connection.");
  EXPECT_EQ(seen->context.userId, "ddd");
  EXPECT_EQ(out.response->status, 200);

  auto nullReason =
      parseEvent(event("azure.webpubsub.sys.disconnected", "disconnected", R"({"reason":null})"));
  ASSERT_TRUE(nullReason.ok());
  EXPECT_EQ(std::get<DisconnectedRequest>(*nullReason).reason, "");

  auto bad = parseEvent(event("azure.webpubsub.sys.disconnected", "disconnected", "reason?"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().status, 400);
  auto badType =
      parseEvent(event("azure.webpubsub.sys.disconnected", "disconnected", R"({"reason":3})"));
  ASSERT_FALSE(badType.ok());
  EXPECT_NE(badType.error().message.find("'reason' must be a string"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Group presence (client-protocols-1.1 §2.2; @azure/web-pubsub-express 1.1.0)

HttpRequest presence(std::string kind, std::string body) {
  auto r = event("azure.webpubsub.gp." + kind, kind, std::move(body));
  r.headers.emplace_back("ce-connectionState", "eyJrIjoidiJ9");  // {"k":"v"}
  return r;
}

TEST(UpstreamGroupPresence, JoinedAndLeftParseIntoTypedEventsWithTheContext) {
  auto joined = parseEvent(presence("joined", R"({"group":"room-1"})"), {{kKey}, "chat"});
  ASSERT_TRUE(joined.ok()) << joined.error().message;
  const auto& j = std::get<GroupJoinedRequest>(*joined);
  EXPECT_EQ(j.group, "room-1");
  EXPECT_EQ(j.context.connectionId, kConnId);
  EXPECT_EQ(j.context.userId, "ddd");
  EXPECT_EQ(j.context.eventName, "joined");
  EXPECT_EQ(j.context.eventType, "azure.webpubsub.gp.joined");
  EXPECT_EQ(j.context.hub, "chat");
  EXPECT_EQ(json::value(j.context.states), json::parse(R"({"k":"v"})"));
  EXPECT_EQ(json::value(j.fields), json::parse(R"({"group":"room-1"})"));

  auto leftRequest = presence("left", R"({"group":"lobby","extra":1})");
  setHeader(leftRequest, "ce-eventName", std::nullopt);  // Express routes on ce-type alone
  auto left = parseEvent(leftRequest);
  ASSERT_TRUE(left.ok()) << left.error().message;
  const auto& l = std::get<GroupLeftRequest>(*left);
  EXPECT_EQ(l.group, "lobby");
  EXPECT_EQ(json::value(l.fields), json::parse(R"({"group":"lobby","extra":1})"));
  EXPECT_TRUE(isGroupPresenceRequest(leftRequest));
  EXPECT_FALSE(isGroupPresenceRequest(connectRequest()));
}

TEST(UpstreamGroupPresence, BadBodiesAreInvalid) {
  for (const char* body : {"", "room-1", "[]", "{}", R"({"group":3})", R"({"group":null})"}) {
    auto parsed = parseEvent(presence("joined", body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().status, 400) << body;
    EXPECT_EQ(parsed.error().code, "InvalidBody") << body;
  }
}

TEST(UpstreamGroupPresence, TheHandlerAnswersAnEmpty200BeforeTheCallbackRuns) {
  auto out = std::make_shared<Outcome>();
  std::vector<std::string> seen;
  Handlers handlers;
  handlers.onGroupJoined = [&](GroupJoinedRequest r) {
    EXPECT_EQ(out->calls, 1) << "answered before the callback";
    seen.push_back("joined:" + r.group + ":" + r.context.userId.value_or(""));
  };
  handlers.onGroupLeft = [&](GroupLeftRequest r) { seen.push_back("left:" + r.group); };
  EventHandler h({"CHAT", {kKey}, {}}, std::move(handlers));
  auto respond = [out](HttpResponse r) {
    ++out->calls;
    out->response = std::move(r);
  };
  EXPECT_TRUE(h.handle(presence("joined", R"({"group":"room-1"})"), respond));
  ASSERT_EQ(out->calls, 1);
  EXPECT_EQ(out->response->status, 200);
  EXPECT_TRUE(out->response->body.empty());
  EXPECT_TRUE(out->response->headers.empty()) << "no state, no content type";
  EXPECT_TRUE(h.handle(presence("left", R"({"group":"room-1"})"), respond));
  EXPECT_EQ(out->calls, 2);
  EXPECT_EQ(seen, (std::vector<std::string>{"joined:room-1:ddd", "left:room-1"}));
}

TEST(UpstreamGroupPresence, FailuresAfterTheAnswerGoToTheAppNotToTheService) {
  std::vector<std::string> errors;
  int callbacks = 0;
  Handlers handlers;
  handlers.onGroupJoined = [&](GroupJoinedRequest r) {
    ++callbacks;
    if (r.group == "boom") throw std::runtime_error("app bug");
  };
  handlers.onNotificationError = [&](const Error& e, const HttpRequest& r) {
    errors.push_back(e.code + ":" + std::string(r.header("ce-type").value_or("")));
  };
  EventHandler h({"chat", {kKey}, {}}, std::move(handlers));
  auto bad = run(h, presence("joined", "not json"));
  EXPECT_EQ(bad.response->status, 200);
  auto forged = presence("joined", R"({"group":"g"})");
  setHeader(forged, "ce-signature", "sha256=00");
  EXPECT_EQ(run(h, forged).response->status, 200);
  auto throws = run(h, presence("joined", R"({"group":"boom"})"));
  EXPECT_EQ(throws.response->status, 200);
  EXPECT_EQ(throws.calls, 1);
  EXPECT_EQ(errors, (std::vector<std::string>{"InvalidBody:azure.webpubsub.gp.joined",
                                              "SignatureInvalid:azure.webpubsub.gp.joined",
                                              "HandlerFailed:azure.webpubsub.gp.joined"}));
  EXPECT_EQ(callbacks, 1);
  // Without a callback for the kind the body is never read: 200, nothing reported.
  auto left = run(h, presence("left", "not json"));
  EXPECT_EQ(left.response->status, 200);
  EXPECT_EQ(errors.size(), 3u);
}

TEST(UpstreamGroupPresence, RequestsExpressWouldNotTakeAreNotHandled) {
  int callbacks = 0;
  EventHandler h({"chat", {}, {}},
                 Handlers{.onGroupJoined = [&](GroupJoinedRequest) { ++callbacks; }});
  for (const char* missing : {"WebHook-Request-Origin", "ce-hub", "ce-awpsversion"}) {
    auto r = presence("joined", R"({"group":"g"})");
    setHeader(r, missing, std::nullopt);
    auto out = run(h, r);
    EXPECT_FALSE(out.handled) << missing;
    EXPECT_EQ(out.calls, 0) << missing;
  }
  auto other = presence("joined", R"({"group":"g"})");
  setHeader(other, "ce-hub", "other");
  EXPECT_FALSE(run(h, other).handled);
  EXPECT_EQ(callbacks, 0);
  auto ok = run(h, presence("joined", R"({"group":"g"})"));
  EXPECT_TRUE(ok.handled);
  EXPECT_EQ(callbacks, 1);
}

// ---------------------------------------------------------------------------------------------
// User events (§9.4, §9.5)

TEST(UpstreamUserEvent, DataTypesFromContentType) {
  struct Case {
    const char* contentType;
    DataType type;
    const char* body;
  };
  for (const Case& c : {Case{"text/plain", DataType::kText, "hello"},
                        Case{"text/plain; charset=utf-8", DataType::kText, "h\xc3\xa9"},
                        Case{"application/json", DataType::kJson, R"({"a":[1,2]})"},
                        Case{"Application/JSON; charset=utf-8", DataType::kJson, "\"s\""},
                        Case{"application/octet-stream", DataType::kBinary, "\x00\x01\xff"}}) {
    std::string body(c.body, std::char_traits<char>::length(c.body));
    if (c.type == DataType::kBinary) body = std::string("\x00\x01\xff", 3);
    auto parsed = parseEvent(userEvent("message", body, c.contentType));
    ASSERT_TRUE(parsed.ok()) << c.contentType << ": " << parsed.error().message;
    const auto& u = std::get<UserEventRequest>(*parsed);
    EXPECT_EQ(u.dataType, c.type) << c.contentType;
    EXPECT_EQ(u.data, body);
    EXPECT_EQ(u.context.eventName, "message");
    EXPECT_EQ(u.context.subprotocol, "json.webpubsub.azure.v1");
  }
  // No Content-Type: binary, as the service treats it.
  auto r = userEvent("custom", "raw", "x");
  setHeader(r, "Content-Type", std::nullopt);
  auto parsed = parseEvent(r);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(std::get<UserEventRequest>(*parsed).dataType, DataType::kBinary);
  EXPECT_EQ(std::get<UserEventRequest>(*parsed).context.eventName, "custom");
}

TEST(UpstreamUserEvent, UnsupportedOrInvalidBodies) {
  auto proto = parseEvent(userEvent("e", "\x0a\x01", "application/x-protobuf"));
  ASSERT_FALSE(proto.ok());
  EXPECT_EQ(proto.error().status, 415);
  EXPECT_EQ(proto.error().code, "UnsupportedContentType");
  EXPECT_NE(proto.error().message.find("application/x-protobuf"), std::string::npos);

  auto badJson = parseEvent(userEvent("e", "{oops", "application/json"));
  ASSERT_FALSE(badJson.ok());
  EXPECT_EQ(badJson.error().status, 400);
  EXPECT_EQ(badJson.error().code, "InvalidBody");
}

TEST(UpstreamUserEvent, ReplyKinds) {
  auto text = replyUserEvent(DataType::kText, "hi");
  EXPECT_EQ(text.status, 200);
  EXPECT_EQ(headerValue(text, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(text.body, "hi");
  EXPECT_EQ(headerValue(replyUserEvent(DataType::kJson, "[1]"), "Content-Type"),
            "application/json");
  auto bin = replyUserEvent(DataType::kBinary, std::string("\0\1", 2));
  EXPECT_EQ(headerValue(bin, "Content-Type"), "application/octet-stream");
  EXPECT_EQ(bin.body.size(), 2u);
  EXPECT_EQ(replyUserEvent(DataType::kText, "").status, 204);
  EXPECT_EQ(emptyReply().status, 204);
  auto fail = failUserEvent(400, "bad");
  EXPECT_EQ(fail.status, 400);
  EXPECT_EQ(fail.body, "bad");
  EXPECT_EQ(failUserEvent(204).status, 500);
}

TEST(UpstreamUserEvent, HandlerRepliesAndUpdatesState) {
  EventHandler h({"chat", {}, {}},
                 Handlers{.onUserEvent = [](UserEventRequest req, UserEventResponder res) {
                   int64_t n = 0;
                   if (const auto* v = req.context.states.if_contains("n")) n = v->as_int64();
                   res.setState("n", json::value(n + 1));
                   if (req.data == "json") {
                     res.replyJson(R"({"hello":"world"})");
                   } else if (req.data == "bin") {
                     res.replyBinary(std::string("\x00\x01", 2));
                   } else if (req.data == "none") {
                     res.reply();
                   } else if (req.data == "fail") {
                     res.fail(409, "conflict");
                   } else if (req.data == "clear") {
                     res.clearStates();
                     res.reply();
                   } else if (req.data == "badjson") {
                     res.replyJson("{nope");
                   } else {
                     res.replyText("echo:" + req.data);
                   }
                 }});
  auto send = [&](std::string body, std::optional<std::string> state = std::nullopt) {
    auto r = userEvent("message", std::move(body), "text/plain");
    if (state) r.headers.emplace_back("ce-connectionState", *state);
    return *run(h, r).response;
  };
  auto first = send("hi");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "echo:hi");
  std::string state = headerValue(first, "ce-connectionState");
  EXPECT_EQ(json::value(*decodeConnectionState(state)), json::parse(R"({"n":1})"));
  auto second = send("json", state);
  EXPECT_EQ(second.body, R"({"hello":"world"})");
  EXPECT_EQ(headerValue(second, "Content-Type"), "application/json");
  EXPECT_EQ(json::value(*decodeConnectionState(headerValue(second, "ce-connectionState"))),
            json::parse(R"({"n":2})"));
  EXPECT_EQ(headerValue(send("bin"), "Content-Type"), "application/octet-stream");
  auto none = send("none");
  EXPECT_EQ(none.status, 204);
  EXPECT_NE(headerValue(none, "ce-connectionState"), "<absent>");  // state still updated
  auto failed = send("fail", state);
  EXPECT_EQ(failed.status, 409);
  EXPECT_EQ(headerValue(failed, "ce-connectionState"), "<absent>");  // failures keep the state
  auto cleared = send("clear", state);
  EXPECT_EQ(cleared.status, 204);
  EXPECT_EQ(headerValue(cleared, "ce-connectionState"), "");  // present and empty: cleared
  EXPECT_EQ(send("badjson").status, 500);
}

TEST(UpstreamUserEvent, NoCallbackAnswers204) {
  EventHandler h({"chat", {}, {}}, {});
  EXPECT_EQ(run(h, userEvent("message", "x", "text/plain")).response->status, 204);
}

// ---------------------------------------------------------------------------------------------
// Malformed requests

TEST(UpstreamMalformed, MissingHeadersAreNamed) {
  for (const char* name : {"ce-type", "ce-connectionId", "ce-hub", "ce-eventName"}) {
    auto r = connectRequest();
    setHeader(r, name, std::nullopt);
    auto parsed = parseEvent(r);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_EQ(parsed.error().status, 400);
    EXPECT_EQ(parsed.error().code, "MissingHeader");
    EXPECT_NE(parsed.error().message.find(name), std::string::npos) << parsed.error().message;
  }
}

TEST(UpstreamMalformed, UnknownTypesAndMethods) {
  for (const char* type :
       {"azure.webpubsub.sys.unknown", "com.example.other", "azure.webpubsub.user.",
        "azure.webpubsub.gp.other", "azure.webpubsub.gp.Joined"}) {
    auto parsed = parseEvent(event(type, "x", "{}"));
    ASSERT_FALSE(parsed.ok()) << type;
    EXPECT_EQ(parsed.error().status, 400);
    EXPECT_EQ(parsed.error().code, "UnsupportedEventType");
    EXPECT_NE(parsed.error().message.find(type), std::string::npos);
  }
  auto put = connectRequest();
  put.method = "PUT";
  auto parsed = parseEvent(put);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().status, 405);

  EventHandler h({"chat", {}, {}}, {});
  auto out = run(h, put);
  EXPECT_TRUE(out.handled);
  EXPECT_EQ(out.response->status, 405);
  auto errorOut = run(h, event("azure.webpubsub.sys.connect", "connect", "[]"));
  EXPECT_EQ(errorOut.response->status, 400);
  EXPECT_NE(errorOut.response->body.find("not a JSON object"), std::string::npos);
}

TEST(UpstreamState, EncodingRoundTripAndHeader) {
  json::object s{{"a", 1}, {"b", "x"}};
  std::string enc = encodeConnectionState(s);
  EXPECT_EQ(enc, "eyJhIjoxLCJiIjoieCJ9");  // base64 of {"a":1,"b":"x"}
  EXPECT_EQ(json::value(*decodeConnectionState(enc)), json::value(s));
  HttpResponse r;
  setConnectionState(r, s);
  setConnectionState(r, json::object{{"a", 2}});
  int lines = 0;
  for (const auto& [n, v] : r.headers)
    lines += n == "ce-connectionState";
  EXPECT_EQ(lines, 1);
  EXPECT_EQ(headerValue(r, "ce-connectionState"), encodeConnectionState(json::object{{"a", 2}}));
}

}  // namespace
}  // namespace webpubsub::upstream
