// An OutboxStore for unit tests of the outbox: the store contract (per-connection order, one
// leased head per connection, promotion, records) over plain maps, with accessors to its
// events and connection records. Scans freely: only for small test backlogs.
// Owned by the test's outbox; used on the test thread only.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "delivery/outbox_store.h"

namespace wps::test {

class FakeOutboxStore : public delivery::OutboxStore {
 public:
  using PendingEvent = delivery::PendingEvent;

  // Test knobs and observations (the test keeps a raw pointer to the store).
  bool failApply = false;
  size_t applies = 0;         // apply() calls, failed ones included
  size_t appliedBatches = 0;  // successful apply() calls

  // A connection record left by "an earlier process".
  void addRecord(delivery::ConnectionRecord r) { records_[r.connectionId] = std::move(r); }
  const std::map<std::string, delivery::ConnectionRecord>& records() const { return records_; }
  // Pending events in seq order.
  std::vector<PendingEvent> events() const {
    std::vector<PendingEvent> out;
    for (const auto& [seq, e] : events_)
      out.push_back(e);
    return out;
  }

  Status apply(Batch& b) override {
    for (const auto& r : b.recorded)
      records_[r.connectionId] = r;
    for (auto& e : b.appended)
      append(e);
    for (uint64_t seq : b.removed)
      remove(seq, b.nowMs);
    for (const auto& r : b.rescheduled) {
      auto it = events_.find(r.seq);
      if (it == events_.end()) continue;
      it->second.attempts = r.attempts;
      it->second.dueMs = r.dueMs;
      leased_.erase(it->second.connectionId);
    }
    for (const auto& s : b.stateUpdates) {
      auto it = records_.find(s.connectionId);
      if (it != records_.end()) it->second.connectionState = s.connectionState;
    }
    return Status();
  }

  StatusOr<std::vector<PendingEvent>> takeDue(int64_t nowMs, size_t limit) override {
    std::vector<const PendingEvent*> due;
    for (const auto& [conn, q] : queues_) {
      const PendingEvent& head = events_.at(q.front());
      if (!leased_.count(conn) && head.dueMs <= nowMs) due.push_back(&head);
    }
    std::sort(due.begin(), due.end(), [](const PendingEvent* a, const PendingEvent* b) {
      return a->dueMs != b->dueMs ? a->dueMs < b->dueMs : a->seq < b->seq;
    });
    std::vector<PendingEvent> out;
    for (const PendingEvent* e : due) {
      if (out.size() >= limit) break;
      leased_.insert(e->connectionId);
      out.push_back(*e);
    }
    return out;
  }

  std::optional<int64_t> nextDueMs() override {
    std::optional<int64_t> next;
    for (const auto& [conn, q] : queues_) {
      if (leased_.count(conn)) continue;
      int64_t due = events_.at(q.front()).dueMs;
      if (!next || due < *next) next = due;
    }
    return next;
  }

  delivery::StoreStats stats() const override {
    delivery::StoreStats s;
    for (const auto& [seq, e] : events_) {
      ++s.events;
      s.bytes += e.byteSize();
      if (!s.oldestTimeMs || e.timeMs < *s.oldestTimeMs) s.oldestTimeMs = e.timeMs;
    }
    return s;
  }

  StatusOr<std::vector<delivery::EventRef>> dropExpired(int64_t beforeMs, int64_t nowMs,
                                                        size_t limit) override {
    std::vector<delivery::EventRef> out;
    for (auto it = events_.begin(); it != events_.end() && out.size() < limit;) {
      const PendingEvent& e = (it++)->second;
      if (e.timeMs < beforeMs && !isLeased(e)) out.push_back(drop(e.seq, nowMs));
    }
    return out;
  }

  StatusOr<std::vector<delivery::EventRef>> dropOverflow(uint64_t maxEvents, uint64_t maxBytes,
                                                         int64_t nowMs) override {
    std::vector<delivery::EventRef> out;
    while (stats().events > maxEvents || stats().bytes > maxBytes) {
      std::map<std::string, size_t> perHub;
      for (const auto& [seq, e] : events_)
        ++perHub[e.hub];
      auto largest = std::max_element(perHub.begin(), perHub.end(),
                                      [](auto& a, auto& b) { return a.second < b.second; });
      const PendingEvent* victim = nullptr;
      for (const auto& [seq, e] : events_) {
        if (e.hub == largest->first && !isLeased(e)) {
          victim = &e;
          break;
        }
      }
      if (!victim) break;
      out.push_back(drop(victim->seq, nowMs));
    }
    return out;
  }

  StatusOr<std::vector<delivery::ConnectionRecord>> orphanedConnections() override {
    std::vector<delivery::ConnectionRecord> out;
    for (const auto& [id, r] : records_)
      out.push_back(r);
    return out;
  }

  bool durable() const override { return false; }

 private:
  void append(PendingEvent& e) {
    e.seq = nextSeq_++;
    events_[e.seq] = e;
    queues_[e.connectionId].push_back(e.seq);
    if (e.kind == cloudevents::EventKind::kConnected) {
      records_[e.connectionId] = {e.hub, e.connectionId, e.userId, e.subprotocol,
                                  e.connectionState};
    } else if (e.kind == cloudevents::EventKind::kDisconnected) {
      records_.erase(e.connectionId);
    }
  }

  bool isLeased(const PendingEvent& e) const {
    return leased_.count(e.connectionId) && queues_.at(e.connectionId).front() == e.seq;
  }

  delivery::EventRef drop(uint64_t seq, int64_t nowMs) {
    const PendingEvent& e = events_.at(seq);
    delivery::EventRef ref{seq, e.kind, e.hub, e.connectionId, e.byteSize()};
    remove(seq, nowMs);
    return ref;
  }

  void remove(uint64_t seq, int64_t nowMs) {
    auto it = events_.find(seq);
    if (it == events_.end()) return;
    std::string conn = it->second.connectionId;
    events_.erase(it);
    auto& q = queues_[conn];
    bool wasHead = !q.empty() && q.front() == seq;
    q.erase(std::find(q.begin(), q.end(), seq));
    if (wasHead) leased_.erase(conn);
    if (q.empty()) {
      queues_.erase(conn);
    } else if (wasHead) {
      PendingEvent& next = events_.at(q.front());
      next.dueMs = std::max(next.dueMs, nowMs);
    }
  }

  uint64_t nextSeq_ = 1;
  std::map<uint64_t, PendingEvent> events_;
  std::map<std::string, std::deque<uint64_t>> queues_;
  std::set<std::string> leased_;  // connections whose head is out for an attempt
  std::map<std::string, delivery::ConnectionRecord> records_;
};

}  // namespace wps::test
