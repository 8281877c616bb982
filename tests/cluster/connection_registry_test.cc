// The registry's value format, the dead-node event made from it, and the tracker that mirrors
// this node's connections (no Redis: the tracker's changes are read directly).
#include "cluster/connection_registry.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>

#include "cluster/connection_tracker.h"
#include "cluster/recording_outbox.h"
#include "delivery/outbox.h"

namespace wps::cluster {
namespace {

using delivery::ConnectionRecord;
using delivery::PendingEvent;

TEST(ConnectionRegistry, KeysUseThePrefixAndTheNodeId) {
  EXPECT_EQ(connectionsKey("wps", "n-1"), "wps:conns:n-1");
  EXPECT_EQ(claimKey("wps", "n-1"), "wps:claim:n-1");
  EXPECT_EQ(deadNodesKey("x"), "x:dead");
}

TEST(ConnectionRegistry, EntryRoundTripsEveryMember) {
  ConnectionRecord r{"chat", "c1", std::string("alice \"a\""), "json.webpubsub.azure.v1",
                     "{\"k\":1}"};
  std::string value = encodeRegistryEntry(r);
  auto v = boost::json::parse(value).as_object();
  EXPECT_EQ(v.at("hub"), "chat");
  EXPECT_EQ(v.at("userId"), "alice \"a\"");
  EXPECT_EQ(v.at("connectionState"), "{\"k\":1}");
  auto back = decodeRegistryEntry("c1", value);
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(back->hub, "chat");
  EXPECT_EQ(back->connectionId, "c1");
  EXPECT_EQ(back->userId, std::optional<std::string>("alice \"a\""));
  EXPECT_EQ(back->subprotocol, "json.webpubsub.azure.v1");
  EXPECT_EQ(back->connectionState, "{\"k\":1}");
}

TEST(ConnectionRegistry, EmptyMembersAreLeftOutAndAnAnonymousUserStaysAnonymous) {
  ConnectionRecord r{"chat", "c2", std::nullopt, "", ""};
  EXPECT_EQ(encodeRegistryEntry(r), R"({"hub":"chat"})");
  auto back = decodeRegistryEntry("c2", encodeRegistryEntry(r));
  ASSERT_TRUE(back.isOk());
  EXPECT_FALSE(back->userId.has_value());
  // An empty user id is a user id.
  r.userId = "";
  back = decodeRegistryEntry("c2", encodeRegistryEntry(r));
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ(back->userId, std::optional<std::string>(""));
}

TEST(ConnectionRegistry, MalformedEntriesAreErrors) {
  for (const char* bad : {"", "[]", "{", R"({"userId":"u"})", R"({"hub":1})",
                          R"({"hub":"h","userId":5})", R"({"hub":""})"}) {
    auto r = decodeRegistryEntry("c", bad);
    ASSERT_FALSE(r.isOk()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ConnectionRegistry, NodeStoppedEventCarriesTheRecordAndTheFixedReasonAndCeId) {
  PendingEvent e =
      nodeStoppedEvent(ConnectionRecord{"chat", "c1", std::string("u"), "sp", "st"}, 1234);
  EXPECT_EQ(e.kind, cloudevents::EventKind::kDisconnected);
  EXPECT_EQ(e.hub, "chat");
  EXPECT_EQ(e.connectionId, "c1");
  EXPECT_EQ(e.userId, std::optional<std::string>("u"));
  EXPECT_EQ(e.subprotocol, "sp");
  EXPECT_EQ(e.connectionState, "st");
  EXPECT_EQ(e.ceId, delivery::kRecoveredCeId);
  EXPECT_EQ(e.timeMs, 1234);
  EXPECT_EQ(e.contentType, "application/json");
  EXPECT_EQ(boost::json::parse(e.body).at("reason"), "The server node stopped.");
}

PendingEvent event(cloudevents::EventKind kind, const std::string& id, std::string state = "") {
  PendingEvent e;
  e.kind = kind;
  e.hub = "chat";
  e.connectionId = id;
  e.userId = "u-" + id;
  e.connectionState = std::move(state);
  return e;
}

// The tracker's waiting changes, sorted by connection id: "id=value" or "id=-" (removed).
std::vector<std::string> changes(ConnectionTracker& t) {
  std::vector<std::string> out;
  for (auto& c : t.takeChanges())
    out.push_back(c.connectionId + "=" + (c.value ? *c.value : "-"));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ConnectionTracker, ForwardsEverythingAndCoalescesChangesPerConnection) {
  test::RecordingOutbox inner;
  int cues = 0;
  ConnectionTracker t(inner, [&cues] { ++cues; });
  t.accept(event(cloudevents::EventKind::kConnected, "a", "s0"));
  t.accept(event(cloudevents::EventKind::kConnected, "b"));
  t.updateConnectionState("a", "s1");
  t.accept(event(cloudevents::EventKind::kUser, "b"));  // not an unblocking event: no change
  EXPECT_EQ(cues, 1);                                   // one cue until the changes are taken
  EXPECT_EQ(inner.events().size(), 3u);
  EXPECT_EQ(inner.states().size(), 1u);
  EXPECT_EQ(changes(t),
            (std::vector<std::string>{R"(a={"hub":"chat","userId":"u-a","connectionState":"s1"})",
                                      R"(b={"hub":"chat","userId":"u-b"})"}));
  EXPECT_TRUE(changes(t).empty());
  // Opened and closed between two takes: only the removal is left.
  t.accept(event(cloudevents::EventKind::kConnected, "c"));
  t.accept(event(cloudevents::EventKind::kDisconnected, "c"));
  t.accept(event(cloudevents::EventKind::kDisconnected, "a"));
  EXPECT_EQ(cues, 2);
  EXPECT_EQ(changes(t), (std::vector<std::string>{"a=-", "c=-"}));
  EXPECT_EQ(t.size(), 1u);
}

// A connection whose connected event is not delivered (recordConnection) is registered as a
// connected one is, so a dead node's registry still names it.
TEST(ConnectionTracker, RecordedConnectionsAreRegisteredAndForwarded) {
  test::RecordingOutbox inner;
  int cues = 0;
  ConnectionTracker t(inner, [&cues] { ++cues; });
  t.recordConnection({"chat", "r1", std::string("u-r1"), "json.webpubsub.azure.v1", "", "o"});
  EXPECT_EQ(cues, 1);
  ASSERT_EQ(inner.records().size(), 1u);  // forwarded to the node's outbox
  EXPECT_EQ(inner.records()[0].connectionId, "r1");
  EXPECT_EQ(inner.records()[0].origin, "o");
  EXPECT_TRUE(inner.events().empty());
  EXPECT_EQ(changes(t),
            (std::vector<std::string>{
                R"(r1={"hub":"chat","userId":"u-r1","subprotocol":"json.webpubsub.azure.v1"})"}));
  t.updateConnectionState("r1", "s1");
  EXPECT_EQ(
      changes(t),
      (std::vector<std::string>{
          R"(r1={"hub":"chat","userId":"u-r1","subprotocol":"json.webpubsub.azure.v1","connectionState":"s1"})"}));
  EXPECT_EQ(t.snapshot().size(), 1u);
  t.accept(event(cloudevents::EventKind::kDisconnected, "r1"));
  EXPECT_EQ(changes(t), (std::vector<std::string>{"r1=-"}));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(cues, 3);
}

TEST(ConnectionTracker, UnknownConnectionsAndUnchangedStatesChangeNothing) {
  test::RecordingOutbox inner;
  int cues = 0;
  ConnectionTracker t(inner, [&cues] { ++cues; });
  t.updateConnectionState("nobody", "s");
  t.accept(event(cloudevents::EventKind::kDisconnected, "nobody"));
  EXPECT_EQ(cues, 0);
  EXPECT_TRUE(changes(t).empty());
  EXPECT_EQ(inner.states().size(), 1u);  // still forwarded
  EXPECT_EQ(inner.events().size(), 1u);
  t.accept(event(cloudevents::EventKind::kConnected, "a", "s"));
  changes(t);
  t.updateConnectionState("a", "s");
  EXPECT_TRUE(changes(t).empty());
}

TEST(ConnectionTracker, SnapshotHoldsEveryLiveConnectionAndSupersedesWaitingChanges) {
  test::RecordingOutbox inner;
  ConnectionTracker t(inner, nullptr);
  for (int i = 0; i < 100; ++i)
    t.accept(event(cloudevents::EventKind::kConnected, "c" + std::to_string(i)));
  for (int i = 0; i < 100; i += 2)
    t.accept(event(cloudevents::EventKind::kDisconnected, "c" + std::to_string(i)));
  auto all = t.snapshot();
  ASSERT_EQ(all.size(), 50u);
  for (const auto& [id, value] : all) {
    EXPECT_EQ(std::stoi(id.substr(1)) % 2, 1) << id;
    auto r = decodeRegistryEntry(id, value);
    ASSERT_TRUE(r.isOk());
    EXPECT_EQ(r->userId, std::optional<std::string>("u-" + id));
  }
  EXPECT_TRUE(changes(t).empty());
}

}  // namespace
}  // namespace wps::cluster
