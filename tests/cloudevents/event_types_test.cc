// ce-type and ce-eventName values (upstream-cloudevents.md §3.3).
#include "cloudevents/event_types.h"

#include <gtest/gtest.h>

namespace wps::cloudevents {
namespace {

TEST(EventTypesTest, SystemEventTypes) {
  EXPECT_EQ(ceType(EventKind::kConnect, ""), "azure.webpubsub.sys.connect");
  EXPECT_EQ(ceType(EventKind::kConnected, ""), "azure.webpubsub.sys.connected");
  EXPECT_EQ(ceType(EventKind::kDisconnected, ""), "azure.webpubsub.sys.disconnected");
  // A user event name given with a system kind is ignored.
  EXPECT_EQ(ceType(EventKind::kConnected, "message"), "azure.webpubsub.sys.connected");
}

TEST(EventTypesTest, UserEventTypes) {
  EXPECT_EQ(ceType(EventKind::kUser, "message"), "azure.webpubsub.user.message");
  EXPECT_EQ(ceType(EventKind::kUser, "processOrder"), "azure.webpubsub.user.processOrder");
}

TEST(EventTypesTest, EventNames) {
  EXPECT_EQ(ceEventName(EventKind::kConnect, "x"), "connect");
  EXPECT_EQ(ceEventName(EventKind::kConnected, "x"), "connected");
  EXPECT_EQ(ceEventName(EventKind::kDisconnected, "x"), "disconnected");
  EXPECT_EQ(ceEventName(EventKind::kUser, "message"), "message");
  EXPECT_EQ(ceEventName(EventKind::kUser, "Custom.Event-1"), "Custom.Event-1");
}

TEST(EventTypesTest, BlockingEvents) {
  EXPECT_TRUE(isBlocking(EventKind::kConnect));
  EXPECT_TRUE(isBlocking(EventKind::kUser));
  EXPECT_FALSE(isBlocking(EventKind::kConnected));
  EXPECT_FALSE(isBlocking(EventKind::kDisconnected));
}

TEST(EventTypesTest, Versions) {
  EXPECT_EQ(kSpecVersion, "1.0");
  EXPECT_EQ(kAwpsVersion, "1.0");
  EXPECT_EQ(kEventValidate, "validate");
}

}  // namespace
}  // namespace wps::cloudevents
