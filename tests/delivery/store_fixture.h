// Shared helpers of the outbox store tests: event factories, a temporary directory per test,
// and batch shorthands.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "delivery/outbox_store.h"
#include "delivery/pending_event.h"

namespace wps::delivery::test {

// A directory under the test temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "/wps_store_XXXXXX";
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline PendingEvent makeEvent(std::string connectionId, std::string hub,
                              cloudevents::EventKind kind, int64_t timeMs,
                              std::string body = "{}") {
  PendingEvent ev;
  ev.kind = kind;
  ev.hub = std::move(hub);
  ev.connectionId = std::move(connectionId);
  ev.userId = "user-" + ev.connectionId;
  ev.ceId = "1";
  ev.timeMs = timeMs;
  ev.dueMs = timeMs;
  ev.contentType = "application/json";
  ev.body = std::move(body);
  return ev;
}

inline PendingEvent connected(std::string id, std::string hub, int64_t timeMs) {
  return makeEvent(std::move(id), std::move(hub), cloudevents::EventKind::kConnected, timeMs);
}

inline PendingEvent disconnected(std::string id, std::string hub, int64_t timeMs) {
  return makeEvent(std::move(id), std::move(hub), cloudevents::EventKind::kDisconnected, timeMs,
                   "{\"reason\":\"bye\"}");
}

// A group presence event (joined / left) of `group`.
inline PendingEvent presence(std::string id, std::string hub, bool joined, std::string group,
                             int64_t timeMs) {
  return makeEvent(
      std::move(id), std::move(hub),
      joined ? cloudevents::EventKind::kGroupJoined : cloudevents::EventKind::kGroupLeft, timeMs,
      "{\"group\":\"" + group + "\"}");
}

// Appends `events` in one batch at `nowMs`; returns their seqs.
inline std::vector<uint64_t> appendAll(OutboxStore& store, std::vector<PendingEvent> events,
                                       int64_t nowMs = 0) {
  OutboxStore::Batch b;
  b.appended = std::move(events);
  b.nowMs = nowMs;
  Status st = store.apply(b);
  EXPECT_TRUE(st.isOk()) << st.toString();
  std::vector<uint64_t> seqs;
  for (const auto& ev : b.appended)
    seqs.push_back(ev.seq);
  return seqs;
}

inline void removeSeqs(OutboxStore& store, std::vector<uint64_t> seqs, int64_t nowMs) {
  OutboxStore::Batch b;
  b.removed = std::move(seqs);
  b.nowMs = nowMs;
  Status st = store.apply(b);
  EXPECT_TRUE(st.isOk()) << st.toString();
}

inline void reschedule(OutboxStore& store, uint64_t seq, uint32_t attempts, int64_t dueMs,
                       int64_t nowMs) {
  OutboxStore::Batch b;
  b.rescheduled.push_back({seq, attempts, dueMs});
  b.nowMs = nowMs;
  Status st = store.apply(b);
  EXPECT_TRUE(st.isOk()) << st.toString();
}

inline std::vector<PendingEvent> take(OutboxStore& store, int64_t nowMs, size_t limit = 100) {
  auto r = store.takeDue(nowMs, limit);
  EXPECT_TRUE(r.isOk()) << r.status().toString();
  return r.isOk() ? std::move(r).value() : std::vector<PendingEvent>{};
}

inline std::vector<uint64_t> seqsOf(const std::vector<PendingEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& ev : events)
    out.push_back(ev.seq);
  return out;
}

inline std::vector<uint64_t> seqsOf(const std::vector<EventRef>& refs) {
  std::vector<uint64_t> out;
  for (const auto& r : refs)
    out.push_back(r.seq);
  return out;
}

}  // namespace wps::delivery::test
