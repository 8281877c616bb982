// Both stores driven by the same seeded random sequence of batches, takes, reschedules and
// drops must answer every call identically (seqs, events, due times, totals, dropped events).
#include <gtest/gtest.h>

#include <random>

#include "delivery/memory_store.h"
#include "delivery/sqlite_store.h"
#include "delivery/store_fixture.h"

namespace wps::delivery {
namespace {

std::string describe(const PendingEvent& e) {
  std::string s = std::to_string(e.seq) + "/" + e.connectionId + "/" + e.hub + "/" +
                  std::to_string(static_cast<int>(e.kind)) + "/" + std::to_string(e.attempts) +
                  "/" + std::to_string(e.dueMs) + "/" + std::to_string(e.timeMs) + "/" + e.body;
  for (const auto& h : e.extraHeaders)
    s += "/" + h.name + "=" + h.value;
  return s;
}

std::vector<std::string> describe(const std::vector<PendingEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    out.push_back(describe(e));
  return out;
}

std::vector<std::string> describe(const std::vector<EventRef>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs)
    out.push_back(std::to_string(r.seq) + "/" + r.connectionId + "/" + r.hub + "/" +
                  std::to_string(r.bytes));
  return out;
}

class Driver {
 public:
  Driver(OutboxStore& a, OutboxStore& b, uint32_t seed) : a_(a), b_(b), rng_(seed) {}

  void step() {
    now_ += pick(0, 300);
    switch (pick(0, 9)) {
      case 0:
      case 1:
      case 2:
        return applyBatch();
      case 3:
      case 4:
        return takeDue();
      case 5:
        return dropExpired();
      case 6:
        return dropOverflow();
      default:
        return finishSome();
    }
  }

  void compareStats() {
    const StoreStats sa = a_.stats(), sb = b_.stats();
    ASSERT_EQ(sa.events, sb.events);
    ASSERT_EQ(sa.bytes, sb.bytes);
    ASSERT_EQ(sa.oldestTimeMs, sb.oldestTimeMs);
    ASSERT_EQ(a_.nextDueMs(), b_.nextDueMs());
  }

 private:
  int64_t pick(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

  PendingEvent randomEvent() {
    const std::string conn = "c" + std::to_string(pick(0, 40));
    const std::string hub = "h" + std::to_string(pick(0, 3));
    auto ev = pick(0, 1) ? test::connected(conn, hub, now_) : test::disconnected(conn, hub, now_);
    ev.dueMs = now_ + (pick(0, 4) == 0 ? pick(1, 2000) : 0);
    ev.body += std::string(static_cast<size_t>(pick(0, 40)), 'x');
    if (pick(0, 3) == 0) ev.extraHeaders.push_back({"Cookie", "k=" + std::to_string(pick(0, 99))});
    return ev;
  }

  void apply(OutboxStore::Batch batch) {
    OutboxStore::Batch copy = batch;
    ASSERT_TRUE(a_.apply(batch).isOk());
    ASSERT_TRUE(b_.apply(copy).isOk());
    for (size_t i = 0; i < batch.appended.size(); ++i)
      ASSERT_EQ(batch.appended[i].seq, copy.appended[i].seq);
  }

  void applyBatch() {
    OutboxStore::Batch batch;
    for (int64_t i = pick(1, 12); i > 0; --i)
      batch.appended.push_back(randomEvent());
    batch.removed.push_back(static_cast<uint64_t>(pick(1, 5000)));  // mostly unknown/unleased
    batch.nowMs = now_;
    apply(std::move(batch));
  }

  void takeDue() {
    const auto limit = static_cast<size_t>(pick(0, 15));
    auto ta = a_.takeDue(now_, limit);
    auto tb = b_.takeDue(now_, limit);
    ASSERT_TRUE(ta.isOk() && tb.isOk());
    ASSERT_EQ(describe(*ta), describe(*tb));
    for (const auto& e : *ta)
      leased_.push_back(e);
    taken += ta->size();
  }

  // Ends some leases: delivered (removed) or failed (rescheduled).
  void finishSome() {
    OutboxStore::Batch batch;
    std::vector<PendingEvent> keep;
    for (auto& e : leased_) {
      const int64_t r = pick(0, 2);
      if (r == 0) {
        batch.removed.push_back(e.seq);
      } else if (r == 1) {
        batch.rescheduled.push_back({e.seq, e.attempts + 1, now_ + pick(0, 3000)});
      } else {
        keep.push_back(e);
      }
    }
    leased_ = std::move(keep);
    batch.nowMs = now_;
    apply(std::move(batch));
  }

  void forget(const std::vector<EventRef>& dropped) {
    for (const auto& r : dropped)
      std::erase_if(leased_, [&](const PendingEvent& e) { return e.seq == r.seq; });
  }

  void dropExpired() {
    const int64_t before = now_ - pick(0, 6000);
    const auto limit = static_cast<size_t>(pick(1, 20));
    auto da = a_.dropExpired(before, now_, limit);
    auto db = b_.dropExpired(before, now_, limit);
    ASSERT_TRUE(da.isOk() && db.isOk());
    ASSERT_EQ(describe(*da), describe(*db));
    forget(*da);
    expired += da->size();
  }

  void dropOverflow() {
    const StoreStats s = a_.stats();
    const uint64_t maxEvents = s.events - std::min<uint64_t>(s.events, pick(0, 10));
    const uint64_t maxBytes = pick(0, 1) ? s.bytes - std::min<uint64_t>(s.bytes, 300) : ~0ull;
    auto da = a_.dropOverflow(maxEvents, maxBytes, now_);
    auto db = b_.dropOverflow(maxEvents, maxBytes, now_);
    ASSERT_TRUE(da.isOk() && db.isOk());
    ASSERT_EQ(describe(*da), describe(*db));
    forget(*da);
    overflowed += da->size();
  }

 public:
  size_t taken = 0;  // what the run exercised
  size_t expired = 0;
  size_t overflowed = 0;

 private:
  OutboxStore& a_;
  OutboxStore& b_;
  std::mt19937 rng_;
  int64_t now_ = 1'000'000;
  std::vector<PendingEvent> leased_;
};

TEST(StoreDifferentialTest, MemoryAndSqliteAgreeOnRandomSequences) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    test::TempDir dir;
    MemoryStore memory;
    auto sqlite =
        SqliteStore::open(dir.path() + "/outbox", config::DeliverySettings::Sync::kNormal);
    ASSERT_TRUE(sqlite.isOk()) << sqlite.status().toString();
    Driver driver(memory, **sqlite, seed);
    for (int i = 0; i < 400; ++i) {
      driver.step();
      if (::testing::Test::HasFatalFailure()) return;
      driver.compareStats();
      if (::testing::Test::HasFatalFailure()) return;
    }
    EXPECT_GT(memory.stats().events, 0u);
    EXPECT_GT(driver.taken, 100u);
    EXPECT_GT(driver.expired, 10u);
    EXPECT_GT(driver.overflowed, 10u);
  }
}

}  // namespace
}  // namespace wps::delivery
