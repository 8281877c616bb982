// Group presence events end to end (client-protocols-1.1.md §2): a real server, real clients
// and REST calls, a FakeUpstream as the event handler. Every source of membership change, the
// group filters, and the order of joined/left relative to connected/disconnected as the
// upstream receives them (the outbox posts a connection's events one at a time, in order).
#include <set>
#include <string>
#include <vector>

#include "auth/jwt.h"
#include "common/time.h"
#include "integration/fixture.h"
#include "support/http_request.h"

namespace wps::test {
namespace {

using Events = std::vector<std::string>;

class GroupPresenceTest : public UpstreamTest {
 protected:
  void configure(config::ServerSettings& s) override {
    config::GroupPresenceSettings& p = s.hubs["chat"].eventHandlers.at(0).groupPresence;
    p.joined = true;
    p.left = true;
    p.groupFilters.push_back(auth::GroupPattern::compile("room-*").value());
    p.groupFilters.push_back(auth::GroupPattern::compile("lobby").value());
  }

  std::string restToken(const std::string& url) const {
    std::string payload = R"({"aud":")" + url + R"(","exp":)" +
                          std::to_string(unixSeconds(WallClock::now()) + 3600) + "}";
    return auth::signJwt(payload, kTestKey);
  }

  // An authenticated REST call on hub "chat"; returns the status.
  int rest(const std::string& method, const std::string& path, const std::string& body = {}) {
    std::string full = "/api/hubs/chat" + path;
    http::HttpHeaders headers = {
        {"Authorization",
         "Bearer " + restToken("http://127.0.0.1:" + std::to_string(port()) + full)}};
    if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
    return httpRequest(port(), method, full + "?api-version=2024-01-01", headers, body).status;
  }

  // Sends a joinGroup/leaveGroup with an ack id and returns whether the ack said success.
  static bool joinLeave(WsClient& c, const std::string& type, const std::string& group, int ack) {
    c.sendText(R"({"type":")" + type + R"(","group":")" + group + R"(","ackId":)" +
               std::to_string(ack) + "}");
    WsMessage m = c.nextData();
    auto v = boost::json::parse(m.data);
    EXPECT_EQ(v.at("ackId").as_int64(), ack) << m.data;
    return v.at("success").as_bool();
  }

  static bool isLifecycle(const RecordedRequest& r) {
    std::string e = r.header("ce-eventName");
    return r.method == "POST" &&
           (e == "connected" || e == "disconnected" || e == "joined" || e == "left");
  }

  // The lifecycle events of `connectionId` in arrival order: "connected", "joined:g", ...
  Events eventsOf(const std::string& connectionId) const {
    Events out;
    for (const auto& r : upstream.requests()) {
      if (!isLifecycle(r) || r.header("ce-connectionId") != connectionId) continue;
      std::string e = r.header("ce-eventName");
      if (e == "joined" || e == "left") {
        e += ":" + std::string(boost::json::parse(r.body).at("group").as_string());
      }
      out.push_back(e);
    }
    return out;
  }

  bool waitForDisconnected(const std::string& connectionId) {
    return upstream.waitFor(
        [&](const RecordedRequest& r) {
          return isLifecycle(r) && r.header("ce-eventName") == "disconnected" &&
                 r.header("ce-connectionId") == connectionId;
        },
        1);
  }
};

TEST_F(GroupPresenceTest, EverySourceOfChangeInConnectionOrder) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() == "connect" && r.header("ce-userId") == "bob") {
      return Reply::text(R"({"groups":["room-c","elsewhere"]})", "application/json");
    }
    return FakeUpstream::defaultReply(r);
  });
  TokenSpec alice;
  alice.userId = "alice";
  alice.roles = {"webpubsub.joinLeaveGroup.room-1", "webpubsub.joinLeaveGroup.other"};
  alice.groups = {"lobby"};  // initial group from the token
  boost::json::object ca, cb;
  auto a = jsonClient(alice, &ca);
  ASSERT_TRUE(a);
  TokenSpec bob;
  bob.userId = "bob";
  auto b = jsonClient(bob, &cb);
  ASSERT_TRUE(b);
  const std::string ida(ca.at("connectionId").as_string());
  const std::string idb(cb.at("connectionId").as_string());

  // Client requests: a real join, a repeated join, a filtered-out group, a leave of a group
  // not joined, a refused join (Forbidden), a real leave.
  EXPECT_TRUE(joinLeave(*a, "joinGroup", "room-1", 1));
  EXPECT_TRUE(joinLeave(*a, "joinGroup", "room-1", 2));
  EXPECT_TRUE(joinLeave(*a, "joinGroup", "other", 3));
  EXPECT_TRUE(joinLeave(*a, "leaveGroup", "room-1", 4));
  EXPECT_TRUE(joinLeave(*a, "leaveGroup", "room-1", 5));
  EXPECT_FALSE(joinLeave(*a, "joinGroup", "room-9", 6));
  // REST: by connection, by user, by filter, and remove from all groups.
  EXPECT_EQ(rest("PUT", "/groups/room-2/connections/" + ida), 200);
  EXPECT_EQ(rest("PUT", "/groups/room-2/connections/" + ida), 200);  // no change
  EXPECT_EQ(rest("PUT", "/users/bob/groups/room-3"), 200);
  EXPECT_EQ(rest("POST", "/:addToGroups", R"({"groups":["room-4"],"filter":"userId eq 'alice'"})"),
            200);
  EXPECT_EQ(rest("DELETE", "/groups/room-2/connections/" + ida), 204);
  EXPECT_EQ(rest("DELETE", "/users/bob/groups/room-3"), 204);
  EXPECT_EQ(rest("POST", "/:removeFromGroups",
                 R"({"groups":["room-4","room-c"],"filter":"userId eq 'bob'"})"),
            200);
  EXPECT_EQ(rest("PUT", "/users/bob/groups/room-5"), 200);
  EXPECT_EQ(rest("DELETE", "/connections/" + ida + "/groups"), 204);
  // Session ends: a client close (a) and a REST close (b).
  a->sendClose(1000);
  a->waitForClose();
  EXPECT_EQ(rest("DELETE", "/connections/" + idb), 204);
  b->waitForClose();  // answers the server's close frame
  ASSERT_TRUE(waitForDisconnected(ida));
  ASSERT_TRUE(waitForDisconnected(idb));

  EXPECT_EQ(eventsOf(ida),
            (Events{"connected", "joined:lobby", "joined:room-1", "left:room-1", "joined:room-2",
                    "joined:room-4", "left:room-2", "left:lobby", "left:room-4", "disconnected"}));
  EXPECT_EQ(eventsOf(idb), (Events{"connected", "joined:room-c", "joined:room-3", "left:room-3",
                                   "left:room-c", "joined:room-5", "left:room-5", "disconnected"}));
  auto joined = upstream.requestsFor("joined");
  ASSERT_FALSE(joined.empty());
  const RecordedRequest& j = joined.front();
  EXPECT_EQ(j.target, "/upstream/chat/joined");
  EXPECT_EQ(j.header("ce-type"), "azure.webpubsub.gp.joined");
  EXPECT_EQ(j.header("Content-Type"), "application/json");
  EXPECT_EQ(j.header("ce-userId"), "alice");
  EXPECT_EQ(j.header("ce-subprotocol"), "json.webpubsub.azure.v1");
  EXPECT_EQ(j.header("ce-hub"), "chat");
  EXPECT_EQ(j.header("ce-awpsversion"), "1.0");
  EXPECT_FALSE(j.header("ce-signature").empty());
  EXPECT_FALSE(j.header("WebHook-Request-Origin").empty());
  auto left = upstream.requestsFor("left");
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left.front().header("ce-type"), "azure.webpubsub.gp.left");
  // ce-ids of one connection are distinct (the shared counter).
  std::set<std::string> ids;
  for (const auto& r : upstream.requests()) {
    if (isLifecycle(r) && r.header("ce-connectionId") == ida) ids.insert(r.header("ce-id"));
  }
  EXPECT_EQ(ids.size(), eventsOf(ida).size());
}

TEST_F(GroupPresenceTest, FailingPresenceAnswersNeverAffectTheClient) {
  upstream.setHandler([](const RecordedRequest& r) {
    std::string e = r.header("ce-eventName");
    if (r.method == "POST" && (e == "joined" || e == "left")) return Reply::status(404);
    return FakeUpstream::defaultReply(r);
  });
  TokenSpec t;
  t.userId = "carol";
  t.roles = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"};
  boost::json::object connected;
  auto c = jsonClient(t, &connected);
  ASSERT_TRUE(c);
  const std::string id(connected.at("connectionId").as_string());
  EXPECT_TRUE(joinLeave(*c, "joinGroup", "room-1", 1));
  ASSERT_TRUE(upstream.waitForEvent("joined"));
  // The client still gets group messages and can leave.
  c->sendText(R"({"type":"sendToGroup","group":"room-1","data":"hi","ackId":2})");
  int seen = 0;
  for (int i = 0; i < 2; ++i) {
    auto v = boost::json::parse(c->nextData().data);
    if (v.at("type") == "ack") {
      EXPECT_TRUE(v.at("success").as_bool());
    } else {
      EXPECT_EQ(v.at("data"), "hi");
    }
    ++seen;
  }
  EXPECT_EQ(seen, 2);
  EXPECT_TRUE(joinLeave(*c, "leaveGroup", "room-1", 3));
  c->sendClose(1000);
  c->waitForClose();
  ASSERT_TRUE(waitForDisconnected(id));
  EXPECT_EQ(eventsOf(id), (Events{"connected", "joined:room-1", "left:room-1", "disconnected"}));
}

}  // namespace
}  // namespace wps::test
