// The default outbox store: pending events in memory only (lost on restart), laid out compactly
// enough for a backlog of 1,000,000 events in about 220 MB (bench/RESULTS.md).
//
// Layout: one allocation per event (a fixed header followed by its strings, length-prefixed),
// linked into three intrusive lists: every event in seq order (dropExpired), the events of its
// hub in seq order (dropOverflow) and the events of its connection (ordering). The connection id
// is shared by the connection's events; the hub and the content type are interned. Heads that are
// neither leased nor pending removal sit in an indexed binary heap by (dueMs, seq) (takeDue,
// nextDueMs). Connection records are not kept (nor Batch::recorded): nothing of this store
// outlives the process, so orphanedConnections() is always empty.
// Owned by the outbox thread; every method is called there. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "delivery/outbox_store.h"

namespace wps::delivery {

class MemoryStore final : public OutboxStore {
 public:
  MemoryStore();
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // Never fails.
  Status apply(Batch& batch) override;
  StatusOr<std::vector<PendingEvent>> takeDue(int64_t nowMs, size_t limit) override;
  std::optional<int64_t> nextDueMs() override;
  StoreStats stats() const override;
  StatusOr<std::vector<EventRef>> dropExpired(int64_t beforeMs, int64_t nowMs,
                                              size_t limit) override;
  StatusOr<std::vector<EventRef>> dropOverflow(uint64_t maxEvents, uint64_t maxBytes,
                                               int64_t nowMs) override;
  StatusOr<std::vector<ConnectionRecord>> orphanedConnections() override;
  bool durable() const override { return false; }

  struct Event;  // memory_store.cc
  struct Conn {
    Event* head = nullptr;  // the connection's events, singly linked in seq order
    Event* tail = nullptr;
  };
  struct Hub {
    std::string name;
    uint64_t events = 0;
    uint64_t bytes = 0;
    Event* first = nullptr;  // the hub's events in seq order
    Event* last = nullptr;
  };
  using ConnMap = std::unordered_map<std::string, Conn>;

 private:
  void append(PendingEvent& event);
  void unlink(Event* e, int64_t nowMs);
  void makeHead(Event* e, int64_t nowMs);
  Event* oldestDroppable(uint32_t hub) const;
  PendingEvent materialize(const Event& e) const;
  EventRef refOf(const Event& e) const;
  uint32_t hubIndex(const std::string& hub);
  uint32_t contentTypeIndex(const std::string& contentType);

  // The due heap: heads not leased, by (dueMs, seq).
  void heapPush(Event* e);
  void heapErase(Event* e);
  void siftUp(size_t i);
  void siftDown(size_t i);

  ConnMap conns_;
  std::vector<Hub> hubs_;
  std::unordered_map<std::string, uint32_t> hubIds_;
  std::vector<std::string> contentTypes_;
  std::unordered_map<std::string, uint32_t> contentTypeIds_;
  std::vector<Event*> heap_;
  std::unordered_map<uint64_t, Event*> leased_;
  Event* first_ = nullptr;  // seq order
  Event* last_ = nullptr;
  uint64_t nextSeq_ = 1;
  uint64_t events_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace wps::delivery
