// Where pending events live: the I/O boundary of the outbox. Implementations: MemoryStore
// (delivery/memory_store.h, the default: nothing on disk) and SqliteStore
// (delivery/sqlite_store.h, `delivery.data_dir`: WAL, group commit, survives restarts).
// The store orders events per connection: only a connection's first pending event (its head)
// is ever handed out, and the next one becomes the head when it is removed.
// Owned by the outbox thread; every method is called there. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "delivery/pending_event.h"

namespace wps::delivery {

// Totals over every pending event (leased ones included).
struct StoreStats {
  uint64_t events = 0;
  uint64_t bytes = 0;                   // sum of PendingEvent::byteSize()
  std::optional<int64_t> oldestTimeMs;  // timeMs of the oldest pending event
};

class OutboxStore {
 public:
  // The changes of one event-loop turn, applied in one transaction (group commit).
  struct Reschedule {
    uint64_t seq = 0;
    uint32_t attempts = 0;
    int64_t dueMs = 0;
  };
  struct StateUpdate {
    std::string connectionId;
    std::string connectionState;
  };
  struct Batch {
    // Connections recorded without a `connected` event (EventOutbox::recordConnection):
    // inserted (or replaced) as a kConnected event records its connection, before `appended`
    // is applied, so a kDisconnected event of the same batch removes the record.
    std::vector<ConnectionRecord> recorded;
    // New events, in acceptance order; apply() assigns their seq. A kConnected event also
    // records its connection, a kDisconnected event removes the record (in the same
    // transaction). An event whose connection has no pending event becomes its head, due at
    // its dueMs.
    std::vector<PendingEvent> appended;
    // Delivered or dropped heads: removed; the connection's next event becomes its head, due
    // at `nowMs` (or its own dueMs when later). Seqs that are not leased (unknown ones
    // included) are ignored: only the holder of a lease ends it. The same for `rescheduled`.
    std::vector<uint64_t> removed;
    // Failed attempts of leased heads: their attempts and dueMs are stored, the lease ends.
    std::vector<Reschedule> rescheduled;
    // New connection states for recorded connections (unknown connections are ignored).
    std::vector<StateUpdate> stateUpdates;
    int64_t nowMs = 0;

    bool empty() const {
      return recorded.empty() && appended.empty() && removed.empty() && rescheduled.empty() &&
             stateUpdates.empty();
    }
  };

  virtual ~OutboxStore() = default;

  // Applies `batch` atomically (all or nothing) and assigns the seq of every appended event.
  // Errors: kUnavailable / kDataLoss from the database (the caller logs and keeps the batch).
  virtual Status apply(Batch& batch) = 0;

  // Up to `limit` heads with dueMs <= nowMs that are not leased, earliest dueMs first (then
  // seq). Each returned head is leased (in memory only: a restart forgets leases) until a
  // later batch removes or reschedules it; a leased connection hands out nothing.
  virtual StatusOr<std::vector<PendingEvent>> takeDue(int64_t nowMs, size_t limit) = 0;

  // The earliest dueMs among heads that are not leased; nullopt when there is none.
  virtual std::optional<int64_t> nextDueMs() = 0;

  // Totals, kept up to date by every call (cheap: no scan).
  virtual StoreStats stats() const = 0;

  // Removes up to `limit` events with timeMs < `beforeMs` that are not leased, oldest first,
  // promoting successors as apply() does, and returns them. Walks events in seq order and
  // stops at the first one (not leased) with timeMs >= beforeMs: timeMs is fixed at acceptance,
  // so it follows seq unless the wall clock stepped back.
  virtual StatusOr<std::vector<EventRef>> dropExpired(int64_t beforeMs, int64_t nowMs,
                                                      size_t limit) = 0;

  // While more than `maxEvents` events or `maxBytes` bytes are pending, removes the oldest
  // event (not leased) of the hub with the most pending events (ties: the lower hub name),
  // promoting successors; returns the removed events.
  virtual StatusOr<std::vector<EventRef>> dropOverflow(uint64_t maxEvents, uint64_t maxBytes,
                                                       int64_t nowMs) = 0;

  // The connection records left by an earlier process (call at start, before the first
  // apply(): every record is then an orphan). Read-only: a record goes away when the
  // kDisconnected event appended for it is applied, in the same transaction.
  virtual StatusOr<std::vector<ConnectionRecord>> orphanedConnections() = 0;

  // True when events survive a restart (a data_dir store).
  virtual bool durable() const = 0;
};

}  // namespace wps::delivery
