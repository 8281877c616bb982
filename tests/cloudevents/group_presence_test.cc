// Group presence events (client-protocols-1.1.md §2.2): ce-type, ce-eventName, the body and
// the headers shared with `connected`.
#include "cloudevents/group_presence.h"

#include <gtest/gtest.h>

#include "cloudevents/request_builder.h"
#include "cloudevents/url_template.h"

namespace wps::cloudevents {
namespace {

std::optional<std::string> header(const http::HttpRequest& r, std::string_view name) {
  std::optional<std::string> found;
  for (const auto& h : r.headers) {
    if (h.name == name) {
      EXPECT_FALSE(found.has_value()) << "duplicate header " << name;
      found = h.value;
    }
  }
  return found;
}

EventAttributes attributes(EventKind kind) {
  EventAttributes a;
  a.kind = kind;
  a.userEventName = "room-1";  // the group: used for handler selection only
  a.hub = "chat";
  a.connectionId = "conn1";
  a.userId = "user1";
  a.subprotocol = "json.webpubsub.azure.v1";
  a.connectionState = "e30=";
  a.signature = "sha256=abc";
  a.id = "7";
  a.time = WallTime(std::chrono::seconds(1714557600));
  a.origin = "pubsub.example.com";
  return a;
}

TEST(GroupPresenceTest, TypesAndNames) {
  EXPECT_EQ(ceType(EventKind::kGroupJoined, "ignored"), "azure.webpubsub.gp.joined");
  EXPECT_EQ(ceType(EventKind::kGroupLeft, "ignored"), "azure.webpubsub.gp.left");
  EXPECT_EQ(ceEventName(EventKind::kGroupJoined, "room-1"), "joined");
  EXPECT_EQ(ceEventName(EventKind::kGroupLeft, "room-1"), "left");
  EXPECT_FALSE(isBlocking(EventKind::kGroupJoined));
  EXPECT_FALSE(isBlocking(EventKind::kGroupLeft));
  EXPECT_TRUE(isGroupPresence(EventKind::kGroupLeft));
  EXPECT_FALSE(isGroupPresence(EventKind::kConnected));
  EXPECT_FALSE(isGroupPresence(EventKind::kUser));
}

TEST(GroupPresenceTest, BodyEscapesAndParsesBack) {
  EXPECT_EQ(groupPresenceBody("room-1"), R"({"group":"room-1"})");
  std::string odd = "a\"b\\c\xc3\xa9\x01";
  std::string body = groupPresenceBody(odd);
  EXPECT_EQ(groupOfPresenceBody(body), odd);
  EXPECT_EQ(groupOfPresenceBody(R"({"reason":"x"})"), std::nullopt);
  EXPECT_EQ(groupOfPresenceBody(R"({"group":1})"), std::nullopt);
  EXPECT_EQ(groupOfPresenceBody("not json"), std::nullopt);
  EXPECT_EQ(groupOfPresenceBody(""), std::nullopt);
}

TEST(GroupPresenceTest, JoinedRequestCarriesTheConnectedHeaders) {
  auto tmpl = UrlTemplate::parse("http://up/api/{hub}/{event}");
  ASSERT_TRUE(tmpl.isOk());
  EventAttributes a = attributes(EventKind::kGroupJoined);
  std::string url = tmpl->resolve("chat", ceEventName(a.kind, a.userEventName));
  EXPECT_EQ(url, "http://up/api/chat/joined");
  http::HttpRequest r =
      buildEventRequest(url, a, kGroupPresenceContentType, groupPresenceBody("room-1"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body, R"({"group":"room-1"})");
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
  EXPECT_EQ(header(r, "ce-type"), "azure.webpubsub.gp.joined");
  EXPECT_EQ(header(r, "ce-eventName"), "joined");
  EXPECT_EQ(header(r, "ce-awpsversion"), "1.0");
  EXPECT_EQ(header(r, "ce-hub"), "chat");
  EXPECT_EQ(header(r, "ce-source"), "/hubs/chat/client/conn1");
  EXPECT_EQ(header(r, "ce-connectionId"), "conn1");
  EXPECT_EQ(header(r, "ce-userId"), "user1");
  EXPECT_EQ(header(r, "ce-id"), "7");
  EXPECT_EQ(header(r, "ce-signature"), "sha256=abc");
  EXPECT_EQ(header(r, "ce-subprotocol"), "json.webpubsub.azure.v1");
  EXPECT_EQ(header(r, "ce-connectionState"), "e30=");
  EXPECT_EQ(header(r, "WebHook-Request-Origin"), "pubsub.example.com");
}

TEST(GroupPresenceTest, LeftWithoutUserOrSubprotocolOmitsThem) {
  EventAttributes a = attributes(EventKind::kGroupLeft);
  a.userId.reset();
  a.subprotocol.reset();
  a.connectionState = {};
  http::HttpRequest r =
      buildEventRequest("http://up/left", a, kGroupPresenceContentType, groupPresenceBody("lobby"));
  EXPECT_EQ(header(r, "ce-type"), "azure.webpubsub.gp.left");
  EXPECT_EQ(header(r, "ce-eventName"), "left");
  EXPECT_EQ(header(r, "ce-userId"), std::nullopt);
  EXPECT_EQ(header(r, "ce-subprotocol"), std::nullopt);
  EXPECT_EQ(header(r, "ce-connectionState"), std::nullopt);
  EXPECT_EQ(r.body, R"({"group":"lobby"})");
}

}  // namespace
}  // namespace wps::cloudevents
