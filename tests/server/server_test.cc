// Server start-up with a delivery.data_dir: the outbox database belongs to one process, and a
// database that is not a readable outbox stops the start with a message naming the file.
#include "server/server.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/log.h"

namespace wps::server {
namespace {

// A fresh directory under the system's temporary directory, removed with its content.
class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "wps-server-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

config::ServerSettings settingsFor(const std::filesystem::path& dataDir) {
  config::ServerSettings s;
  s.listenHost = "127.0.0.1";
  s.listenPort = 0;
  s.workers = 1;
  s.accessKeys = {"server-test-access-key-0123456789abcdefghij"};
  s.delivery.dataDir = dataDir.string();
  return s;
}

class ServerDataDirTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { initLogging("error"); }
  TempDir dir;
};

TEST_F(ServerDataDirTest, ASecondServerOnTheSameDataDirDoesNotStart) {
  auto first = Server::create(settingsFor(dir.path()));
  ASSERT_TRUE(first) << first.status().toString();
  ASSERT_TRUE((*first)->start());
  auto second = Server::create(settingsFor(dir.path()));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find((dir.path() / "LOCK").string()), std::string::npos)
      << second.status().message();
  (*first)->shutdown();
  first->reset();  // the lock goes with the store
  auto third = Server::create(settingsFor(dir.path()));
  EXPECT_TRUE(third) << third.status().toString();
}

TEST_F(ServerDataDirTest, ACorruptDatabaseStopsTheStartAndIsKept) {
  const auto db = dir.path() / "outbox.db";
  const std::string garbage(8192, 'x');
  std::ofstream(db, std::ios::binary) << garbage;
  auto server = Server::create(settingsFor(dir.path()));
  ASSERT_FALSE(server);
  EXPECT_EQ(server.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(server.status().message().find(db.string()), std::string::npos)
      << server.status().message();
  std::ifstream in(db, std::ios::binary);  // never recreated
  std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, garbage);
}

TEST_F(ServerDataDirTest, AnUnwritableDataDirStopsTheStart) {
  const auto file = dir.path() / "not-a-directory";
  std::ofstream(file) << "x";
  auto server = Server::create(settingsFor(file));
  ASSERT_FALSE(server);
  EXPECT_EQ(server.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(server.status().message().find(file.string()), std::string::npos)
      << server.status().message();
}

TEST(ServerMemoryOutboxTest, WithoutADataDirTheServerStartsAndStops) {
  config::ServerSettings s = settingsFor({});
  ASSERT_TRUE(s.delivery.dataDir.empty());
  auto server = Server::create(s);
  ASSERT_TRUE(server) << server.status().toString();
  ASSERT_TRUE((*server)->start());
  EXPECT_NE((*server)->port(), 0);
  (*server)->shutdown();
}

}  // namespace
}  // namespace wps::server
