// group_presence_events of an event handler (client-protocols-1.1.md §2.1): what is read, and
// the load error for every kind of bad value, naming the key.
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"

namespace wps::config {
namespace {

const std::string kHandler = "[[hubs.chat.event_handlers]]\nurl_template = \"http://up/{event}\"\n";
const std::string kKey = "hubs.chat.event_handlers[0].group_presence_events";

StatusOr<ServerSettings> loadWith(const std::string& presence) {
  return loadSettings(kHandler + "group_presence_events = " + presence + "\n");
}

std::string errorOf(const std::string& presence) {
  auto s = loadWith(presence);
  EXPECT_FALSE(s.isOk()) << presence;
  return s ? std::string() : s.status().message();
}

const GroupPresenceSettings& presenceOf(const StatusOr<ServerSettings>& s) {
  return s->hubs.at("chat").eventHandlers.at(0).groupPresence;
}

TEST(GroupPresenceKeysTest, AbsentMeansNone) {
  auto s = loadSettings(kHandler);
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  EXPECT_FALSE(presenceOf(s).joined);
  EXPECT_FALSE(presenceOf(s).left);
  EXPECT_TRUE(presenceOf(s).groupFilters.empty());
}

TEST(GroupPresenceKeysTest, ReadsNamesCaseInsensitivelyAndFilters) {
  auto s = loadWith(R"({ event_names = ["Joined", "LEFT"], group_filters = ["room-*", "lobby"] })");
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  const GroupPresenceSettings& p = presenceOf(s);
  EXPECT_TRUE(p.joined);
  EXPECT_TRUE(p.left);
  ASSERT_EQ(p.groupFilters.size(), 2u);
  EXPECT_TRUE(p.groupFilters[0].matches("room-1"));
  EXPECT_FALSE(p.groupFilters[0].matches("room.1"));  // '*' stays within a segment
  EXPECT_TRUE(p.groupFilters[1].matches("lobby"));
  EXPECT_FALSE(p.groupFilters[1].matches("lobby2"));
}

TEST(GroupPresenceKeysTest, OneEventOnlyAndEmptyLists) {
  auto s = loadWith(R"({ event_names = ["left"] })");
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  EXPECT_FALSE(presenceOf(s).joined);
  EXPECT_TRUE(presenceOf(s).left);
  auto none = loadWith(R"({ event_names = [], group_filters = [] })");
  ASSERT_TRUE(none.isOk()) << none.status().toString();
  EXPECT_FALSE(presenceOf(none).joined);
  EXPECT_FALSE(presenceOf(none).left);
}

TEST(GroupPresenceKeysTest, ErrorsNameTheKey) {
  EXPECT_EQ(errorOf("true"), kKey + ": must be a table");
  EXPECT_EQ(errorOf(R"({ eventNames = ["joined"] })"), kKey + ".eventNames: unknown key");
  EXPECT_EQ(errorOf(R"({ event_names = "joined" })"),
            kKey + ".event_names: must be an array of strings");
  EXPECT_EQ(errorOf(R"({ event_names = ["joined", "connected"] })"),
            kKey + ".event_names[1]: 'connected' is not a group presence event (joined, left)");
  EXPECT_EQ(errorOf(R"({ event_names = ["joined"], group_filters = [1] })"),
            kKey + ".group_filters[0]: must be a string");
  EXPECT_EQ(errorOf(R"({ event_names = ["joined"], group_filters = ["a", ""] })"),
            kKey + ".group_filters[1]: the pattern is empty");
  EXPECT_EQ(errorOf(R"({ event_names = ["joined"], group_filters = ["a\\"] })"),
            kKey + ".group_filters[0]: the pattern ends with a lone backslash");
  EXPECT_EQ(errorOf(R"({ event_names = ["joined"], group_filters = ["*-*-*-*-*-*"] })"),
            kKey + ".group_filters[0]: the pattern has more than 5 '*' characters");
}

}  // namespace
}  // namespace wps::config
