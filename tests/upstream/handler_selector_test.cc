// Event matching and handler selection (upstream-cloudevents.md §2.3-§2.4).
#include "upstream/handler_selector.h"

#include <gtest/gtest.h>

#include "config/loader.h"

namespace wps::upstream {
namespace {

using cloudevents::EventKind;

config::EventHandlerSettings handler(std::string url, std::vector<std::string> userEvents,
                                     std::vector<std::string> systemEvents = {}) {
  auto t = cloudevents::UrlTemplate::parse(url);
  EXPECT_TRUE(t.isOk());
  config::EventHandlerSettings h{*t, std::move(userEvents), std::move(systemEvents), {}, {}};
  return h;
}

// Settings of one hub "chat" whose only handler has the given pattern and system events, loaded
// through the config loader as a user would write them.
config::ServerSettings loadHandler(std::string_view pattern, std::string_view systemEvents) {
  std::string toml = "[[hubs.chat.event_handlers]]\nurl_template = \"http://up/{event}\"\n";
  toml += "user_event_pattern = \"" + std::string(pattern) + "\"\n";
  toml += "system_events = " + std::string(systemEvents) + "\n";
  auto s = config::loadSettings(toml);
  EXPECT_TRUE(s.isOk()) << s.status().toString();
  return s ? std::move(s.value()) : config::ServerSettings{};
}

bool userMatches(std::string_view pattern, std::string_view event) {
  auto s = loadHandler(pattern, "[]");
  const auto& hub = config::hubSettings(s, "chat");
  if (hub.eventHandlers.size() != 1) return false;
  return handlerMatches(hub.eventHandlers[0], EventKind::kUser, event);
}

TEST(HandlerMatchesTest, StarMatchesEveryUserEvent) {
  EXPECT_TRUE(userMatches("*", "message"));
  EXPECT_TRUE(userMatches("*", "processOrder"));
  EXPECT_TRUE(userMatches("*", "A.b-c_d"));
}

TEST(HandlerMatchesTest, SingleName) {
  EXPECT_TRUE(userMatches("chat", "chat"));
  EXPECT_FALSE(userMatches("chat", "chats"));
  EXPECT_FALSE(userMatches("chat", "cha"));
  EXPECT_FALSE(userMatches("chat", "message"));
}

TEST(HandlerMatchesTest, ListItemsAreTrimmed) {
  EXPECT_TRUE(userMatches("a,b,c", "b"));
  EXPECT_TRUE(userMatches(" a , b ,c ", "a"));
  EXPECT_TRUE(userMatches(" a , b ,c ", "b"));
  EXPECT_TRUE(userMatches(" a , b ,c ", "c"));
  EXPECT_FALSE(userMatches(" a , b ,c ", "d"));
  EXPECT_FALSE(userMatches("a,b", "a,b"));
}

TEST(HandlerMatchesTest, NamesAreCaseInsensitive) {
  EXPECT_TRUE(userMatches("Message", "message"));
  EXPECT_TRUE(userMatches("message", "MESSAGE"));
  EXPECT_TRUE(userMatches("ProcessOrder, other", "processorder"));
}

TEST(HandlerMatchesTest, EmptyPatternMatchesNothing) {
  EXPECT_FALSE(userMatches("", "message"));
  EXPECT_FALSE(userMatches(" ", "message"));
  // A handler built without any pattern.
  EXPECT_FALSE(handlerMatches(handler("http://up/", {}), EventKind::kUser, "message"));
  EXPECT_FALSE(handlerMatches(handler("http://up/", {}), EventKind::kUser, ""));
}

TEST(HandlerMatchesTest, SimpleClientsNeedMessageInThePattern) {
  EXPECT_TRUE(userMatches("*", "message"));
  EXPECT_TRUE(userMatches("chat,message", "message"));
  EXPECT_FALSE(userMatches("chat,messages", "message"));
}

TEST(HandlerMatchesTest, UserPatternDoesNotSelectSystemEvents) {
  auto h = handler("http://up/", {"*"});
  EXPECT_FALSE(handlerMatches(h, EventKind::kConnect, ""));
  EXPECT_FALSE(handlerMatches(h, EventKind::kConnected, ""));
  EXPECT_FALSE(handlerMatches(h, EventKind::kDisconnected, ""));
  // A user event named like a system event is still a user event.
  auto sys = handler("http://up/", {}, {"connect"});
  EXPECT_FALSE(handlerMatches(sys, EventKind::kUser, "connect"));
  EXPECT_TRUE(handlerMatches(sys, EventKind::kConnect, ""));
}

TEST(HandlerMatchesTest, SystemEventsAreCaseInsensitive) {
  auto s = loadHandler("", R"(["CONNECTED", "Disconnected"])");
  const auto& hub = config::hubSettings(s, "chat");
  ASSERT_EQ(hub.eventHandlers.size(), 1u);
  EXPECT_TRUE(handlerMatches(hub.eventHandlers[0], EventKind::kConnected, ""));
  EXPECT_TRUE(handlerMatches(hub.eventHandlers[0], EventKind::kDisconnected, ""));
  EXPECT_FALSE(handlerMatches(hub.eventHandlers[0], EventKind::kConnect, ""));
  // Also when a handler is built directly with mixed case.
  auto h = handler("http://up/", {}, {"Connect"});
  EXPECT_TRUE(handlerMatches(h, EventKind::kConnect, ""));
  EXPECT_FALSE(handlerMatches(h, EventKind::kConnected, ""));
}

TEST(HandlerMatchesTest, DirectlyBuiltUserPatternIsCaseInsensitive) {
  auto h = handler("http://up/", {"ProcessOrder"});
  EXPECT_TRUE(handlerMatches(h, EventKind::kUser, "processorder"));
  EXPECT_TRUE(handlerMatches(h, EventKind::kUser, "PROCESSORDER"));
}

TEST(SelectHandlerTest, FirstMatchWins) {
  config::HubSettings hub;
  hub.eventHandlers.push_back(handler("http://first/", {"a"}, {"connected"}));
  hub.eventHandlers.push_back(handler("http://second/", {"*"}, {"connect", "connected"}));
  hub.eventHandlers.push_back(handler("http://third/", {"b"}, {"disconnected"}));

  auto url = [&](EventKind kind, std::string_view name) -> std::string {
    const auto* h = selectHandler(hub, kind, name);
    return h ? h->urlTemplate.text() : "none";
  };
  EXPECT_EQ(url(EventKind::kUser, "a"), "http://first/");
  EXPECT_EQ(url(EventKind::kUser, "A"), "http://first/");
  EXPECT_EQ(url(EventKind::kUser, "b"), "http://second/");  // never reaches the third
  EXPECT_EQ(url(EventKind::kUser, "message"), "http://second/");
  EXPECT_EQ(url(EventKind::kConnected, ""), "http://first/");
  EXPECT_EQ(url(EventKind::kConnect, ""), "http://second/");
  EXPECT_EQ(url(EventKind::kDisconnected, ""), "http://third/");
}

TEST(SelectHandlerTest, NoMatchGivesNull) {
  config::HubSettings hub;
  EXPECT_EQ(selectHandler(hub, EventKind::kConnect, ""), nullptr);
  hub.eventHandlers.push_back(handler("http://first/", {"a"}));
  EXPECT_EQ(selectHandler(hub, EventKind::kUser, "b"), nullptr);
  EXPECT_EQ(selectHandler(hub, EventKind::kConnect, ""), nullptr);
  EXPECT_NE(selectHandler(hub, EventKind::kUser, "a"), nullptr);
}

TEST(SelectHandlerTest, OrderFromTheConfigFileIsKept) {
  auto s = config::loadSettings(R"(
[[hubs.chat.event_handlers]]
url_template = "http://one/{event}"
user_event_pattern = "chat"

[[hubs.chat.event_handlers]]
url_template = "http://two/{event}"
user_event_pattern = "*"
system_events = ["connect"]
)");
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  const auto& hub = config::hubSettings(*s, "chat");
  ASSERT_EQ(hub.eventHandlers.size(), 2u);
  EXPECT_EQ(selectHandler(hub, EventKind::kUser, "CHAT"), &hub.eventHandlers[0]);
  EXPECT_EQ(selectHandler(hub, EventKind::kUser, "other"), &hub.eventHandlers[1]);
  EXPECT_EQ(selectHandler(hub, EventKind::kConnect, ""), &hub.eventHandlers[1]);
  EXPECT_EQ(selectHandler(hub, EventKind::kConnected, ""), nullptr);
}

}  // namespace
}  // namespace wps::upstream

// --- Group presence events (client-protocols-1.1.md §2.1) ----------------------------------

namespace wps::upstream {
namespace {

config::ServerSettings loadPresence(std::string_view handlersToml) {
  auto s = config::loadSettings(handlersToml);
  EXPECT_TRUE(s.isOk()) << s.status().toString();
  return s ? std::move(s.value()) : config::ServerSettings{};
}

TEST(GroupPresenceSelectionTest, OnlyOptedInHandlersAndEnabledNames) {
  auto s = loadPresence(R"(
[[hubs.chat.event_handlers]]
url_template = "http://all/{event}"
user_event_pattern = "*"
system_events = ["connect", "connected", "disconnected"]
[[hubs.chat.event_handlers]]
url_template = "http://presence/{event}"
group_presence_events = { event_names = ["joined"] }
)");
  const auto& hub = config::hubSettings(s, "chat");
  // systemEvents and "*" do not take presence events: only group_presence_events does.
  EXPECT_FALSE(handlerMatches(hub.eventHandlers[0], EventKind::kGroupJoined, "g"));
  const auto* joined = selectHandler(hub, EventKind::kGroupJoined, "any.group");
  ASSERT_NE(joined, nullptr);
  EXPECT_EQ(joined->urlTemplate.resolve("chat", "joined"), "http://presence/joined");
  EXPECT_EQ(selectHandler(hub, EventKind::kGroupLeft, "any.group"), nullptr);
}

TEST(GroupPresenceSelectionTest, FiltersUseTheRoleGrammarAndFirstMatchWins) {
  auto s = loadPresence(R"(
[[hubs.chat.event_handlers]]
url_template = "http://rooms/{event}"
group_presence_events = { event_names = ["joined", "left"], group_filters = ["room-*", "lobby"] }
[[hubs.chat.event_handlers]]
url_template = "http://rest/{event}"
group_presence_events = { event_names = ["left"], group_filters = ["**"] }
)");
  const auto& hub = config::hubSettings(s, "chat");
  auto urlOf = [&](EventKind kind, std::string_view group) -> std::string {
    const auto* h = selectHandler(hub, kind, group);
    return h ? h->urlTemplate.resolve("chat", cloudevents::ceEventName(kind, group)) : "none";
  };
  EXPECT_EQ(urlOf(EventKind::kGroupJoined, "room-1"), "http://rooms/joined");
  EXPECT_EQ(urlOf(EventKind::kGroupJoined, "lobby"), "http://rooms/joined");
  EXPECT_EQ(urlOf(EventKind::kGroupJoined, "Lobby"), "none");   // case-sensitive, as roles
  EXPECT_EQ(urlOf(EventKind::kGroupJoined, "room.1"), "none");  // '*' stays in a segment
  EXPECT_EQ(urlOf(EventKind::kGroupLeft, "room-1"), "http://rooms/left");
  EXPECT_EQ(urlOf(EventKind::kGroupLeft, "room.1"), "http://rest/left");
  EXPECT_EQ(urlOf(EventKind::kGroupLeft, "other"), "http://rest/left");
}

}  // namespace
}  // namespace wps::upstream
