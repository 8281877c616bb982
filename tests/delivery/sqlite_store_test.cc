// SqliteStore beyond the shared contract: persistence across reopen, the directory lock,
// refusing corrupt or foreign files, the sync pragma, atomic batches, the sqlite3 CLI.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "delivery/open_store.h"
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
using Sync = config::DeliverySettings::Sync;

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.path() + "/data"; }
  std::string dbFile() const { return dir() + "/outbox.db"; }

  std::unique_ptr<SqliteStore> open(Sync sync = Sync::kNormal) {
    auto store = SqliteStore::open(dir(), sync);
    EXPECT_TRUE(store.isOk()) << store.status().toString();
    return store.isOk() ? std::move(store).value() : nullptr;
  }

  // Expects open() to fail with `code`, its message naming `what`.
  void expectOpenFails(StatusCode code, const std::string& what) {
    auto store = SqliteStore::open(dir(), Sync::kNormal);
    ASSERT_FALSE(store.isOk());
    EXPECT_EQ(store.status().code(), code) << store.status().toString();
    EXPECT_NE(store.status().message().find(what), std::string::npos) << store.status().toString();
  }

  void writeFile(const std::string& bytes) {
    std::filesystem::create_directories(dir());
    std::ofstream(dbFile(), std::ios::binary) << bytes;
  }

  // Runs `sql` on a separate connection (not the store's).
  void execOther(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dbFile().c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  test::TempDir tmp_;
};

TEST_F(SqliteStoreTest, EventsSchedulingAndRecordsSurviveReopen) {
  auto ev = connected("c1", "chat", 1000);
  ev.extraHeaders = {{"Cookie", "a=1,2:x"}, {"X-WebPubSub-Metadata-k", std::string("\0\xff,:", 4)}};
  ev.subprotocol = "json.webpubsub.azure.v1";
  ev.connectionState = "s0";
  ev.body = std::string("\0{}", 3);
  Seqs s;
  StoreStats before;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    s = appendAll(*store, {ev, disconnected("c1", "chat", 1001), connected("c2", "chat", 1002)});
    ASSERT_EQ(seqsOf(take(*store, 1000)), (Seqs{s[0]}));
    reschedule(*store, s[0], 3, 7000, 1500);
    ASSERT_EQ(take(*store, 1002).size(), 1u);  // c2's head stays leased at close
    OutboxStore::Batch b;
    b.stateUpdates.push_back({"c2", "s2"});
    ASSERT_TRUE(store->apply(b).isOk());
    before = store->stats();
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  StoreStats after = store->stats();
  EXPECT_EQ(after.events, before.events);
  EXPECT_EQ(after.bytes, before.bytes);
  EXPECT_EQ(after.oldestTimeMs, 1000);
  // Leases are forgotten: c2's head is due again; c1's waits for its rescheduled time.
  EXPECT_EQ(seqsOf(take(*store, 6999)), (Seqs{s[2]}));
  auto got = take(*store, 7000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attempts, 3u);
  EXPECT_EQ(got[0].dueMs, 7000);
  EXPECT_EQ(got[0].body, ev.body);
  EXPECT_EQ(got[0].subprotocol, ev.subprotocol);
  ASSERT_EQ(got[0].extraHeaders.size(), 2u);
  EXPECT_EQ(got[0].extraHeaders[0].value, "a=1,2:x");
  EXPECT_EQ(got[0].extraHeaders[1].name, "X-WebPubSub-Metadata-k");
  EXPECT_EQ(got[0].extraHeaders[1].value, std::string("\0\xff,:", 4));
  // c1 was disconnected (record removed); c2's record carries its updated state.
  auto orphans = store->orphanedConnections();
  ASSERT_TRUE(orphans.isOk());
  ASSERT_EQ(orphans->size(), 1u);
  EXPECT_EQ((*orphans)[0].connectionId, "c2");
  EXPECT_EQ((*orphans)[0].hub, "chat");
  EXPECT_EQ((*orphans)[0].userId, "user-c2");
  EXPECT_EQ((*orphans)[0].connectionState, "s2");
  EXPECT_EQ(store->orphanedConnections()->size(), 1u);  // read-only
  // New seqs continue after the stored ones.
  Seqs more = appendAll(*store, {connected("c3", "chat", 9000)});
  EXPECT_GT(more[0], s[2]);
}

TEST_F(SqliteStoreTest, ConnectedRecordsAndDisconnectedRemovesInTheSameBatch) {
  {
    auto store = open();
    auto rec = connected("r1", "h", 5);
    rec.userId = std::nullopt;
    rec.subprotocol = "protocol.x";
    rec.connectionState = "{\"a\":1}";
    rec.origin = "chat.example.com:8443";
    appendAll(*store, {rec, connected("r2", "h", 6), disconnected("r2", "h", 7)});
  }
  auto store = open();
  auto orphans = store->orphanedConnections();
  ASSERT_TRUE(orphans.isOk());
  ASSERT_EQ(orphans->size(), 1u);
  EXPECT_EQ((*orphans)[0].connectionId, "r1");
  EXPECT_EQ((*orphans)[0].userId, std::nullopt);
  EXPECT_EQ((*orphans)[0].subprotocol, "protocol.x");
  EXPECT_EQ((*orphans)[0].connectionState, "{\"a\":1}");
  EXPECT_EQ((*orphans)[0].origin, "chat.example.com:8443");
  appendAll(*store, {disconnected("r1", "h", 8)});
  EXPECT_TRUE(store->orphanedConnections()->empty());
}

TEST_F(SqliteStoreTest, ARecordedConnectionIsStampedWithItsBatchTime) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    appendAll(*store, {connected("c1", "h", 77)});  // a connected event's row: its ce-time
    OutboxStore::Batch b;
    b.recorded.push_back({"h", "r1", "u", "", "", "o"});
    b.nowMs = 4242;
    ASSERT_TRUE(store->apply(b).isOk());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dbFile().c_str(), &db), SQLITE_OK);
  std::vector<std::string> rows;
  auto collect = [](void* out, int n, char** values, char**) {
    std::string row;
    for (int i = 0; i < n; ++i)
      row += std::string(i ? "|" : "") + (values[i] ? values[i] : "NULL");
    static_cast<std::vector<std::string>*>(out)->push_back(row);
    return 0;
  };
  EXPECT_EQ(sqlite3_exec(db,
                         "SELECT connection_id, hub, user_id, recorded_ms, origin FROM connections "
                         "ORDER BY connection_id",
                         collect, &rows, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(rows, (std::vector<std::string>{"c1|h|user-c1|77|", "r1|h|u|4242|o"}));
}

TEST_F(SqliteStoreTest, AHeadDeletedByHandIsReplacedAtOpen) {
  Seqs s;
  {
    auto store = open();
    auto later = disconnected("a", "h", 2);
    later.dueMs = 500;
    s = appendAll(*store, {connected("a", "h", 1), later});
  }
  execOther("DELETE FROM events WHERE seq = " + std::to_string(s[0]));
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->nextDueMs(), 500);
  EXPECT_EQ(seqsOf(take(*store, 500)), (Seqs{s[1]}));
}

// Removing a leased head reads nothing back from its row (the lease remembers the connection,
// hub and bytes): a head deleted by hand while it was leased still ends its lease and hands
// over to its successor.
TEST_F(SqliteStoreTest, ALeasedHeadDeletedByHandStillHandsOverToItsSuccessor) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  Seqs s = appendAll(*store, {connected("a", "h", 1), disconnected("a", "h", 2)});
  ASSERT_EQ(seqsOf(take(*store, 10)), (Seqs{s[0]}));
  execOther("DELETE FROM events WHERE seq = " + std::to_string(s[0]));
  removeSeqs(*store, {s[0]}, 20);
  EXPECT_EQ(store->nextDueMs(), 20);
  EXPECT_EQ(seqsOf(take(*store, 20)), (Seqs{s[1]}));
}

TEST_F(SqliteStoreTest, ASecondOpenFailsWhileTheFirstHoldsTheLock) {
  auto first = open();
  ASSERT_NE(first, nullptr);
  expectOpenFails(StatusCode::kFailedPrecondition,
                  "another webpubsubd uses the outbox directory " + dir());
  // Another process too.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto store = SqliteStore::open(dir(), Sync::kNormal);
    ::_exit(!store.isOk() && store.status().code() == StatusCode::kFailedPrecondition ? 7 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  first.reset();
  EXPECT_NE(open(), nullptr);  // released with the store
}

TEST_F(SqliteStoreTest, ATruncatedDatabaseIsDataLossAndLeftAlone) {
  {
    auto store = open();
    std::vector<PendingEvent> events;
    for (int i = 0; i < 3000; ++i)
      events.push_back(connected("conn-" + std::to_string(i), "hub", i));
    appendAll(*store, std::move(events));
  }
  const auto size = std::filesystem::file_size(dbFile());
  ASSERT_GT(size, 64u * 1024);
  std::filesystem::resize_file(dbFile(), size / 2);
  expectOpenFails(StatusCode::kDataLoss, dbFile());
  EXPECT_EQ(std::filesystem::file_size(dbFile()), size / 2);
}

TEST_F(SqliteStoreTest, AGarbageFileIsDataLoss) {
  std::string garbage;
  for (int i = 0; i < 500; ++i)
    garbage += "this is not a database. ";
  writeFile(garbage);
  expectOpenFails(StatusCode::kDataLoss, dbFile());
  std::ifstream in(dbFile(), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), garbage);
}

TEST_F(SqliteStoreTest, AForeignDatabaseOrAnUnknownVersionIsDataLoss) {
  std::filesystem::create_directories(dir());
  execOther("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine');");
  expectOpenFails(StatusCode::kDataLoss, "is not an outbox database");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dbFile().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "delete");  // untouched
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
  std::filesystem::remove(dbFile());
  { ASSERT_NE(open(), nullptr); }
  execOther("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  expectOpenFails(StatusCode::kDataLoss, "schema version 99");
}

TEST_F(SqliteStoreTest, SyncModesSetThePragmaInWalMode) {
  {
    auto store = open(Sync::kFull);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->pragma("synchronous"), "2");  // FULL
    EXPECT_EQ(*store->pragma("journal_mode"), "wal");
  }
  auto store = open(Sync::kNormal);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->pragma("synchronous"), "1");  // NORMAL
  EXPECT_FALSE(store->pragma("synchronous; DROP TABLE events").isOk());
}

TEST_F(SqliteStoreTest, AFailedBatchChangesNothing) {
  auto store = open();
  Seqs s = appendAll(*store, {connected("a", "h", 1), disconnected("a", "h", 2)});
  ASSERT_EQ(take(*store, 10).size(), 1u);
  const StoreStats before = store->stats();
  OutboxStore::Batch bad;
  bad.appended.push_back(connected("b", "h", 3));
  bad.removed.push_back(s[0]);
  auto user = connected("c", "h", 4);
  user.kind = cloudevents::EventKind::kUser;
  bad.appended.push_back(user);
  bad.nowMs = 10;
  Status st = store->apply(bad);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->stats().events, before.events);
  EXPECT_EQ(store->stats().bytes, before.bytes);
  EXPECT_TRUE(take(*store, 10).empty());               // a's head is still leased; b was not added
  EXPECT_TRUE(store->orphanedConnections()->empty());  // b was not recorded
  removeSeqs(*store, {s[0]}, 10);                      // the lease survived the failed batch
  EXPECT_EQ(seqsOf(take(*store, 10)), (Seqs{s[1]}));
}

TEST_F(SqliteStoreTest, TheSqliteCliReadsTheOutboxWhileItIsOpen) {
  // The sqlite3 CLI is installed by scripts/bootstrap (operators inspect the outbox with it).
  ASSERT_EQ(std::system("command -v sqlite3 >/dev/null 2>&1"), 0) << "the sqlite3 CLI is missing";
  auto store = open();
  appendAll(*store, {connected("a", "h", 1), disconnected("a", "h", 2), connected("b", "h", 3)});
  const std::string cmd =
      "sqlite3 '" + dbFile() + "' \"SELECT count(*), sum(due_ms IS NOT NULL) FROM events\" 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[256] = {};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  EXPECT_EQ(::pclose(p), 0);
  EXPECT_EQ(std::string(buf, n), "3|2\n");
  EXPECT_EQ(take(*store, 5).size(), 2u);  // the store still works
}

TEST(OpenStoreTest, ChoosesTheStoreByDataDir) {
  config::DeliverySettings settings;
  auto memory = openStore(settings);
  ASSERT_TRUE(memory.isOk());
  EXPECT_FALSE((*memory)->durable());
  test::TempDir tmp;
  settings.dataDir = tmp.path() + "/a/b";
  auto durable = openStore(settings);
  ASSERT_TRUE(durable.isOk()) << durable.status().toString();
  EXPECT_TRUE((*durable)->durable());
  EXPECT_TRUE(std::filesystem::exists(settings.dataDir + "/outbox.db"));
  EXPECT_TRUE(std::filesystem::exists(settings.dataDir + "/LOCK"));
  auto second = openStore(settings);
  ASSERT_FALSE(second.isOk());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace wps::delivery
