// Durable delivery with a data_dir (issue 12), on a real webpubsubd child process: kill -9 in
// the middle of an outage loses no event and the connections open at the kill get their
// `disconnected` ("The server restarted.", ce-id "recovered") after the restart; a graceful
// shutdown keeps undelivered events for the next start; the data_dir belongs to one process;
// a truncated database stops the start and is not recreated.
#include <gtest/gtest.h>

#include <filesystem>

#include "integration/delivery_helpers.h"

#ifndef WPS_WEBPUBSUBD_PATH
#error "WPS_WEBPUBSUBD_PATH (the webpubsubd binary) must be defined by the build"
#endif

namespace wps::test::delivery {
namespace {

namespace fs = std::filesystem;

class DeliveryCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = freshDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    dataDir_ = dir_ + "/data";
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::unique_ptr<ServerProcess> process(const std::string& log = "server.log") {
    std::string config = writeConfig(
        dir_, upstream_, "max_retry_delay_seconds = 2\ndata_dir = \"" + dataDir_ + "\"\n");
    return std::make_unique<ServerProcess>(WPS_WEBPUBSUBD_PATH, config, dir_ + "/" + log);
  }

  // Waits until the server's store holds `n` pending events (the gauge is updated after each
  // committed batch).
  static bool pendingReaches(const ServerProcess& p, double n) {
    return waitUntil([&] { return p.metric("webpubsubd_delivery_pending_events") == n; }, 10s);
  }

  void expectTruncationRefused(const std::function<uintmax_t(uintmax_t)>& size);

  FakeUpstream upstream_;
  std::string dir_;
  std::string dataDir_;
};

TEST_F(DeliveryCrashTest, KillNineDuringAnOutageLosesNoEventAndRecoversOpenConnections) {
  upstream_.setMode(UpstreamMode::down());
  auto server = process();
  ASSERT_TRUE(server->start()) << server->log();

  // Before the kill: 500 connections, 300 of them closed again, 200 still open.
  std::set<std::string> ids, openAtKill;
  auto first = connectMany(server->port(), "a", 500);
  ASSERT_EQ(first.size(), 500u);
  for (auto& c : first)
    ids.insert(c.connectionId);
  std::vector<IdentifiedClient> closing(std::make_move_iterator(first.begin() + 200),
                                        std::make_move_iterator(first.end()));
  first.resize(200);
  closeAll(closing);
  for (auto& c : first)
    openAtKill.insert(c.connectionId);
  ASSERT_TRUE(pendingReaches(*server, 800)) << server->metric("webpubsubd_delivery_pending_events");
  // The gauge counts the store's events: the 800 are committed (group commit) before the kill.
  server->kill9();
  first.clear();

  // Restart on the same data_dir: the 800 pending events plus 200 recovered disconnects.
  ASSERT_TRUE(server->start()) << server->log();
  EXPECT_TRUE(pendingReaches(*server, 1000));
  auto second = connectMany(server->port(), "b", 500);
  ASSERT_EQ(second.size(), 500u);
  for (auto& c : second)
    ids.insert(c.connectionId);
  closeAll(second);
  EXPECT_TRUE(pendingReaches(*server, 2000));

  // The restarted process never validated the handler: its validation backoff (1, 2, 4 ... s)
  // may hold the first delivery back by up to one more step.
  upstream_.setMode(UpstreamMode::normal());
  EXPECT_TRUE(upstream_.waitForDelivered(2000, 60s));
  EXPECT_TRUE(pendingReaches(*server, 0));

  DeliveryReport report = checkDeliveries(upstream_.deliveryAttempts(), ids);
  expectComplete(report);
  size_t recovered = 0;
  for (const auto& [id, ceId] : report.disconnectedCeId) {
    bool wasOpen = openAtKill.count(id) > 0;
    EXPECT_EQ(ceId == "recovered", wasOpen) << id << " ce-id " << ceId;
    if (!wasOpen) continue;
    ++recovered;
    EXPECT_EQ(reasonOf(report.disconnectedBody.at(id)), "The server restarted.") << id;
  }
  EXPECT_EQ(recovered, 200u);
  EXPECT_EQ(server->terminate(20s), 0) << server->log();
}

TEST_F(DeliveryCrashTest, GracefulShutdownKeepsPendingEventsForTheNextStart) {
  upstream_.setMode(UpstreamMode::down());
  auto server = process();
  ASSERT_TRUE(server->start()) << server->log();
  std::set<std::string> ids;
  auto clients = connectMany(server->port(), "g", 50);
  ASSERT_EQ(clients.size(), 50u);
  for (auto& c : clients)
    ids.insert(c.connectionId);
  std::vector<IdentifiedClient> closing(std::make_move_iterator(clients.begin() + 25),
                                        std::make_move_iterator(clients.end()));
  clients.resize(25);
  closeAll(closing);
  ASSERT_TRUE(pendingReaches(*server, 75));

  // SIGTERM closes the 25 open clients, which answer the close (their disconnected is queued),
  // and, the upstream being down, leaves every event in the outbox when the drain ends.
  std::thread answering([&] {
    for (auto& c : clients)
      c.ws->waitForClose(10s);
  });
  EXPECT_EQ(server->terminate(20s), 0) << server->log();
  answering.join();
  clients.clear();
  EXPECT_TRUE(upstream_.deliveryAttempts().empty());

  upstream_.setMode(UpstreamMode::normal());
  ASSERT_TRUE(server->start()) << server->log();
  EXPECT_TRUE(upstream_.waitForDelivered(100, 30s));
  EXPECT_TRUE(pendingReaches(*server, 0));
  DeliveryReport report = checkDeliveries(upstream_.deliveryAttempts(), ids);
  expectComplete(report);
  // A clean shutdown leaves no connection records: nothing is "recovered".
  for (const auto& [id, ceId] : report.disconnectedCeId)
    EXPECT_NE(ceId, "recovered") << id;
  EXPECT_EQ(server->terminate(20s), 0) << server->log();
}

TEST_F(DeliveryCrashTest, SecondProcessOnTheSameDataDirExitsWithAClearMessage) {
  auto first = process("first.log");
  ASSERT_TRUE(first->start()) << first->log();
  auto second = process("second.log");
  EXPECT_FALSE(second->start());
  ASSERT_TRUE(second->exitStatus().has_value()) << "the second process is still running";
  EXPECT_EQ(*second->exitStatus(), 3);  // docs/configuration.md: the outbox cannot be opened
  EXPECT_NE(second->log().find(dataDir_), std::string::npos) << second->log();
  // The first one is unaffected.
  EXPECT_EQ(first->metric("webpubsubd_delivery_pending_events"), 0);
  EXPECT_EQ(first->terminate(20s), 0) << first->log();
}

// Leaves an outbox database with 400 pending events (upstream down, clean shutdown) and no WAL,
// truncates it to `size(original size)` bytes and expects the next start to fail naming the
// file, without touching it.
void DeliveryCrashTest::expectTruncationRefused(const std::function<uintmax_t(uintmax_t)>& size) {
  upstream_.setMode(UpstreamMode::down());
  auto server = process();
  ASSERT_TRUE(server->start()) << server->log();
  auto clients = connectMany(server->port(), "t", 200);
  closeAll(clients);
  ASSERT_TRUE(pendingReaches(*server, 400));
  EXPECT_EQ(server->terminate(20s), 0) << server->log();

  const std::string db = dataDir_ + "/outbox.db";
  ASSERT_TRUE(fs::exists(db));
  fs::remove(dataDir_ + "/outbox.db-wal");
  fs::remove(dataDir_ + "/outbox.db-shm");
  const uintmax_t truncated = size(fs::file_size(db));
  fs::resize_file(db, truncated);
  EXPECT_FALSE(server->start());
  ASSERT_TRUE(server->exitStatus().has_value()) << "the server started on a truncated database";
  EXPECT_EQ(*server->exitStatus(), 3);  // docs/configuration.md: the outbox cannot be opened
  std::string log = server->log();
  EXPECT_NE(log.find(db), std::string::npos) << log;
  EXPECT_EQ(fs::file_size(db), truncated) << "the database was recreated or changed";
}

TEST_F(DeliveryCrashTest, DatabaseTruncatedInItsHeaderStopsTheStartNamingTheFile) {
  expectTruncationRefused([](uintmax_t) { return 50; });  // not even the 100-byte header
}

TEST_F(DeliveryCrashTest, DatabaseTruncatedToHalfStopsTheStartNamingTheFile) {
  expectTruncationRefused([](uintmax_t size) { return size / 2; });
}

}  // namespace
}  // namespace wps::test::delivery
