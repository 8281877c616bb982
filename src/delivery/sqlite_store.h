// The durable outbox store of `delivery.data_dir`: pending events and connection records in
// SQLite (`<dir>/outbox.db`, WAL, PRAGMA synchronous NORMAL or FULL), one transaction per
// apply() (group commit). The database is the queue: memory holds only the leases (bounded by
// what the scheduler takes), the totals and the per-hub totals. The schema is in
// docs/delivery.md ("Schema").
//
// One process per directory: open() takes flock(LOCK_EX | LOCK_NB) on `<dir>/LOCK` and holds
// it until the store is destroyed. A database that is corrupt, truncated or not an outbox
// database is refused (kDataLoss naming the file), never recreated or overwritten.
// Owned by the outbox thread; every method is called there. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/settings.h"
#include "delivery/outbox_store.h"

struct sqlite3;
struct sqlite3_context;
struct sqlite3_stmt;
struct sqlite3_value;

namespace wps::delivery {

class SqliteStore final : public OutboxStore {
 public:
  // Current version of the schema, stored in table `meta` (key 'schema_version').
  static constexpr int kSchemaVersion = 1;

  // Opens (creating the directory and the database when missing) the outbox in `dir`.
  // Errors (each message names the directory or the file):
  //   kFailedPrecondition  `<dir>/LOCK` is held: another webpubsubd (or store) uses `dir`
  //   kDataLoss            outbox.db is corrupt, truncated, not an outbox database, or has an
  //                        unknown schema version
  //   kUnavailable         the directory, lock file or database cannot be created or opened
  static StatusOr<std::unique_ptr<SqliteStore>> open(const std::string& dir,
                                                     config::DeliverySettings::Sync sync);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // One transaction; on error it is rolled back and nothing in memory changes (the seqs of
  // `batch.appended` are then meaningless). Errors: kDataLoss (corruption),
  // kUnavailable (I/O, disk full), kInvalidArgument (an event kind other than connected or
  // disconnected).
  Status apply(Batch& batch) override;
  StatusOr<std::vector<PendingEvent>> takeDue(int64_t nowMs, size_t limit) override;
  // nullopt also when the database cannot be read (the next apply() reports it).
  std::optional<int64_t> nextDueMs() override;
  StoreStats stats() const override;
  StatusOr<std::vector<EventRef>> dropExpired(int64_t beforeMs, int64_t nowMs,
                                              size_t limit) override;
  StatusOr<std::vector<EventRef>> dropOverflow(uint64_t maxEvents, uint64_t maxBytes,
                                               int64_t nowMs) override;
  StatusOr<std::vector<ConnectionRecord>> orphanedConnections() override;
  bool durable() const override { return true; }

  // `<dir>/outbox.db`.
  const std::string& databasePath() const { return dbPath_; }
  // The value of `PRAGMA <name>` on the store's connection, e.g. "synchronous" (tests and
  // diagnostics). `name` must be a bare pragma name.
  StatusOr<std::string> pragma(const std::string& name);

  struct Statements;  // sqlite_store.cc
  struct Delta;
  struct HubTotals {
    uint64_t events = 0;
    uint64_t bytes = 0;
  };
  // What the store keeps of a leased head (at most one per event in flight), so that removing
  // it after its attempt reads nothing back from its row.
  struct Lease {
    std::string connectionId;
    std::string hub;
    uint64_t bytes = 0;
  };

 private:
  SqliteStore(std::string dir, std::string dbPath, int lockFd);
  Status initialize(config::DeliverySettings::Sync sync, bool existed);
  Status checkIntegrity();
  Status setPragmas(config::DeliverySettings::Sync sync);
  Status createOrCheckSchema();
  Status loadTotals();
  Status dbError(const std::string& what) const;
  Status exec(const char* sql);
  Status step(sqlite3_stmt* stmt);

  Status inTransaction(Delta& delta, const std::function<Status()>& body);
  Status applyAll(Batch& batch, Delta& delta);
  Status appendEvent(PendingEvent& ev, Delta& delta);
  StatusOr<std::optional<EventRef>> removeEvent(uint64_t seq, int64_t nowMs, Delta& delta);
  Status removeLeased(uint64_t seq, const Lease& lease, int64_t nowMs, Delta& delta);
  Status promoteNext(const std::string& connectionId, int64_t nowMs);
  StatusOr<std::vector<uint64_t>> expiredSeqs(int64_t beforeMs, size_t limit);
  StatusOr<std::optional<uint64_t>> oldestDroppable(const std::string& hub);
  Status dropLargest(uint64_t maxEvents, uint64_t maxBytes, int64_t nowMs, Delta& delta,
                     std::vector<EventRef>& out);
  StatusOr<PendingEvent> readEvent(sqlite3_stmt* stmt) const;
  static void leasedFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv);
  void commit(const Delta& delta);

  std::string dir_;
  std::string dbPath_;
  int lockFd_ = -1;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> st_;
  std::unordered_map<uint64_t, Lease> leases_;
  std::map<std::string, HubTotals> hubs_;
  uint64_t events_ = 0;
  uint64_t bytes_ = 0;
  uint64_t nextSeq_ = 1;
  mutable std::optional<std::optional<int64_t>> oldestCache_;  // filled by stats()
};

}  // namespace wps::delivery
