// Integration: the real server (in-process TestServer) with an upstream built on the SDK
// (EventHandler in an UpstreamServer), scripted WebSocket clients, and the SDK's ServiceClient
// against the server's REST API for every operation.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "support/fake_upstream.h"
#include "support/http_request.h"
#include "support/test_server.h"
#include "webpubsub/service_client.h"
#include "webpubsub/upstream.h"
#include "webpubsub/upstream_server.h"

namespace wps::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
namespace up = webpubsub::upstream;
namespace svc = webpubsub::service;
using boost::asio::use_future;

struct Recorded {
  std::string kind;  // connect, connected, disconnected, user
  std::string connectionId;
  std::optional<std::string> userId;
  json::object states;
  std::string detail;  // disconnected: reason; user: data
};

class SdkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto listened = up::UpstreamServer::listen(io_);
    ASSERT_TRUE(listened.ok()) << listened.error().message;
    upstream_ = std::move(listened.value());
    // Verified against the secondary key only: ce-signature carries one item per server key.
    upstream_->mount("/eventhandler",
                     std::make_shared<up::EventHandler>(
                         up::EventHandlerOptions{"chat", {kTestKey2}, {}}, handlers()));
    upstream_->mount("/locked", std::make_shared<up::EventHandler>(
                                    up::EventHandlerOptions{
                                        "locked", {"wrong-key-0123456789abcdefghijklmn"}, {}},
                                    up::Handlers{}));
    upstream_->mount(
        "/guarded",
        std::make_shared<up::EventHandler>(
            up::EventHandlerOptions{"guarded", {}, {"somewhere.example.com"}}, up::Handlers{}));
    upstream_->route("GET", "/hello", [](up::HttpRequest, up::Respond respond) {
      respond(up::HttpResponse{200, {{"Content-Type", "text/plain"}}, "hello"});
    });
    upstream_->start();
    thread_ = std::thread([this] { io_.run(); });

    auto s = TestServer::defaultSettings();
    s.hubs["chat"] = TestServer::hubWithHandler(upstream_->url() + "/eventhandler/{event}");
    s.hubs["locked"] = TestServer::hubWithHandler(upstream_->url() + "/locked/{event}");
    s.hubs["guarded"] = TestServer::hubWithHandler(upstream_->url() + "/guarded/{event}");
    server_ = std::make_unique<TestServer>(std::move(s));
    auto client = svc::ServiceClient::create(io_, server_->connectionString(), "chat");
    ASSERT_TRUE(client.ok()) << client.error().message;
    service_ = std::move(client.value());
  }

  void TearDown() override {
    server_.reset();  // delivers the last disconnected events to the upstream
    service_.reset();
    if (upstream_) upstream_->stop();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  up::Handlers handlers() {
    up::Handlers h;
    h.onConnect = [this](up::ConnectRequest req, up::ConnectResponder res) {
      record({"connect", req.context.connectionId, req.context.userId, req.context.states, ""});
      if (auto deny = req.queryValue("deny")) {
        res.deny(std::stoi(*deny), "denied by test");
        return;
      }
      res.setState("counter", json::value(1));
      up::ConnectResponse a;
      if (auto nick = req.queryValue("nick")) a.userId = *nick;
      if (auto room = req.queryValue("room")) a.groups = std::vector<std::string>{*room};
      res.approve(a);
    };
    h.onConnected = [this](up::ConnectedRequest req) {
      record({"connected", req.context.connectionId, req.context.userId, req.context.states, ""});
    };
    h.onDisconnected = [this](up::DisconnectedRequest req) {
      record({"disconnected", req.context.connectionId, req.context.userId, req.context.states,
              req.reason});
    };
    h.onUserEvent = [this](up::UserEventRequest req, up::UserEventResponder res) {
      record({"user", req.context.connectionId, req.context.userId, req.context.states, req.data});
      int64_t counter = 0;
      if (const auto* c = req.context.states.if_contains("counter")) counter = c->as_int64();
      res.setState("counter", json::value(counter + 1));
      if (req.dataType == up::DataType::kBinary) {
        res.replyBinary(req.data);
      } else if (req.data == "json" || req.data == "\"json\"") {
        res.replyJson(R"({"hello":"world"})");
      } else if (req.data == "nothing") {
        res.reply();
      } else if (req.data == "fail" || req.data == "\"fail\"") {
        res.fail(400, "upstream failure detail");
      } else {
        res.replyText("echo:" + req.data + ":" + std::to_string(counter));
      }
    };
    return h;
  }

  void record(Recorded r) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(r));
  }
  std::vector<Recorded> events(const std::string& kind, const std::string& connectionId = "") {
    std::lock_guard lock(mutex_);
    std::vector<Recorded> out;
    for (const auto& e : events_) {
      if (e.kind == kind && (connectionId.empty() || e.connectionId == connectionId)) {
        out.push_back(e);
      }
    }
    return out;
  }
  bool waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout = 5s) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (predicate()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return predicate();
  }

  TokenSpec user(const std::string& id) {
    TokenSpec t;
    t.userId = id;
    return t;
  }

  // A JSON-subprotocol client; returns its connection id through `id`.
  std::unique_ptr<WsClient> jsonClient(const TokenSpec& t, std::string* id,
                                       const std::string& query = "",
                                       std::string* userId = nullptr) {
    auto c = server_->connect("chat", t, {"json.webpubsub.azure.v1"}, query);
    if (!c) return nullptr;
    auto m = c->nextData();
    EXPECT_TRUE(m.isText());
    auto v = json::parse(m.data);
    EXPECT_EQ(v.at("event"), "connected");
    if (id) *id = std::string(v.at("connectionId").as_string());
    if (userId && v.as_object().contains("userId"))
      *userId = std::string(v.at("userId").as_string());
    return c;
  }

  static json::object nextJson(WsClient& c) {
    auto m = c.nextData();
    EXPECT_TRUE(m.isText()) << "kind " << static_cast<int>(m.kind);
    if (!m.isText()) return {};
    return json::parse(m.data).as_object();
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::thread thread_;
  std::unique_ptr<up::UpstreamServer> upstream_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<svc::ServiceClient> service_;
  std::mutex mutex_;
  std::vector<Recorded> events_;
};

// ---------------------------------------------------------------------------------------------
// Upstream SDK behind the real server

TEST_F(SdkTest, ConnectAssignsUserGroupAndStateSeenByLaterEvents) {
  std::string id, userId;
  auto c = jsonClient(user("alice"), &id, "&nick=zed&room=r1", &userId);
  ASSERT_TRUE(c);
  EXPECT_EQ(userId, "zed");  // the connect answer replaced the token's user
  auto connect = events("connect", id);
  ASSERT_EQ(connect.size(), 1u);
  EXPECT_EQ(connect[0].userId, "alice");
  ASSERT_TRUE(waitFor([&] { return events("connected", id).size() == 1; }));
  auto connected = events("connected", id)[0];
  EXPECT_EQ(connected.userId, "zed");
  EXPECT_EQ(json::value(connected.states), json::parse(R"({"counter":1})"));
  // The connect answer's group was joined.
  ASSERT_TRUE(service_->sendToGroup("r1", svc::Message::text("to r1"), {}, use_future).get().ok());
  auto m = nextJson(*c);
  EXPECT_EQ(m.at("from"), "group");
  EXPECT_EQ(m.at("group"), "r1");
  EXPECT_EQ(m.at("data"), "to r1");
}

TEST_F(SdkTest, DeniedConnectFailsTheHandshakeWithItsStatus) {
  for (int status : {401, 403}) {
    HandshakeOutcome outcome;
    auto c =
        server_->connect("chat", user("mallory"), {}, "&deny=" + std::to_string(status), &outcome);
    EXPECT_FALSE(c);
    EXPECT_EQ(outcome.status, status);
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(events("connected").empty());
  EXPECT_TRUE(events("disconnected").empty());
}

TEST_F(SdkTest, SimpleClientRepliesStateAndDisconnectReason) {
  auto c = server_->connect("chat", user("bob"));
  ASSERT_TRUE(c);
  c->sendText("hi");
  auto m = c->nextData();
  EXPECT_TRUE(m.isText());
  EXPECT_EQ(m.data, "echo:hi:1");
  c->sendBinary(std::string("\x00\x01\xff", 3));
  m = c->nextData();
  EXPECT_TRUE(m.isBinary());
  EXPECT_EQ(m.data, std::string("\x00\x01\xff", 3));
  c->sendText("nothing");  // 204: nothing is sent back
  c->sendText("json");
  m = c->nextData();
  EXPECT_TRUE(m.isText());
  EXPECT_EQ(json::parse(m.data), json::parse(R"({"hello":"world"})"));
  c->sendText("again");
  EXPECT_EQ(c->nextData().data, "echo:again:5");
  ASSERT_FALSE(events("user").empty());
  std::string id = events("user")[0].connectionId;
  c->sendClose(1000, "done here");
  c->waitForClose();
  ASSERT_TRUE(waitFor([&] { return events("disconnected", id).size() == 1; }));
  auto d = events("disconnected", id)[0];
  EXPECT_EQ(d.detail, "done here");
  EXPECT_EQ(json::value(d.states), json::parse(R"({"counter":6})"));
}

TEST_F(SdkTest, FailuresReachClientsAsTheServiceDefines) {
  auto simple = server_->connect("chat", user("carol"));
  ASSERT_TRUE(simple);
  simple->sendText("fail");
  auto closed = simple->waitForClose();
  ASSERT_TRUE(closed.closeCode);
  EXPECT_EQ(*closed.closeCode, 1011);
  EXPECT_EQ(closed.data.find("upstream failure detail"), std::string::npos);

  auto pubsub = jsonClient(user("dave"), nullptr);
  ASSERT_TRUE(pubsub);
  pubsub->sendText(R"({"type":"event","event":"go","dataType":"text","data":"fail","ackId":1})");
  auto ack = nextJson(*pubsub);
  EXPECT_EQ(ack.at("type"), "ack");
  EXPECT_EQ(ack.at("success"), false);
  EXPECT_EQ(ack.at("error").at("name"), "InternalServerError");
  pubsub->sendText(R"({"type":"event","event":"go","dataType":"json","data":"json","ackId":2})");
  auto reply = nextJson(*pubsub);
  EXPECT_EQ(reply.at("dataType"), "json");
  EXPECT_EQ(reply.at("data"), json::parse(R"({"hello":"world"})"));
  EXPECT_EQ(nextJson(*pubsub).at("success"), true);
  pubsub->sendText(R"({"type":"event","event":"go","dataType":"text","data":"t","ackId":3})");
  reply = nextJson(*pubsub);
  EXPECT_EQ(reply.at("dataType"), "text");
  EXPECT_EQ(reply.at("data"), "echo:t:2");  // the failed event did not update the state
}

TEST_F(SdkTest, SignatureAndAbuseProtectionFailuresRefuseConnects) {
  HandshakeOutcome outcome;
  EXPECT_FALSE(server_->connect("locked", user("x"), {}, "", &outcome));
  EXPECT_EQ(outcome.status, 401);  // the SDK's "Signature validation failed." passes through
  outcome = {};
  EXPECT_FALSE(server_->connect("guarded", user("x"), {}, "", &outcome));
  EXPECT_EQ(outcome.status, 500);  // validation failed: the service never posts connect
}

TEST_F(SdkTest, AdapterRoutesFallThroughAndLimits) {
  auto hello = httpRequest(upstream_->port(), "GET", "/hello?x=1");
  EXPECT_EQ(hello.status, 200);
  EXPECT_EQ(hello.body, "hello");
  auto head = httpRequest(upstream_->port(), "HEAD", "/hello");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(http::findHeader(head.headers, "Content-Length").value_or(""), "5");
  EXPECT_EQ(httpRequest(upstream_->port(), "GET", "/nope").status, 404);
  // Not a Web PubSub request (no ce-awpsversion): falls through to 404.
  EXPECT_EQ(httpRequest(upstream_->port(), "POST", "/eventhandler/connect", {}, "{}").status, 404);
  // A Web PubSub request with a problem gets a clear error.
  auto bad = httpRequest(upstream_->port(), "POST", "/EventHandler/connect",
                         {{"ce-awpsversion", "1.0"}, {"ce-hub", "chat"}}, "{}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("Missing ce-type"), std::string::npos);
  auto probe = httpRequest(upstream_->port(), "OPTIONS", "/eventhandler/validate",
                           {{"ce-awpsversion", "1.0"}, {"WebHook-Request-Origin", "a.example"}});
  EXPECT_EQ(probe.status, 200);
  EXPECT_EQ(http::findHeader(probe.headers, "WebHook-Allowed-Origin").value_or(""), "*");

  boost::asio::io_context io;
  up::ServerOptions small;
  small.maxBodyBytes = 8;
  auto s = up::UpstreamServer::listen(io, small);
  ASSERT_TRUE(s.ok());
  (*s)->route("POST", "/x", [](up::HttpRequest r, up::Respond respond) {
    respond(up::HttpResponse{200, {}, r.body});
  });
  (*s)->start();
  std::thread t([&] { io.run(); });
  EXPECT_EQ(httpRequest((*s)->port(), "POST", "/x", {}, "12345678").body, "12345678");
  EXPECT_EQ(httpRequest((*s)->port(), "POST", "/x", {}, "123456789").status, 413);
  (*s)->stop();
  t.join();  // run() returns: stop() left nothing on the io_context

  auto taken = up::UpstreamServer::listen(io_, up::ServerOptions{"127.0.0.1", upstream_->port()});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, "BindFailed");
  EXPECT_EQ(up::UpstreamServer::listen(io_, up::ServerOptions{"not-an-ip"}).error().code,
            "InvalidArgument");
}

// ---------------------------------------------------------------------------------------------
// ServiceClient against the real REST API

TEST_F(SdkTest, SendOperationsWithContentTypesExclusionsAndFilters) {
  TokenSpec a = user("a"), b = user("b");
  a.groups = b.groups = {"g"};
  std::string idA, idB;
  auto ca = jsonClient(a, &idA);
  auto cb = jsonClient(b, &idB);
  ASSERT_TRUE(ca && cb);

  ASSERT_TRUE(service_->sendToAll(svc::Message::text("t1"), {}, use_future).get().ok());
  for (auto* c : {ca.get(), cb.get()}) {
    auto m = nextJson(*c);
    EXPECT_EQ(m.at("from"), "server");
    EXPECT_EQ(m.at("dataType"), "text");
    EXPECT_EQ(m.at("data"), "t1");
  }
  svc::SendOptions excludeA;
  excludeA.excluded = {idA};
  ASSERT_TRUE(
      service_->sendToAll(svc::Message::json(R"({"n":1})"), excludeA, use_future).get().ok());
  auto mb = nextJson(*cb);
  EXPECT_EQ(mb.at("dataType"), "json");
  EXPECT_EQ(mb.at("data"), json::parse(R"({"n":1})"));
  svc::SendOptions onlyB;
  onlyB.filter = "userId eq 'b'";
  ASSERT_TRUE(
      service_->sendToAll(svc::Message::binary(std::string("\x01\x02", 2)), onlyB, use_future)
          .get()
          .ok());
  mb = nextJson(*cb);
  EXPECT_EQ(mb.at("dataType"), "binary");
  EXPECT_EQ(mb.at("data"), "AQI=");
  ASSERT_TRUE(
      service_->sendToGroup("g", svc::Message::text("grp"), excludeA, use_future).get().ok());
  mb = nextJson(*cb);
  EXPECT_EQ(mb.at("from"), "group");
  EXPECT_EQ(mb.at("group"), "g");
  svc::SendOptions ttl;
  ttl.messageTtlSeconds = 10;
  ASSERT_TRUE(service_->sendToUser("a", svc::Message::text("to a"), ttl, use_future).get().ok());
  // A got neither the excluded JSON, nor the filtered binary, nor the excluded group message.
  auto ma = nextJson(*ca);
  EXPECT_EQ(ma.at("data"), "to a");
  ASSERT_TRUE(
      service_->sendToConnection(idB, svc::Message::text("direct"), ttl, use_future).get().ok());
  EXPECT_EQ(nextJson(*cb).at("data"), "direct");

  // Errors carry the service's status and code.
  svc::SendOptions badFilter;
  badFilter.filter = "userId eq";
  auto r = service_->sendToAll(svc::Message::text("x"), badFilter, use_future).get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().code, "Error.BadRequest");
  EXPECT_FALSE(r.error().message.empty());
  auto badJson = service_->sendToAll(svc::Message::json("{x"), {}, use_future).get();
  ASSERT_FALSE(badJson.ok());
  EXPECT_EQ(badJson.error().status, 400);
  // A TTL outside 0..300 is refused before anything is sent.
  svc::SendOptions badTtl;
  for (int bad : {301, -1}) {
    badTtl.messageTtlSeconds = bad;
    auto refused = service_->sendToAll(svc::Message::text("x"), badTtl, use_future).get();
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().status, 0) << bad;
    EXPECT_EQ(refused.error().code, "InvalidArgument") << bad;
  }
}

TEST_F(SdkTest, GroupManagementExistenceAndListing) {
  std::string idA, idB;
  auto ca = jsonClient(user("a"), &idA);
  auto cb = jsonClient(user("b"), &idB);
  ASSERT_TRUE(ca && cb);
  auto exists = [&](const std::string& g) {
    auto r = service_->groupExists(g, use_future).get();
    EXPECT_TRUE(r.ok());
    return r.ok() && *r;
  };
  EXPECT_FALSE(exists("g2"));
  ASSERT_TRUE(service_->addConnectionToGroup("g2", idA, use_future).get().ok());
  ASSERT_TRUE(service_->addConnectionToGroup("g2", idB, use_future).get().ok());
  EXPECT_TRUE(exists("g2"));
  svc::ListOptions paged;
  paged.maxPageSize = 1;  // two pages: the client follows nextLink
  auto members = service_->listConnectionsInGroup("g2", paged, use_future).get();
  ASSERT_TRUE(members.ok()) << members.error().message;
  ASSERT_EQ(members->size(), 2u);
  std::set<std::string> ids{(*members)[0].connectionId, (*members)[1].connectionId};
  EXPECT_EQ(ids, (std::set<std::string>{idA, idB}));
  for (const auto& m : *members)
    EXPECT_EQ(m.userId, m.connectionId == idA ? "a" : "b");
  svc::ListOptions top;
  top.top = 1;
  EXPECT_EQ(service_->listConnectionsInGroup("g2", top, use_future).get()->size(), 1u);
  EXPECT_TRUE(service_->listConnectionsInGroup("none", {}, use_future).get()->empty());
  ASSERT_TRUE(service_->removeConnectionFromGroup("g2", idA, use_future).get().ok());
  EXPECT_EQ(service_->listConnectionsInGroup("g2", {}, use_future).get()->size(), 1u);

  ASSERT_TRUE(service_->addUserToGroup("g3", "b", use_future).get().ok());
  EXPECT_TRUE(exists("g3"));
  ASSERT_TRUE(service_->removeUserFromGroup("g3", "b", use_future).get().ok());
  EXPECT_FALSE(exists("g3"));
  ASSERT_TRUE(service_->addUserToGroup("g4", "b", use_future).get().ok());
  ASSERT_TRUE(service_->removeUserFromAllGroups("b", use_future).get().ok());
  EXPECT_FALSE(exists("g4"));
  ASSERT_TRUE(service_->addConnectionToGroup("g5", idA, use_future).get().ok());
  ASSERT_TRUE(service_->removeConnectionFromAllGroups(idA, use_future).get().ok());
  EXPECT_FALSE(exists("g5"));

  ASSERT_TRUE(
      service_->addConnectionsToGroups({"g6", "g7"}, "userId eq 'a'", use_future).get().ok());
  auto g6 = service_->listConnectionsInGroup("g6", {}, use_future).get();
  ASSERT_TRUE(g6.ok());
  ASSERT_EQ(g6->size(), 1u);
  EXPECT_EQ((*g6)[0].connectionId, idA);
  EXPECT_TRUE(exists("g7"));
  ASSERT_TRUE(service_->removeConnectionsFromGroups({"g6", "g7"}, "", use_future).get().ok());
  EXPECT_FALSE(exists("g6"));
  EXPECT_FALSE(exists("g7"));

  auto missing = service_->addConnectionToGroup("g", "no-such-connection", use_future).get();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().status, 404);
  EXPECT_EQ(missing.error().code, "Error.Connection.NotExisted");
  auto missingUser = service_->addUserToGroup("g", "nobody", use_future).get();
  ASSERT_FALSE(missingUser.ok());
  EXPECT_EQ(missingUser.error().status, 404);
  auto emptyBatch = service_->addConnectionsToGroups({}, "", use_future).get();
  ASSERT_FALSE(emptyBatch.ok());
  EXPECT_EQ(emptyBatch.error().status, 400);

  EXPECT_TRUE(*service_->connectionExists(idA, use_future).get());
  EXPECT_FALSE(*service_->connectionExists("nope", use_future).get());
  EXPECT_TRUE(*service_->userExists("a", use_future).get());
  EXPECT_FALSE(*service_->userExists("zz", use_future).get());
}

TEST_F(SdkTest, Permissions) {
  std::string id;
  auto c = jsonClient(user("p"), &id);
  ASSERT_TRUE(c);
  using svc::Permission;
  auto check = [&](Permission p, const std::string& group) {
    auto r = service_->checkPermission(p, id, group, use_future).get();
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() && *r;
  };
  EXPECT_FALSE(check(Permission::kSendToGroup, "pg"));
  ASSERT_TRUE(service_->grantPermission(Permission::kSendToGroup, id, "pg", use_future).get().ok());
  EXPECT_TRUE(check(Permission::kSendToGroup, "pg"));
  EXPECT_FALSE(check(Permission::kJoinLeaveGroup, "pg"));
  // The granted permission works for the client.
  c->sendText(R"({"type":"sendToGroup","group":"pg","data":"x","ackId":1})");
  EXPECT_EQ(nextJson(*c).at("success"), true);
  ASSERT_TRUE(
      service_->revokePermission(Permission::kSendToGroup, id, "pg", use_future).get().ok());
  EXPECT_FALSE(check(Permission::kSendToGroup, "pg"));
  auto missing =
      service_->grantPermission(Permission::kJoinLeaveGroup, "nope", "pg", use_future).get();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().status, 404);
  EXPECT_EQ(missing.error().code, "Info.Connection.NotExisted");
}

TEST_F(SdkTest, CloseOperations) {
  std::string idA, idB, idC, idD;
  TokenSpec grouped = user("c");
  grouped.groups = {"cg"};
  auto a = jsonClient(user("a"), &idA);
  auto b = jsonClient(user("b"), &idB);
  auto c = jsonClient(grouped, &idC);
  auto d = jsonClient(user("d"), &idD);
  ASSERT_TRUE(a && b && c && d);

  ASSERT_TRUE(service_->closeConnection(idA, "bye now", use_future).get().ok());
  auto m = nextJson(*a);
  EXPECT_EQ(m.at("event"), "disconnected");
  EXPECT_EQ(m.at("message"), "Application server closed the connection. Reason: bye now");
  EXPECT_TRUE(a->waitForClose().isClose());
  ASSERT_TRUE(waitFor([&] { return events("disconnected", idA).size() == 1; }));
  EXPECT_EQ(events("disconnected", idA)[0].detail,
            "Application server closed the connection. Reason: bye now");

  ASSERT_TRUE(service_->closeUserConnections("b", {}, use_future).get().ok());
  EXPECT_TRUE(b->waitForClose().isClose());
  ASSERT_TRUE(service_->closeGroupConnections("cg", {}, use_future).get().ok());
  EXPECT_TRUE(c->waitForClose().isClose());
  svc::CloseOptions keepD;
  keepD.excluded = {idD};
  keepD.reason = "all";
  ASSERT_TRUE(service_->closeAllConnections(keepD, use_future).get().ok());
  EXPECT_TRUE(*service_->connectionExists(idD, use_future).get());
  ASSERT_TRUE(service_->closeAllConnections({}, use_future).get().ok());
  EXPECT_TRUE(d->waitForClose().isClose());
  EXPECT_FALSE(*service_->connectionExists(idD, use_future).get());
  // Idempotent: closing a missing connection succeeds.
  EXPECT_TRUE(service_->closeConnection("gone", "", use_future).get().ok());
}

TEST_F(SdkTest, TokensHealthAndCompletionTokens) {
  // Locally minted URL (what /negotiate endpoints return).
  webpubsub::service::ClientAccessOptions o;
  o.userId = "local";
  auto access = service_->getClientAccess(o);
  std::string prefix = "ws://127.0.0.1:" + std::to_string(server_->port());
  ASSERT_EQ(access.url.rfind(prefix, 0), 0u) << access.url;
  auto local = WsClient::connect(server_->port(), access.url.substr(prefix.size()),
                                 {"json.webpubsub.azure.v1"});
  ASSERT_TRUE(local);
  EXPECT_EQ(json::parse(local->nextData().data).at("userId"), "local");

  // Service-minted token.
  o.userId = "remote";
  auto token = service_->generateClientToken(o, use_future).get();
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto remote = WsClient::connect(server_->port(), "/client/hubs/chat?access_token=" + *token,
                                  {"json.webpubsub.azure.v1"});
  ASSERT_TRUE(remote);
  EXPECT_EQ(json::parse(remote->nextData().data).at("userId"), "remote");

  EXPECT_TRUE(service_->getServiceStatus(use_future).get().ok());

  // A plain callback runs on the io_context's thread; use_awaitable works in coroutines.
  std::promise<std::thread::id> where;
  service_->userExists("remote", [&](webpubsub::Result<bool> r) {
    EXPECT_TRUE(r.ok() && *r);
    where.set_value(std::this_thread::get_id());
  });
  EXPECT_EQ(where.get_future().get(), thread_.get_id());
  auto viaCoroutine = boost::asio::co_spawn(
      io_,
      [this]() -> boost::asio::awaitable<bool> {
        auto r = co_await service_->userExists("local", boost::asio::use_awaitable);
        co_return r.ok() && *r;
      },
      use_future);
  EXPECT_TRUE(viaCoroutine.get());
}

TEST_F(SdkTest, ClientSideErrors) {
  auto wrongKey =
      svc::ServiceClient::create(io_,
                                 "Endpoint=http://127.0.0.1:" + std::to_string(server_->port()) +
                                     ";AccessKey=wrong-key-0123456789abcdefghijklmnop;Version=1.0;",
                                 "chat");
  ASSERT_TRUE(wrongKey.ok());
  auto unauthorized = (*wrongKey)->sendToAll(svc::Message::text("x"), {}, use_future).get();
  ASSERT_FALSE(unauthorized.ok());
  EXPECT_EQ(unauthorized.error().status, 401);

  // Nothing listens on a port we just released.
  uint16_t freePort;
  {
    boost::asio::io_context tmp;
    auto s = up::UpstreamServer::listen(tmp);
    ASSERT_TRUE(s.ok());
    freePort = (*s)->port();
  }
  auto nowhere = svc::ServiceClient::create(
      io_, "Endpoint=http://127.0.0.1:" + std::to_string(freePort) + ";AccessKey=k", "chat");
  ASSERT_TRUE(nowhere.ok());
  auto refused = (*nowhere)->userExists("u", use_future).get();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().status, 0);
  EXPECT_EQ(refused.error().code, "ConnectionFailed");

  EXPECT_EQ(svc::ServiceClient::create(io_, "Endpoint=http://h;AccessKey=k", "").error().code,
            "InvalidArgument");
  EXPECT_EQ(svc::ServiceClient::create(io_, "AccessKey=k", "chat").error().code, "InvalidArgument");
  svc::ListOptions bad;
  bad.top = 0;
  auto invalid = service_->listConnectionsInGroup("g", bad, use_future).get();
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, "InvalidArgument");
}

}  // namespace
}  // namespace wps::test

namespace wps::test {
namespace {

// The four send operations put SendOptions::messageTtlSeconds into the query, exactly once, and
// nothing when it is absent (a recording HTTP server stands in for the service).
TEST(SdkServiceTtl, EverySendCarriesMessageTtlSecondsAsAQueryParameter) {
  FakeUpstream fake;
  fake.setHandler([](const RecordedRequest&) { return Reply::status(202); });
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread thread([&io] { io.run(); });
  {
    auto created = svc::ServiceClient::create(
        io, "Endpoint=" + fake.url("") + ";AccessKey=" + kTestKey + ";Version=1.0;", "chat");
    ASSERT_TRUE(created.ok()) << created.error().message;
    auto& client = *created.value();
    svc::SendOptions ttl;
    ttl.messageTtlSeconds = 7;
    auto text = svc::Message::text("x");
    EXPECT_TRUE(client.sendToAll(text, ttl, use_future).get().ok());
    EXPECT_TRUE(client.sendToGroup("g", text, ttl, use_future).get().ok());
    EXPECT_TRUE(client.sendToUser("u", text, ttl, use_future).get().ok());
    EXPECT_TRUE(client.sendToConnection("c", text, ttl, use_future).get().ok());
    ttl.messageTtlSeconds = 0;
    EXPECT_TRUE(client.sendToAll(text, ttl, use_future).get().ok());
    EXPECT_TRUE(client.sendToAll(text, {}, use_future).get().ok());
  }
  work.reset();
  thread.join();
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 6u);
  const char* paths[] = {"/api/hubs/chat/:send", "/api/hubs/chat/groups/g/:send",
                         "/api/hubs/chat/users/u/:send", "/api/hubs/chat/connections/c/:send"};
  for (size_t i = 0; i < 4; ++i) {
    const std::string& target = requests[i].target;
    EXPECT_EQ(target.substr(0, target.find('?')), paths[i]);
    size_t at = target.find("messageTtlSeconds=7");
    EXPECT_NE(at, std::string::npos) << target;
    EXPECT_EQ(target.find("messageTtlSeconds", at + 1), std::string::npos) << target;
  }
  EXPECT_NE(requests[4].target.find("messageTtlSeconds=0"), std::string::npos);
  EXPECT_EQ(requests[5].target.find("messageTtlSeconds"), std::string::npos);
}

}  // namespace
}  // namespace wps::test
