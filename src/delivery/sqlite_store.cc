#include "delivery/sqlite_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <utility>

namespace wps::delivery {

namespace {

// The schema (docs/delivery.md "Schema"). due_ms is set on heads only (a connection's first
// event); not_before_ms is the event's own earliest attempt time.
constexpr const char* kSchema = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  connection_id TEXT NOT NULL,
  hub TEXT NOT NULL,
  kind TEXT NOT NULL,
  ce_id TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  user_id TEXT,
  subprotocol TEXT NOT NULL,
  connection_state TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  headers BLOB NOT NULL,
  attempts INTEGER NOT NULL,
  not_before_ms INTEGER NOT NULL,
  due_ms INTEGER,
  bytes INTEGER NOT NULL,
  origin TEXT NOT NULL);
CREATE INDEX events_by_connection ON events (connection_id, seq);
CREATE INDEX events_due ON events (due_ms) WHERE due_ms IS NOT NULL;
CREATE TABLE connections (
  connection_id TEXT PRIMARY KEY,
  hub TEXT NOT NULL,
  user_id TEXT,
  subprotocol TEXT NOT NULL,
  connection_state TEXT NOT NULL,
  recorded_ms INTEGER NOT NULL,
  origin TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('schema_version', '1'), ('application', 'webpubsubd outbox');
)sql";

constexpr const char* kEventColumns =
    "seq, connection_id, hub, kind, ce_id, time_ms, user_id, subprotocol, connection_state, "
    "content_type, body, headers, attempts, due_ms, not_before_ms, origin";

// Resets a statement (and its bindings) when the scope ends, whatever the outcome.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* s) : s_(s) {}
  ~ResetOnExit() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* s_;
};

// Bound values must outlive the step (SQLITE_STATIC); every caller steps before returning.
void bindText(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bindBlob(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bindOptText(sqlite3_stmt* s, int i, const std::optional<std::string>& v) {
  if (v) {
    bindText(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}
void bindInt(sqlite3_stmt* s, int i, int64_t v) {
  sqlite3_bind_int64(s, i, v);
}

std::string columnString(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  const int n = sqlite3_column_bytes(s, i);
  return p != nullptr ? std::string(static_cast<const char*>(p), static_cast<size_t>(n))
                      : std::string();
}

std::optional<std::string> columnOptString(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return columnString(s, i);
}

const char* kindName(cloudevents::EventKind kind) {
  switch (kind) {
    case cloudevents::EventKind::kConnected:
      return "connected";
    case cloudevents::EventKind::kDisconnected:
      return "disconnected";
    case cloudevents::EventKind::kGroupJoined:
      return "joined";
    case cloudevents::EventKind::kGroupLeft:
      return "left";
    default:
      return nullptr;
  }
}

// Binds the upsertConnection statement for a connection described by `c` (a PendingEvent or a
// ConnectionRecord: the same member names).
template <typename Connection>
void bindConnection(sqlite3_stmt* s, const Connection& c, int64_t recordedMs) {
  bindText(s, 1, c.connectionId);
  bindText(s, 2, c.hub);
  bindOptText(s, 3, c.userId);
  bindText(s, 4, c.subprotocol);
  bindText(s, 5, c.connectionState);
  bindInt(s, 6, recordedMs);
  bindText(s, 7, c.origin);
}

std::optional<cloudevents::EventKind> parseKind(std::string_view name) {
  if (name == "connected") return cloudevents::EventKind::kConnected;
  if (name == "disconnected") return cloudevents::EventKind::kDisconnected;
  if (name == "joined") return cloudevents::EventKind::kGroupJoined;
  if (name == "left") return cloudevents::EventKind::kGroupLeft;
  return std::nullopt;
}

// Headers as netstrings, name then value for each: "6:Cookie,3:a=1," (any bytes, readable in
// the sqlite3 CLI with CAST(headers AS TEXT)).
std::string encodeHeaders(const http::HttpHeaders& headers) {
  std::string out;
  auto put = [&out](std::string_view s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
    out += ',';
  };
  for (const auto& h : headers) {
    put(h.name);
    put(h.value);
  }
  return out;
}

bool takeNetstring(std::string_view& in, std::string& out) {
  const size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 10) return false;
  size_t n = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (in[i] < '0' || in[i] > '9') return false;
    n = n * 10 + static_cast<size_t>(in[i] - '0');
  }
  if (in.size() < colon + 1 + n + 1 || in[colon + 1 + n] != ',') return false;
  out.assign(in.substr(colon + 1, n));
  in.remove_prefix(colon + 1 + n + 1);
  return true;
}

bool decodeHeaders(std::string_view in, http::HttpHeaders& out) {
  while (!in.empty()) {
    http::HttpHeader h;
    if (!takeNetstring(in, h.name) || !takeNetstring(in, h.value)) return false;
    out.push_back(std::move(h));
  }
  return true;
}

bool isCorruption(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

}  // namespace

// The prepared statements, reused by every call.
struct SqliteStore::Statements {
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;
  sqlite3_stmt* rollback = nullptr;
  sqlite3_stmt* hasEvents = nullptr;
  sqlite3_stmt* insertEvent = nullptr;
  sqlite3_stmt* upsertConnection = nullptr;
  sqlite3_stmt* deleteConnection = nullptr;
  sqlite3_stmt* updateState = nullptr;
  sqlite3_stmt* deleteEvent = nullptr;
  sqlite3_stmt* deleteLeased = nullptr;
  sqlite3_stmt* firstOfConnection = nullptr;
  sqlite3_stmt* setDue = nullptr;
  sqlite3_stmt* reschedule = nullptr;
  sqlite3_stmt* dueScan = nullptr;
  sqlite3_stmt* nextDue = nullptr;
  sqlite3_stmt* seqScan = nullptr;
  sqlite3_stmt* hubScan = nullptr;
  sqlite3_stmt* oldest = nullptr;
  sqlite3_stmt* orphans = nullptr;

  std::vector<std::pair<sqlite3_stmt**, std::string>> all() {
    return {
        {&begin, "BEGIN"},
        {&commit, "COMMIT"},
        {&rollback, "ROLLBACK"},
        {&hasEvents, "SELECT 1 FROM events WHERE connection_id = ?1 LIMIT 1"},
        {&insertEvent,
         "INSERT INTO events (seq, connection_id, hub, kind, ce_id, time_ms, user_id, "
         "subprotocol, connection_state, content_type, body, headers, attempts, not_before_ms, "
         "due_ms, bytes, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
         "?14, ?15, ?16, ?17)"},
        {&upsertConnection,
         "INSERT OR REPLACE INTO connections (connection_id, hub, user_id, subprotocol, "
         "connection_state, recorded_ms, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
        {&deleteConnection, "DELETE FROM connections WHERE connection_id = ?1"},
        {&updateState, "UPDATE connections SET connection_state = ?2 WHERE connection_id = ?1"},
        {&deleteEvent,
         "DELETE FROM events WHERE seq = ?1 RETURNING connection_id, hub, kind, bytes, "
         "due_ms IS NOT NULL"},
        {&deleteLeased, "DELETE FROM events WHERE seq = ?1"},
        {&firstOfConnection,
         "SELECT seq, not_before_ms FROM events WHERE connection_id = ?1 ORDER BY seq LIMIT 1"},
        {&setDue, "UPDATE events SET due_ms = ?2 WHERE seq = ?1"},
        {&reschedule,
         "UPDATE events SET attempts = ?2, due_ms = ?3, not_before_ms = ?3 WHERE seq = ?1"},
        // wps_leased(seq) (registered by initialize()) tests the leases in memory. It needs
        // only the seq, which the due index holds, so a leased head's row is never read.
        {&dueScan, std::string("SELECT ") + kEventColumns +
                       ", bytes FROM events WHERE due_ms IS NOT NULL AND due_ms <= ?1 AND NOT "
                       "wps_leased(seq) ORDER BY due_ms, seq"},
        {&nextDue,
         "SELECT due_ms FROM events WHERE due_ms IS NOT NULL AND NOT wps_leased(seq) ORDER BY "
         "due_ms, seq LIMIT 1"},
        {&seqScan, "SELECT seq, time_ms FROM events ORDER BY seq"},
        // No index on hub (one b-tree less per insert and delete): overflow drops from the
        // largest hub, whose oldest events come first in seq order.
        {&hubScan, "SELECT seq FROM events WHERE hub = ?1 ORDER BY seq"},
        {&oldest, "SELECT time_ms FROM events ORDER BY seq LIMIT 1"},
        {&orphans,
         "SELECT hub, connection_id, user_id, subprotocol, connection_state, origin FROM "
         "connections "
         "ORDER BY recorded_ms, connection_id"},
    };
  }

  ~Statements() {
    for (auto& [stmt, sql] : all())
      sqlite3_finalize(*stmt);
  }
};

// The changes of one transaction, applied to the in-memory totals once it has committed.
struct SqliteStore::Delta {
  int64_t events = 0;
  int64_t bytes = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> hubs;  // hub -> (events, bytes)
  std::unordered_set<uint64_t> endedLeases;
  uint64_t nextSeq = 0;

  void add(const std::string& hub, int64_t n, int64_t b) {
    events += n;
    bytes += b;
    auto& h = hubs[hub];
    h.first += n;
    h.second += b;
  }
};

// --- Opening -------------------------------------------------------------------------------

SqliteStore::SqliteStore(std::string dir, std::string dbPath, int lockFd)
    : dir_(std::move(dir)), dbPath_(std::move(dbPath)), lockFd_(lockFd) {}

SqliteStore::~SqliteStore() {
  st_.reset();
  if (db_ != nullptr) sqlite3_close_v2(db_);
  if (lockFd_ >= 0) ::close(lockFd_);  // releases the flock
}

namespace {

// Opens and locks `<dir>/LOCK`; returns its descriptor.
StatusOr<int> lockDirectory(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status(StatusCode::kUnavailable,
                  "cannot open the outbox lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      return Status(
          StatusCode::kFailedPrecondition,
          "another webpubsubd uses the outbox directory " + dir + " (" + path + " is locked)");
    return Status(StatusCode::kUnavailable,
                  "cannot lock the outbox lock file " + path + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& dir,
                                                         config::DeliverySettings::Sync sync) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Status(StatusCode::kUnavailable,
                  "cannot create the outbox directory " + dir + ": " + ec.message());
  auto fd = lockDirectory(dir);
  if (!fd.isOk()) return fd.status();
  const std::string dbPath = dir + "/outbox.db";
  const bool existed = std::filesystem::file_size(dbPath, ec) > 0 && !ec;
  std::unique_ptr<SqliteStore> store(new SqliteStore(dir, dbPath, *fd));
  const int rc = sqlite3_open_v2(
      dbPath.c_str(), &store->db_,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) return store->dbError("cannot open the outbox database");
  Status st = store->initialize(sync, existed);
  if (!st.isOk()) return st;
  return store;
}

Status SqliteStore::initialize(config::DeliverySettings::Sync sync, bool existed) {
  if (existed) {
    Status st = checkIntegrity();
    if (!st.isOk()) return st;
  }
  // The schema first: a file that is not ours is refused before anything is written to it.
  Status st = createOrCheckSchema();
  if (st.isOk()) st = setPragmas(sync);
  // A connection whose first event has no due time (its head was deleted by hand with the
  // sqlite3 CLI) would never be attempted: give it its own one.
  if (st.isOk() && existed)
    st = exec(
        "UPDATE events SET due_ms = not_before_ms WHERE due_ms IS NULL AND seq IN "
        "(SELECT min(seq) FROM events GROUP BY connection_id)");
  if (!st.isOk()) return st;
  if (sqlite3_create_function_v2(db_, "wps_leased", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, this,
                                 &SqliteStore::leasedFunction, nullptr, nullptr,
                                 nullptr) != SQLITE_OK)
    return dbError("cannot prepare statements on");
  st_ = std::make_unique<Statements>();
  for (auto& [stmt, sql] : st_->all()) {
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) !=
        SQLITE_OK)
      return dbError("cannot prepare statements on");
  }
  return loadTotals();
}

Status SqliteStore::dbError(const std::string& what) const {
  const int rc = db_ != nullptr ? sqlite3_extended_errcode(db_) : SQLITE_CANTOPEN;
  const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
  if (isCorruption(rc))
    return Status(StatusCode::kDataLoss, "the outbox database " + dbPath_ +
                                             " is corrupt or not an outbox database (" + detail +
                                             "); it is left as it is: move it away to start empty");
  return Status(StatusCode::kUnavailable, what + " " + dbPath_ + ": " + detail);
}

Status SqliteStore::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
    return dbError("cannot use the outbox database");
  return Status::ok();
}

// PRAGMA quick_check over an existing file: any finding is corruption (kDataLoss).
Status SqliteStore::checkIntegrity() {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA quick_check", -1, &s, nullptr) != SQLITE_OK)
    return dbError("cannot read the outbox database");
  std::string findings;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    std::string line = columnString(s, 0);
    if (line != "ok") findings += (findings.empty() ? "" : "; ") + line;
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return dbError("cannot read the outbox database");
  if (!findings.empty())
    return Status(StatusCode::kDataLoss, "the outbox database " + dbPath_ + " is corrupt (" +
                                             findings.substr(0, 300) +
                                             "); it is left as it is: move it away to start empty");
  return Status::ok();
}

Status SqliteStore::setPragmas(config::DeliverySettings::Sync sync) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA journal_mode = WAL", -1, &s, nullptr) != SQLITE_OK)
    return dbError("cannot read the outbox database");
  const int rc = sqlite3_step(s);
  const std::string mode = rc == SQLITE_ROW ? columnString(s, 0) : std::string();
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) return dbError("cannot read the outbox database");
  if (mode != "wal")
    return Status(StatusCode::kUnavailable,
                  "cannot switch the outbox database " + dbPath_ + " to WAL (mode " + mode + ")");
  Status st = exec(sync == config::DeliverySettings::Sync::kFull ? "PRAGMA synchronous = FULL"
                                                                 : "PRAGMA synchronous = NORMAL");
  // Checkpoint every 64 MB of WAL instead of 4 MB: with a large backlog each batch dirties
  // random index pages (connection ids), and rarer checkpoints write each page back once for
  // many batches (bench/RESULTS.md). The WAL is cut back to 64 MB after a checkpoint.
  if (st.isOk()) st = exec("PRAGMA wal_autocheckpoint = 16384");
  if (st.isOk()) st = exec("PRAGMA journal_size_limit = 67108864");
  return st;
}

Status SqliteStore::createOrCheckSchema() {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM sqlite_master", -1, &s, nullptr) != SQLITE_OK)
    return dbError("cannot read the outbox database");
  int rc = sqlite3_step(s);
  const int64_t objects = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) return dbError("cannot read the outbox database");
  if (objects == 0) {
    Status st = exec("BEGIN");
    if (st.isOk()) st = exec(kSchema);
    if (st.isOk()) st = exec("COMMIT");
    if (!st.isOk()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  }
  rc = sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &s,
                          nullptr);
  std::string version;
  if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) version = columnString(s, 0);
  sqlite3_finalize(s);
  if (version.empty())
    return Status(StatusCode::kDataLoss, "the file " + dbPath_ +
                                             " is not an outbox database (no schema version in "
                                             "table meta); it is left as it is");
  if (version != std::to_string(kSchemaVersion))
    return Status(StatusCode::kDataLoss, "the outbox database " + dbPath_ + " has schema version " +
                                             version + "; this webpubsubd knows version " +
                                             std::to_string(kSchemaVersion));
  return Status::ok();
}

Status SqliteStore::loadTotals() {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT hub, count(*), total(bytes), max(seq) FROM events GROUP BY hub",
                         -1, &s, nullptr) != SQLITE_OK)
    return dbError("cannot read the outbox database");
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    HubTotals& h = hubs_[columnString(s, 0)];
    h.events = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
    h.bytes = static_cast<uint64_t>(sqlite3_column_double(s, 2));
    events_ += h.events;
    bytes_ += h.bytes;
    nextSeq_ = std::max(nextSeq_, static_cast<uint64_t>(sqlite3_column_int64(s, 3)) + 1);
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) return dbError("cannot read the outbox database");
  return Status::ok();
}

StatusOr<std::string> SqliteStore::pragma(const std::string& name) {
  if (name.empty() || !std::all_of(name.begin(), name.end(),
                                   [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; }))
    return invalidArgument("not a pragma name: " + name);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, ("PRAGMA " + name).c_str(), -1, &s, nullptr) != SQLITE_OK)
    return dbError("cannot read the outbox database");
  const int rc = sqlite3_step(s);
  std::string value = rc == SQLITE_ROW ? columnString(s, 0) : std::string();
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return dbError("cannot read the outbox database");
  return value;
}

// --- Transactions ------------------------------------------------------------------------------

Status SqliteStore::step(sqlite3_stmt* stmt) {
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return dbError("cannot write the outbox database");
  return Status::ok();
}

// Runs `body` in one transaction; commits and applies `delta` to memory, or rolls back and
// leaves memory as it was.
Status SqliteStore::inTransaction(Delta& delta, const std::function<Status()>& body) {
  delta.nextSeq = nextSeq_;
  Status st = step(st_->begin);
  if (!st.isOk()) return st;
  st = body();
  if (st.isOk()) st = step(st_->commit);
  if (!st.isOk()) {
    if (!sqlite3_get_autocommit(db_)) step(st_->rollback);
    return st;
  }
  commit(delta);
  return Status::ok();
}

void SqliteStore::commit(const Delta& delta) {
  events_ = static_cast<uint64_t>(static_cast<int64_t>(events_) + delta.events);
  bytes_ = static_cast<uint64_t>(static_cast<int64_t>(bytes_) + delta.bytes);
  for (const auto& [hub, d] : delta.hubs) {
    HubTotals& h = hubs_[hub];
    h.events = static_cast<uint64_t>(static_cast<int64_t>(h.events) + d.first);
    h.bytes = static_cast<uint64_t>(static_cast<int64_t>(h.bytes) + d.second);
    if (h.events == 0) hubs_.erase(hub);
  }
  for (uint64_t seq : delta.endedLeases)
    leases_.erase(seq);
  nextSeq_ = delta.nextSeq;
  oldestCache_.reset();
}

Status SqliteStore::apply(Batch& batch) {
  if (batch.empty()) return Status::ok();
  Delta delta;
  return inTransaction(delta, [&] { return applyAll(batch, delta); });
}

Status SqliteStore::applyAll(Batch& batch, Delta& delta) {
  for (const ConnectionRecord& r : batch.recorded) {
    bindConnection(st_->upsertConnection, r, batch.nowMs);
    Status st = step(st_->upsertConnection);
    if (!st.isOk()) return st;
  }
  for (PendingEvent& ev : batch.appended) {
    Status st = appendEvent(ev, delta);
    if (!st.isOk()) return st;
  }
  for (uint64_t seq : batch.removed) {
    auto lease = leases_.find(seq);
    if (lease == leases_.end() || delta.endedLeases.count(seq)) continue;
    Status st = removeLeased(seq, lease->second, batch.nowMs, delta);
    if (!st.isOk()) return st;
  }
  for (const Reschedule& r : batch.rescheduled) {
    if (!leases_.count(r.seq) || !delta.endedLeases.insert(r.seq).second) continue;
    bindInt(st_->reschedule, 1, static_cast<int64_t>(r.seq));
    bindInt(st_->reschedule, 2, r.attempts);
    bindInt(st_->reschedule, 3, r.dueMs);
    Status st = step(st_->reschedule);
    if (!st.isOk()) return st;
  }
  for (const StateUpdate& u : batch.stateUpdates) {
    bindText(st_->updateState, 1, u.connectionId);
    bindText(st_->updateState, 2, u.connectionState);
    Status st = step(st_->updateState);
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

Status SqliteStore::appendEvent(PendingEvent& ev, Delta& delta) {
  const char* kind = kindName(ev.kind);
  if (kind == nullptr)
    return invalidArgument("the outbox keeps connected, disconnected, joined and left events only");
  bindText(st_->hasEvents, 1, ev.connectionId);
  const int rc = sqlite3_step(st_->hasEvents);
  sqlite3_reset(st_->hasEvents);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return dbError("cannot read the outbox database");
  const bool head = rc == SQLITE_DONE;
  const std::string headers = encodeHeaders(ev.extraHeaders);
  const size_t bytes = ev.byteSize();
  sqlite3_stmt* s = st_->insertEvent;
  bindInt(s, 1, static_cast<int64_t>(delta.nextSeq));
  bindText(s, 2, ev.connectionId);
  bindText(s, 3, ev.hub);
  bindText(s, 4, kind);
  bindText(s, 5, ev.ceId);
  bindInt(s, 6, ev.timeMs);
  bindOptText(s, 7, ev.userId);
  bindText(s, 8, ev.subprotocol);
  bindText(s, 9, ev.connectionState);
  bindText(s, 10, ev.contentType);
  bindBlob(s, 11, ev.body);
  bindBlob(s, 12, headers);
  bindInt(s, 13, ev.attempts);
  bindInt(s, 14, ev.dueMs);
  if (head) bindInt(s, 15, ev.dueMs);  // else NULL (cleared bindings)
  bindInt(s, 16, static_cast<int64_t>(bytes));
  bindText(s, 17, ev.origin);
  Status st = step(s);
  if (!st.isOk()) return st;
  if (ev.kind == cloudevents::EventKind::kConnected) {
    bindConnection(st_->upsertConnection, ev, ev.timeMs);
    st = step(st_->upsertConnection);
  } else if (ev.kind == cloudevents::EventKind::kDisconnected) {
    bindText(st_->deleteConnection, 1, ev.connectionId);
    st = step(st_->deleteConnection);
  }
  if (!st.isOk()) return st;
  ev.seq = delta.nextSeq++;
  delta.add(ev.hub, 1, static_cast<int64_t>(bytes));
  return Status::ok();
}

// Deletes event `seq` (nullopt when there is none) and promotes its successor if it was the
// head.
StatusOr<std::optional<EventRef>> SqliteStore::removeEvent(uint64_t seq, int64_t nowMs,
                                                           Delta& delta) {
  sqlite3_stmt* s = st_->deleteEvent;
  bindInt(s, 1, static_cast<int64_t>(seq));
  int rc = sqlite3_step(s);
  std::optional<EventRef> ref;
  bool wasHead = false;
  if (rc == SQLITE_ROW) {
    ref = EventRef{seq, cloudevents::EventKind::kConnected, columnString(s, 1), columnString(s, 0),
                   static_cast<size_t>(sqlite3_column_int64(s, 3))};
    ref->kind = parseKind(columnString(s, 2)).value_or(cloudevents::EventKind::kDisconnected);
    wasHead = sqlite3_column_int(s, 4) != 0;
    rc = sqlite3_step(s);
  }
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) return dbError("cannot write the outbox database");
  if (!ref) return ref;
  delta.add(ref->hub, -1, -static_cast<int64_t>(ref->bytes));
  if (leases_.count(seq)) delta.endedLeases.insert(seq);
  if (wasHead) {
    Status st = promoteNext(ref->connectionId, nowMs);
    if (!st.isOk()) return st;
  }
  return ref;
}

// Deletes leased head `seq` (described by `lease`) and promotes its successor, reading nothing
// back: takeDue() read the row. A plain DELETE costs markedly less than removeEvent()'s
// DELETE ... RETURNING, which goes through a temporary table (bench/RESULTS.md). A head
// deleted by hand meanwhile ends its lease and promotes its successor all the same.
Status SqliteStore::removeLeased(uint64_t seq, const Lease& lease, int64_t nowMs, Delta& delta) {
  bindInt(st_->deleteLeased, 1, static_cast<int64_t>(seq));
  Status st = step(st_->deleteLeased);
  if (!st.isOk()) return st;
  delta.endedLeases.insert(seq);
  if (sqlite3_changes(db_) > 0) delta.add(lease.hub, -1, -static_cast<int64_t>(lease.bytes));
  return promoteNext(lease.connectionId, nowMs);
}

Status SqliteStore::promoteNext(const std::string& connectionId, int64_t nowMs) {
  sqlite3_stmt* s = st_->firstOfConnection;
  bindText(s, 1, connectionId);
  const int rc = sqlite3_step(s);
  const int64_t next = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  const int64_t notBefore = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
  sqlite3_reset(s);
  if (rc == SQLITE_DONE) return Status::ok();
  if (rc != SQLITE_ROW) return dbError("cannot read the outbox database");
  bindInt(st_->setDue, 1, next);
  bindInt(st_->setDue, 2, std::max(notBefore, nowMs));
  return step(st_->setDue);
}

// --- Reading -----------------------------------------------------------------------------------

// Decodes the current row of a statement selecting kEventColumns.
StatusOr<PendingEvent> SqliteStore::readEvent(sqlite3_stmt* s) const {
  PendingEvent ev;
  ev.seq = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
  ev.connectionId = columnString(s, 1);
  ev.hub = columnString(s, 2);
  const auto kind = parseKind(columnString(s, 3));
  ev.ceId = columnString(s, 4);
  ev.timeMs = sqlite3_column_int64(s, 5);
  ev.userId = columnOptString(s, 6);
  ev.subprotocol = columnString(s, 7);
  ev.connectionState = columnString(s, 8);
  ev.contentType = columnString(s, 9);
  ev.body = columnString(s, 10);
  const bool headersOk = decodeHeaders(columnString(s, 11), ev.extraHeaders);
  ev.attempts = static_cast<uint32_t>(sqlite3_column_int64(s, 12));
  ev.dueMs = sqlite3_column_int64(s, 13);
  ev.origin = columnString(s, 15);
  if (!kind || !headersOk)
    return Status(StatusCode::kDataLoss, "the outbox database " + dbPath_ + " has an event (seq " +
                                             std::to_string(ev.seq) +
                                             ") with an unknown kind or malformed headers");
  ev.kind = *kind;
  return ev;
}

// One statement (one read transaction) over the due index; leased heads are skipped (in SQL,
// wps_leased) before their rows are read. Leases what it returns, keeping what removing the head
// needs (Lease).
StatusOr<std::vector<PendingEvent>> SqliteStore::takeDue(int64_t nowMs, size_t limit) {
  std::vector<PendingEvent> out;
  std::vector<uint64_t> bytes;
  sqlite3_stmt* s = st_->dueScan;
  ResetOnExit reset(s);
  bindInt(s, 1, nowMs);
  int rc = SQLITE_DONE;
  while (out.size() < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    auto ev = readEvent(s);
    if (!ev.isOk()) return ev.status();
    bytes.push_back(static_cast<uint64_t>(sqlite3_column_int64(s, 16)));
    out.push_back(std::move(ev).value());
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return dbError("cannot read the outbox database");
  for (size_t i = 0; i < out.size(); ++i)
    leases_.emplace(out[i].seq, Lease{out[i].connectionId, out[i].hub, bytes[i]});
  return out;
}

std::optional<int64_t> SqliteStore::nextDueMs() {
  sqlite3_stmt* s = st_->nextDue;
  ResetOnExit reset(s);
  if (sqlite3_step(s) == SQLITE_ROW) return sqlite3_column_int64(s, 0);
  return std::nullopt;
}

// SQL function wps_leased(seq): 1 when `seq` is leased, else 0.
void SqliteStore::leasedFunction(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  const auto* self = static_cast<const SqliteStore*>(sqlite3_user_data(ctx));
  const auto seq = static_cast<uint64_t>(sqlite3_value_int64(argv[0]));
  sqlite3_result_int(ctx, self->leases_.count(seq) ? 1 : 0);
}

StoreStats SqliteStore::stats() const {
  StoreStats out;
  out.events = events_;
  out.bytes = bytes_;
  if (!oldestCache_) {
    sqlite3_stmt* s = st_->oldest;
    ResetOnExit reset(s);
    if (sqlite3_step(s) == SQLITE_ROW) {
      oldestCache_ = std::optional<int64_t>(sqlite3_column_int64(s, 0));
    } else {
      oldestCache_ = std::optional<int64_t>();
    }
  }
  out.oldestTimeMs = *oldestCache_;
  return out;
}

StatusOr<std::vector<ConnectionRecord>> SqliteStore::orphanedConnections() {
  std::vector<ConnectionRecord> out;
  sqlite3_stmt* s = st_->orphans;
  ResetOnExit reset(s);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    ConnectionRecord r;
    r.hub = columnString(s, 0);
    r.connectionId = columnString(s, 1);
    r.userId = columnOptString(s, 2);
    r.subprotocol = columnString(s, 3);
    r.connectionState = columnString(s, 4);
    r.origin = columnString(s, 5);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return dbError("cannot read the outbox database");
  return out;
}

// --- Drops -------------------------------------------------------------------------------------

StatusOr<std::vector<uint64_t>> SqliteStore::expiredSeqs(int64_t beforeMs, size_t limit) {
  std::vector<uint64_t> seqs;
  sqlite3_stmt* s = st_->seqScan;
  ResetOnExit reset(s);
  int rc = SQLITE_DONE;
  while (seqs.size() < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
    const auto seq = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
    if (leases_.count(seq)) continue;
    if (sqlite3_column_int64(s, 1) >= beforeMs) break;
    seqs.push_back(seq);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return dbError("cannot read the outbox database");
  return seqs;
}

StatusOr<std::vector<EventRef>> SqliteStore::dropExpired(int64_t beforeMs, int64_t nowMs,
                                                         size_t limit) {
  auto seqs = expiredSeqs(beforeMs, limit);
  if (!seqs.isOk()) return seqs.status();
  std::vector<EventRef> out;
  if (seqs->empty()) return out;
  Delta delta;
  Status st = inTransaction(delta, [&]() -> Status {
    for (uint64_t seq : *seqs) {
      auto ref = removeEvent(seq, nowMs, delta);
      if (!ref.isOk()) return ref.status();
      if (*ref) out.push_back(std::move(**ref));
    }
    return Status::ok();
  });
  if (!st.isOk()) return st;
  return out;
}

StatusOr<std::optional<uint64_t>> SqliteStore::oldestDroppable(const std::string& hub) {
  sqlite3_stmt* s = st_->hubScan;
  ResetOnExit reset(s);
  bindText(s, 1, hub);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const auto seq = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
    if (!leases_.count(seq)) return std::optional<uint64_t>(seq);
  }
  if (rc != SQLITE_DONE) return dbError("cannot read the outbox database");
  return std::optional<uint64_t>();
}

Status SqliteStore::dropLargest(uint64_t maxEvents, uint64_t maxBytes, int64_t nowMs, Delta& delta,
                                std::vector<EventRef>& out) {
  std::map<std::string, HubTotals> counts = hubs_;
  auto smaller = [&counts](const std::string& a, const std::string& b) {
    if (counts[a].events != counts[b].events) return counts[a].events < counts[b].events;
    return a > b;
  };
  std::vector<std::string> order;
  for (const auto& [hub, totals] : counts)
    order.push_back(hub);
  std::make_heap(order.begin(), order.end(), smaller);
  auto over = [&] {
    const auto events = static_cast<uint64_t>(static_cast<int64_t>(events_) + delta.events);
    const auto bytes = static_cast<uint64_t>(static_cast<int64_t>(bytes_) + delta.bytes);
    return events > maxEvents || bytes > maxBytes;
  };
  while (over() && !order.empty()) {
    std::pop_heap(order.begin(), order.end(), smaller);
    std::string hub = std::move(order.back());
    order.pop_back();
    auto seq = oldestDroppable(hub);
    if (!seq.isOk()) return seq.status();
    if (!*seq) continue;  // only leased events left in this hub
    auto ref = removeEvent(**seq, nowMs, delta);
    if (!ref.isOk()) return ref.status();
    if (!*ref) continue;
    HubTotals& c = counts[hub];
    --c.events;
    c.bytes -= (*ref)->bytes;
    out.push_back(std::move(**ref));
    if (c.events > 0) {
      order.push_back(std::move(hub));
      std::push_heap(order.begin(), order.end(), smaller);
    }
  }
  return Status::ok();
}

StatusOr<std::vector<EventRef>> SqliteStore::dropOverflow(uint64_t maxEvents, uint64_t maxBytes,
                                                          int64_t nowMs) {
  std::vector<EventRef> out;
  if (events_ <= maxEvents && bytes_ <= maxBytes) return out;
  Delta delta;
  Status st =
      inTransaction(delta, [&] { return dropLargest(maxEvents, maxBytes, nowMs, delta, out); });
  if (!st.isOk()) return st;
  return out;
}

}  // namespace wps::delivery
