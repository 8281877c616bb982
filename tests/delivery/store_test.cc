// The OutboxStore contract, run against every store (typed suite): ordering per connection,
// leases, due times, totals, expiry and overflow drops, connection records.
#include <gtest/gtest.h>

#include <memory>

#include "delivery/memory_store.h"
#include "delivery/sqlite_store.h"
#include "delivery/store_fixture.h"

namespace wps::delivery {
namespace {

using test::appendAll;
using test::connected;
using test::disconnected;
using test::removeSeqs;
using test::reschedule;
using test::seqsOf;
using test::take;
using Seqs = std::vector<uint64_t>;

struct MemoryFactory {
  static std::unique_ptr<OutboxStore> make(const std::string& /*dir*/) {
    return std::make_unique<MemoryStore>();
  }
};

struct SqliteFactory {
  static std::unique_ptr<OutboxStore> make(const std::string& dir) {
    auto store = SqliteStore::open(dir, config::DeliverySettings::Sync::kNormal);
    EXPECT_TRUE(store.isOk()) << store.status().toString();
    return store.isOk() ? std::move(store).value() : nullptr;
  }
};

template <class Factory>
class StoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Factory::make(dir_.path() + "/outbox");
    ASSERT_NE(store_, nullptr);
  }
  OutboxStore& store() { return *store_; }
  // Closes the store and opens it again on the same directory (a restart).
  void reopen() {
    store_.reset();
    store_ = Factory::make(dir_.path() + "/outbox");
    ASSERT_NE(store_, nullptr);
  }

  test::TempDir dir_;
  std::unique_ptr<OutboxStore> store_;
};

using StoreTypes = ::testing::Types<MemoryFactory, SqliteFactory>;
TYPED_TEST_SUITE(StoreContractTest, StoreTypes);

TYPED_TEST(StoreContractTest, AssignsIncreasingSeqsInAcceptanceOrder) {
  Seqs a = appendAll(this->store(), {connected("c1", "h", 10), connected("c2", "h", 11)});
  Seqs b = appendAll(this->store(), {disconnected("c1", "h", 12)});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_LT(a[0], a[1]);
  EXPECT_LT(a[1], b[0]);
}

TYPED_TEST(StoreContractTest, HandsOutOneHeadPerConnectionInOrder) {
  Seqs s = appendAll(this->store(), {connected("a", "h", 100), connected("b", "h", 100),
                                     disconnected("a", "h", 101), disconnected("b", "h", 102)});
  auto first = take(this->store(), 1000);
  EXPECT_EQ(seqsOf(first), (Seqs{s[0], s[1]}));
  // Leased connections hand out nothing, and nothing else is due.
  EXPECT_TRUE(take(this->store(), 1000).empty());
  EXPECT_EQ(this->store().nextDueMs(), std::nullopt);
  removeSeqs(this->store(), {s[0]}, 2000);
  auto next = take(this->store(), 5000);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].seq, s[2]);
  EXPECT_EQ(next[0].connectionId, "a");
  EXPECT_EQ(next[0].kind, cloudevents::EventKind::kDisconnected);
  EXPECT_EQ(next[0].dueMs, 2000);  // promoted due at the batch's nowMs
}

TYPED_TEST(StoreContractTest, PromotedSuccessorKeepsALaterOwnDueTime) {
  auto late = disconnected("a", "h", 100);
  late.dueMs = 9000;
  Seqs s = appendAll(this->store(), {connected("a", "h", 100), late});
  take(this->store(), 100);
  removeSeqs(this->store(), {s[0]}, 500);
  EXPECT_EQ(this->store().nextDueMs(), 9000);
  EXPECT_TRUE(take(this->store(), 8999).empty());
  EXPECT_EQ(seqsOf(take(this->store(), 9000)), (Seqs{s[1]}));
}

TYPED_TEST(StoreContractTest, TakeDueIsEarliestFirstThenSeqAndRespectsLimit) {
  auto e1 = connected("a", "h", 1);
  e1.dueMs = 300;
  auto e2 = connected("b", "h", 1);
  e2.dueMs = 100;
  auto e3 = connected("c", "h", 1);
  e3.dueMs = 100;
  auto e4 = connected("d", "h", 1);
  e4.dueMs = 5000;
  Seqs s = appendAll(this->store(), {e1, e2, e3, e4});
  EXPECT_EQ(this->store().nextDueMs(), 100);
  EXPECT_EQ(seqsOf(take(this->store(), 1000, 2)), (Seqs{s[1], s[2]}));
  EXPECT_EQ(this->store().nextDueMs(), 300);
  EXPECT_EQ(seqsOf(take(this->store(), 1000)), (Seqs{s[0]}));
  EXPECT_EQ(this->store().nextDueMs(), 5000);
  EXPECT_TRUE(take(this->store(), 4999).empty());
  EXPECT_TRUE(take(this->store(), 6000, 0).empty());
}

TYPED_TEST(StoreContractTest, RescheduleEndsTheLeaseWithTheNewDueTime) {
  Seqs s = appendAll(this->store(), {connected("a", "h", 100), disconnected("a", "h", 101)});
  ASSERT_EQ(take(this->store(), 100).size(), 1u);
  reschedule(this->store(), s[0], 1, 4000, 200);
  EXPECT_EQ(this->store().nextDueMs(), 4000);
  EXPECT_TRUE(take(this->store(), 3999).empty());
  auto again = take(this->store(), 4000);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].seq, s[0]);  // still the head: the successor waits
  EXPECT_EQ(again[0].attempts, 1u);
  EXPECT_EQ(again[0].dueMs, 4000);
}

TYPED_TEST(StoreContractTest, UnknownAndUnleasedSeqsAreIgnored) {
  Seqs s = appendAll(this->store(), {connected("a", "h", 100)});
  removeSeqs(this->store(), {s[0] + 1000, s[0]}, 200);  // s[0] is not leased
  reschedule(this->store(), s[0] + 1000, 3, 7000, 200);
  EXPECT_EQ(this->store().stats().events, 1u);
  EXPECT_EQ(this->store().nextDueMs(), 100);
}

TYPED_TEST(StoreContractTest, EventsComeBackFieldForField) {
  auto ev = connected("conn-1", "chat", 1700000000123);
  ev.userId = std::nullopt;
  ev.subprotocol = "json.webpubsub.azure.v1";
  ev.connectionState = "{\"k\":\"v\"}";
  ev.origin = "pubsub.example.com";
  ev.ceId = "recovered";
  ev.contentType = "text/plain; charset=utf-8";
  ev.body = std::string("bin\0ary\xff", 8);
  ev.extraHeaders = {{"Cookie", "a=1; b=2"}, {"X-WebPubSub-Metadata-x", ""}, {"Cookie", "c=3"}};
  ev.attempts = 2;
  ev.dueMs = 1700000000500;
  auto ev2 = disconnected("conn-2", "chat", 5);
  ev2.userId = "";
  appendAll(this->store(), {ev, ev2});
  auto got = take(this->store(), 1700000001000);
  ASSERT_EQ(got.size(), 2u);
  const PendingEvent& g = got[1].connectionId == "conn-1" ? got[1] : got[0];
  EXPECT_EQ(g.kind, ev.kind);
  EXPECT_EQ(g.hub, "chat");
  EXPECT_EQ(g.userId, std::nullopt);
  EXPECT_EQ(g.subprotocol, ev.subprotocol);
  EXPECT_EQ(g.connectionState, ev.connectionState);
  EXPECT_EQ(g.origin, "pubsub.example.com");
  EXPECT_EQ(g.ceId, "recovered");
  EXPECT_EQ(g.timeMs, ev.timeMs);
  EXPECT_EQ(g.contentType, ev.contentType);
  EXPECT_EQ(g.body, ev.body);
  ASSERT_EQ(g.extraHeaders.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(g.extraHeaders[i].name, ev.extraHeaders[i].name);
    EXPECT_EQ(g.extraHeaders[i].value, ev.extraHeaders[i].value);
  }
  EXPECT_EQ(g.attempts, 2u);
  EXPECT_EQ(g.dueMs, ev.dueMs);
  const PendingEvent& g2 = got[1].connectionId == "conn-2" ? got[1] : got[0];
  EXPECT_EQ(g2.userId, std::optional<std::string>(""));
  EXPECT_EQ(g2.kind, cloudevents::EventKind::kDisconnected);
}

TYPED_TEST(StoreContractTest, StatsFollowEveryChange) {
  EXPECT_EQ(this->store().stats().events, 0u);
  EXPECT_EQ(this->store().stats().oldestTimeMs, std::nullopt);
  auto a = connected("a", "h", 100), b = disconnected("a", "h", 200), c = connected("c", "h", 300);
  const uint64_t bytes = a.byteSize() + b.byteSize() + c.byteSize();
  Seqs s = appendAll(this->store(), {a, b, c});
  auto st = this->store().stats();
  EXPECT_EQ(st.events, 3u);
  EXPECT_EQ(st.bytes, bytes);
  EXPECT_EQ(st.oldestTimeMs, 100);
  take(this->store(), 1000);  // leases count
  reschedule(this->store(), s[2], 1, 2000, 1000);
  EXPECT_EQ(this->store().stats().events, 3u);
  removeSeqs(this->store(), {s[0]}, 1000);
  st = this->store().stats();
  EXPECT_EQ(st.events, 2u);
  EXPECT_EQ(st.bytes, b.byteSize() + c.byteSize());
  EXPECT_EQ(st.oldestTimeMs, 200);
  auto expired = this->store().dropExpired(250, 1000, 10);
  ASSERT_TRUE(expired.isOk());
  st = this->store().stats();
  EXPECT_EQ(st.events, 1u);
  EXPECT_EQ(st.bytes, c.byteSize());
  EXPECT_EQ(st.oldestTimeMs, 300);
  auto overflow = this->store().dropOverflow(0, 0, 1000);
  ASSERT_TRUE(overflow.isOk());
  st = this->store().stats();
  EXPECT_EQ(st.events, 0u);
  EXPECT_EQ(st.bytes, 0u);
  EXPECT_EQ(st.oldestTimeMs, std::nullopt);
}

TYPED_TEST(StoreContractTest, DropExpiredTakesOldestFirstSkipsLeasedAndPromotes) {
  Seqs s = appendAll(this->store(), {connected("a", "h", 100), connected("b", "h", 110),
                                     disconnected("a", "h", 120), disconnected("b", "h", 130),
                                     connected("c", "h", 900)});
  auto leased = take(this->store(), 100, 1);  // a's head
  ASSERT_EQ(seqsOf(leased), (Seqs{s[0]}));
  auto dropped = this->store().dropExpired(500, 777, 2);
  ASSERT_TRUE(dropped.isOk());
  EXPECT_EQ(seqsOf(*dropped), (Seqs{s[1], s[2]}));  // limit 2; a's leased head skipped
  EXPECT_EQ((*dropped)[0].connectionId, "b");
  EXPECT_EQ((*dropped)[0].hub, "h");
  EXPECT_EQ((*dropped)[0].kind, cloudevents::EventKind::kConnected);
  EXPECT_EQ((*dropped)[0].bytes, connected("b", "h", 110).byteSize());
  // b's successor was promoted, due at nowMs.
  EXPECT_EQ(this->store().nextDueMs(), 777);
  dropped = this->store().dropExpired(500, 800, 10);
  ASSERT_TRUE(dropped.isOk());
  EXPECT_EQ(seqsOf(*dropped), (Seqs{s[3]}));  // c is not expired
  EXPECT_EQ(this->store().stats().events, 2u);
  removeSeqs(this->store(), {s[0]}, 1000);
  EXPECT_EQ(seqsOf(take(this->store(), 1000)), (Seqs{s[4]}));
}

TYPED_TEST(StoreContractTest, DropOverflowTakesTheLargestHubOldestFirst) {
  Seqs s = appendAll(this->store(), {connected("x1", "small", 1), connected("b1", "big", 2),
                                     connected("b2", "big", 3), disconnected("b1", "big", 4),
                                     connected("b3", "big", 5)});
  auto none = this->store().dropOverflow(5, 1 << 20, 50);
  ASSERT_TRUE(none.isOk());
  EXPECT_TRUE(none->empty());
  auto dropped = this->store().dropOverflow(3, 1 << 20, 50);
  ASSERT_TRUE(dropped.isOk());
  EXPECT_EQ(seqsOf(*dropped), (Seqs{s[1], s[2]}));
  EXPECT_EQ((*dropped)[0].hub, "big");
  EXPECT_EQ(this->store().stats().events, 3u);
  // b1's disconnected was promoted at nowMs.
  auto heads = take(this->store(), 50);
  EXPECT_EQ(seqsOf(heads), (Seqs{s[0], s[4], s[3]}));
}

TYPED_TEST(StoreContractTest, DropOverflowHonoursTheByteCapAndTies) {
  auto a = connected("a", "alpha", 1), b = connected("b", "beta", 2);
  Seqs s = appendAll(this->store(), {b, a});
  const uint64_t total = a.byteSize() + b.byteSize();
  auto dropped = this->store().dropOverflow(100, total - 1, 10);
  ASSERT_TRUE(dropped.isOk());
  EXPECT_EQ(seqsOf(*dropped), (Seqs{s[1]}));  // as many events: the lower name first
  EXPECT_EQ(this->store().stats().bytes, b.byteSize());
}

TYPED_TEST(StoreContractTest, DropOverflowSkipsLeasedEvents) {
  Seqs s = appendAll(this->store(),
                     {connected("a", "h", 1), disconnected("a", "h", 2), connected("b", "g", 3)});
  ASSERT_EQ(take(this->store(), 1, 1).size(), 1u);  // a's head
  auto dropped = this->store().dropOverflow(1, 1 << 20, 10);
  ASSERT_TRUE(dropped.isOk());
  // Hub h is the largest: its leased head stays, its next event goes; then g's.
  EXPECT_EQ(seqsOf(*dropped), (Seqs{s[1], s[2]}));
  auto more = this->store().dropOverflow(0, 0, 10);
  ASSERT_TRUE(more.isOk());
  EXPECT_TRUE(more->empty());
  EXPECT_EQ(this->store().stats().events, 1u);
  removeSeqs(this->store(), {s[0]}, 20);
  EXPECT_EQ(this->store().stats().events, 0u);
  EXPECT_EQ(this->store().nextDueMs(), std::nullopt);
}

TYPED_TEST(StoreContractTest, RemovingAndAppendingInOneBatchKeepsOrder) {
  Seqs s = appendAll(this->store(), {connected("a", "h", 1)});
  take(this->store(), 1);
  OutboxStore::Batch b;
  b.appended.push_back(disconnected("a", "h", 2));
  b.removed.push_back(s[0]);
  b.nowMs = 40;
  ASSERT_TRUE(this->store().apply(b).isOk());
  auto got = take(this->store(), 40);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, b.appended[0].seq);
  EXPECT_EQ(got[0].dueMs, 40);
  EXPECT_TRUE(OutboxStore::Batch{}.empty());
  OutboxStore::Batch emptyBatch;
  EXPECT_TRUE(this->store().apply(emptyBatch).isOk());
}

TYPED_TEST(StoreContractTest, AFreshStoreHasNoOrphansAndReadingThemChangesNothing) {
  auto orphans = this->store().orphanedConnections();
  ASSERT_TRUE(orphans.isOk()) << orphans.status().toString();
  EXPECT_TRUE(orphans->empty());
  appendAll(this->store(), {connected("a", "h", 1)});
  ASSERT_TRUE(this->store().orphanedConnections().isOk());
  EXPECT_EQ(this->store().stats().events, 1u);
}

// A connection recorded without a connected event (its hub has no handler for it) is kept as
// a kConnected event keeps it: a durable store reports it as an orphan after a reopen, and its
// kDisconnected event removes it; the MemoryStore keeps no records at all.
TYPED_TEST(StoreContractTest, RecordedConnectionsAreKeptLikeThoseOfConnectedEvents) {
  OutboxStore::Batch b;
  b.recorded.push_back({"h", "r1", "user-r1", "json.webpubsub.azure.v1", "s0", "o.example:1"});
  b.recorded.push_back({"h", "r2", std::nullopt, "", "", ""});
  b.appended.push_back(disconnected("r2", "h", 5));  // applied after the records: removes r2
  b.stateUpdates.push_back({"r1", "s1"});
  b.nowMs = 4242;
  EXPECT_FALSE(b.empty());
  ASSERT_TRUE(this->store().apply(b).isOk());
  EXPECT_EQ(this->store().stats().events, 1u);  // records are not events
  OutboxStore::Batch onlyRecords;
  onlyRecords.recorded.push_back({"h", "r3", std::nullopt, "", "", ""});
  EXPECT_FALSE(onlyRecords.empty());
  ASSERT_TRUE(this->store().apply(onlyRecords).isOk());
  appendAll(this->store(), {disconnected("r3", "h", 6)});
  const bool durable = this->store().durable();
  this->reopen();
  auto orphans = this->store().orphanedConnections();
  ASSERT_TRUE(orphans.isOk()) << orphans.status().toString();
  if (!durable) {
    EXPECT_TRUE(orphans->empty());
    return;
  }
  ASSERT_EQ(orphans->size(), 1u);
  const ConnectionRecord& r = (*orphans)[0];
  EXPECT_EQ(r.hub, "h");
  EXPECT_EQ(r.connectionId, "r1");
  EXPECT_EQ(r.userId, std::optional<std::string>("user-r1"));
  EXPECT_EQ(r.subprotocol, "json.webpubsub.azure.v1");
  EXPECT_EQ(r.connectionState, "s1");
  EXPECT_EQ(r.origin, "o.example:1");
  appendAll(this->store(), {disconnected("r1", "h", 7)});
  EXPECT_TRUE(this->store().orphanedConnections()->empty());
}

TYPED_TEST(StoreContractTest, StateUpdatesOfUnknownConnectionsAreIgnored) {
  OutboxStore::Batch b;
  b.stateUpdates.push_back({"nobody", "{}"});
  EXPECT_TRUE(this->store().apply(b).isOk());
  EXPECT_EQ(this->store().stats().events, 0u);
}

}  // namespace
}  // namespace wps::delivery

// Group presence events (client-protocols-1.1.md §2.4) share their connection's order with
// connected/disconnected, keep their kind and body (across a reopen for a durable store), and
// neither record nor remove the connection: only connected/disconnected do.
namespace wps::delivery {
namespace {

template <class Factory>
class PresenceStoreTest : public StoreContractTest<Factory> {};
TYPED_TEST_SUITE(PresenceStoreTest, StoreTypes);

TYPED_TEST(PresenceStoreTest, PresenceEventsKeepTheConnectionOrder) {
  using cloudevents::EventKind;
  Seqs s = appendAll(this->store(),
                     {connected("a", "h", 1), test::presence("a", "h", true, "room-1", 2),
                      test::presence("b", "h", true, "x", 2),
                      test::presence("a", "h", false, "room-1", 3), disconnected("a", "h", 4)});
  ASSERT_EQ(s.size(), 5u);
  const bool durable = this->store().durable();
  if (durable) this->reopen();  // the kinds and bodies survive a restart
  std::vector<std::pair<EventKind, std::string>> seen;
  for (int round = 0; round < 6; ++round) {
    auto heads = take(this->store(), 1000);
    std::vector<uint64_t> done;
    for (const auto& ev : heads) {
      if (ev.connectionId == "a") seen.emplace_back(ev.kind, ev.body);
      done.push_back(ev.seq);
    }
    removeSeqs(this->store(), done, 100 + round);
  }
  const std::vector<std::pair<EventKind, std::string>> expected = {
      {EventKind::kConnected, "{}"},
      {EventKind::kGroupJoined, R"({"group":"room-1"})"},
      {EventKind::kGroupLeft, R"({"group":"room-1"})"},
      {EventKind::kDisconnected, R"({"reason":"bye"})"}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(this->store().stats().events, 0u);
}

TYPED_TEST(PresenceStoreTest, PresenceEventsNeitherRecordNorRemoveConnections) {
  appendAll(this->store(), {connected("a", "h", 1), test::presence("a", "h", false, "g", 2),
                            test::presence("b", "h", true, "g", 3)});
  const bool durable = this->store().durable();
  this->reopen();
  auto orphans = this->store().orphanedConnections();
  ASSERT_TRUE(orphans.isOk()) << orphans.status().toString();
  if (!durable) {
    EXPECT_TRUE(orphans->empty());
    return;
  }
  ASSERT_EQ(orphans->size(), 1u);  // a is still recorded after its `left`; b never was
  EXPECT_EQ((*orphans)[0].connectionId, "a");
  EXPECT_EQ(this->store().stats().events, 3u);
}

}  // namespace
}  // namespace wps::delivery
