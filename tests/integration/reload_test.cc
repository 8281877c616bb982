// Reload without restart (docs/operations.md, Reload): the configuration file re-read through
// the start's own path (server/commands.h loadReloadedSettings) by Server::reload() (SIGHUP's
// path), POST /api/admin/reload and a real SIGHUP, while one client stays connected throughout.
#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cloudevents/signature.h"
#include "common/errors.h"
#include "common/log.h"
#include "server/admin_routes.h"
#include "server/commands.h"
#include "server/reloader.h"
#include "support/fake_upstream.h"
#include "support/http_request.h"
#include "support/test_server.h"

#ifndef WPS_WEBPUBSUBD_PATH
#error "WPS_WEBPUBSUBD_PATH (the webpubsubd binary) must be defined by the build"
#endif

namespace wps::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOldKey = "reload-old-access-key-0123456789abcdefghijk";
constexpr const char* kNewKey = "reload-new-access-key-0123456789abcdefghijk";

// The configuration file's text: `key` signs tokens, hub "chat" sends every event to
// `chatHandler`, `extra` is appended as is (more keys and tables).
std::string configText(const std::string& key, const std::string& chatHandler,
                       const std::string& top = "", const std::string& extra = "") {
  return "access_keys = [\"" + key + "\"]\nworkers = 2\n" + top +
         "\n[hubs.chat]\n[[hubs.chat.event_handlers]]\nurl_template = \"" + chatHandler +
         "\"\nuser_event_pattern = \"*\"\n"
         "system_events = [\"connect\", \"connected\", \"disconnected\"]\n" +
         extra;
}

// A server started like `webpubsubd --config FILE --listen 127.0.0.1:0` whose reloads re-read
// FILE, in a temporary directory removed afterwards.
class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("wps-reload-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    options_.configFile = (dir_ / "webpubsubd.toml").string();
    options_.listen = "127.0.0.1:0";
  }

  void TearDown() override {
    server_.reset();
    setLogLevel("warn");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void writeConfig(const std::string& text) { std::ofstream(options_.configFile) << text; }

  void start(const std::string& text) {
    writeConfig(text);
    auto settings = server::loadEffectiveSettings(options_);
    ASSERT_TRUE(settings) << settings.status().message();
    server_ = std::make_unique<TestServer>(*settings);
    server_->server().setReloadSource([options = options_, started = *settings] {
      return server::loadReloadedSettings(options, started);
    });
  }

  // A token for `path` (an admin or REST URL of this server) signed with `key`.
  std::string adminToken(const std::string& key) const {
    TokenSpec spec;
    spec.key = key;
    spec.audience =
        "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(server::kReloadPath);
    return server_->token(spec);
  }

  http::HttpResponse postReload(const std::string& key) const {
    return httpRequest(server_->port(), "POST", "/api/admin/reload",
                       {{"Authorization", "Bearer " + adminToken(key)}});
  }

  std::unique_ptr<WsClient> client(const std::string& user, const std::string& key,
                                   const std::string& hub = "chat",
                                   HandshakeOutcome* outcome = nullptr) const {
    TokenSpec spec;
    spec.userId = user;
    spec.key = key;
    return server_->connect(hub, spec, {}, "", outcome);
  }

  // Event handlers outlive the server (declared first): its shutdown delivers `disconnected`.
  FakeUpstream before, after;
  std::filesystem::path dir_;
  server::ServeOptions options_;
  std::unique_ptr<TestServer> server_;
};

// The ce-signature a handler verifies for `connectionId` with exactly `key`.
std::string signatureWith(const std::string& key, const std::string& connectionId) {
  return cloudevents::computeSignature({key}, connectionId);
}

TEST_F(ReloadTest, EverySettingKindTakesEffectWhileAClientStaysConnected) {
  ASSERT_NO_FATAL_FAILURE(start(configText(kOldKey, before.url("/before/{event}"))));
  auto stays = client("stays", kOldKey);
  ASSERT_TRUE(stays);
  stays->sendText("one");
  ASSERT_TRUE(before.waitForEvent("message"));
  std::string connectionId = before.requestsFor("message").at(0).header("ce-connectionId");
  EXPECT_EQ(before.requestsFor("message").at(0).header("ce-signature"),
            signatureWith(kOldKey, connectionId));
  HandshakeOutcome refused;
  // No hub "news" yet: anonymous clients are refused.
  EXPECT_FALSE(WsClient::connect(server_->port(), "/client/hubs/news", {}, &refused));
  EXPECT_EQ(refused.status, 401);

  // Key rotation, a changed handler, a new hub, a lower limit, debug logs and a restart-only key.
  std::string text = configText(kNewKey, after.url("/after/{event}"), "log_level = \"debug\"\n",
                                "[hubs.news]\nanonymous_connect = \"allow\"\n"
                                "[limits]\nmax_message_bytes = 1000\n");
  text.replace(text.find("workers = 2"), 11, "workers = 3");
  writeConfig(text);
  auto plan = server_->server().reload();
  ASSERT_TRUE(plan) << plan.status().message();
  EXPECT_EQ(plan->changed,
            (std::vector<std::string>{"access_keys", "log_level", "limits.max_message_bytes",
                                      "hubs.chat", "hubs.news"}));
  EXPECT_EQ(plan->restartRequired, (std::vector<std::string>{"workers"}));
  EXPECT_EQ(server_->server().settings()->workers, 2u);  // the running value stays
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);
  setLogLevel("warn");

  // The open connection's next event goes to the new handler, signed with the new key only.
  stays->sendText("two");
  ASSERT_TRUE(after.waitForEvent("message"));
  auto moved = after.requestsFor("message").at(0);
  EXPECT_EQ(moved.body, "two");
  EXPECT_EQ(moved.header("ce-connectionId"), connectionId);
  EXPECT_EQ(moved.header("ce-signature"), signatureWith(kNewKey, connectionId));
  EXPECT_EQ(before.requestsFor("message").size(), 1u);

  // A token of the removed key is refused at a new handshake; the new key's is accepted.
  EXPECT_FALSE(client("late", kOldKey, "chat", &refused));
  EXPECT_EQ(refused.status, 401);
  auto fresh = client("fresh", kNewKey);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(WsClient::connect(server_->port(), "/client/hubs/news", {}));  // the added hub
  // The lowered limit: a new connection's 2000-byte message is too large (1009).
  fresh->sendText(std::string(2000, 'x'));
  WsMessage closed = fresh->waitForClose();
  ASSERT_TRUE(closed.isClose());
  EXPECT_EQ(closed.closeCode, errors::kMessageTooLarge.code);

  stays->sendText("three");
  ASSERT_TRUE(after.waitFor([](const RecordedRequest& r) { return r.body == "three"; }, 1));
}

TEST_F(ReloadTest, AnInvalidFileIsRefusedWithTheStartMessageAndTheOldConfigurationStays) {
  FakeUpstream& upstream = before;
  ASSERT_NO_FATAL_FAILURE(start(configText(kOldKey, upstream.url("/u/{event}"))));
  auto stays = client("stays", kOldKey);
  ASSERT_TRUE(stays);
  writeConfig(
      configText(kNewKey, upstream.url("/u/{event}"), "", "[limits]\nmax_message_bytes = 1\n"));
  auto atStart = server::loadEffectiveSettings(options_);  // what a start would say
  ASSERT_FALSE(atStart);
  auto plan = server_->server().reload();
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(plan.status().message(), atStart.status().message());

  http::HttpResponse res = postReload(kOldKey);
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(http::findHeader(res.headers, "x-ms-error-code").value_or(""),
            errors::kConfigurationInvalid);
  auto body = boost::json::parse(res.body).as_object();
  EXPECT_EQ(body.at("message").as_string(), server::configurationErrorText(atStart.status()));

  // Everything of the old configuration is in effect: its key, its handler.
  EXPECT_TRUE(client("second", kOldKey));
  stays->sendText("still");
  ASSERT_TRUE(upstream.waitFor([](const RecordedRequest& r) { return r.body == "still"; }, 1));
  EXPECT_EQ(server_->server().settings()->accessKeys.front(), kOldKey);
}

TEST_F(ReloadTest, TheEndpointNeedsAnAccessKeyTokenAndAnswersWhatChanged) {
  FakeUpstream& upstream = before;
  ASSERT_NO_FATAL_FAILURE(start(configText(kOldKey, upstream.url("/u/{event}"))));
  EXPECT_EQ(httpRequest(server_->port(), "POST", "/api/admin/reload").status, 401);
  EXPECT_EQ(postReload("some-other-key-0123456789abcdefghijklmnopq").status, 401);
  TokenSpec wrongAudience;  // a client token of hub chat is not an admin token
  EXPECT_EQ(httpRequest(server_->port(), "POST", "/api/admin/reload",
                        {{"Authorization", "Bearer " + server_->token(wrongAudience)}})
                .status,
            401);
  EXPECT_EQ(httpRequest(server_->port(), "GET", "/api/admin/reload",
                        {{"Authorization", "Bearer " + adminToken(kOldKey)}})
                .status,
            405);

  writeConfig(configText(kNewKey, upstream.url("/u/{event}"), "listen = \"127.0.0.1:1\"\n"));
  http::HttpResponse res = postReload(kOldKey);
  ASSERT_EQ(res.status, 200) << res.body;
  // --listen overrides the file's listen: only the keys changed.
  EXPECT_EQ(boost::json::parse(res.body),
            boost::json::parse(R"({"changed":["access_keys"],"restartRequired":[]})"));
  EXPECT_EQ(postReload(kOldKey).status, 401);  // rotated out
  res = postReload(kNewKey);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(boost::json::parse(res.body),
            boost::json::parse(R"({"changed":[],"restartRequired":[]})"));
}

TEST_F(ReloadTest, ConcurrentReloadsAreSerialisedWhileEventsAreInFlight) {
  FakeUpstream& slow = before;
  FakeUpstream& fast = after;
  slow.setHandler([](const RecordedRequest& r) {
    Reply reply = Reply::text("from-slow:" + r.body);
    if (r.event() == "message") reply.delay = 300ms;
    return r.event() == "message" ? reply : FakeUpstream::defaultReply(r);
  });
  fast.setHandler([](const RecordedRequest& r) {
    return r.event() == "message" ? Reply::text("from-fast:" + r.body)
                                  : FakeUpstream::defaultReply(r);
  });
  ASSERT_NO_FATAL_FAILURE(start(configText(kOldKey, slow.url("/s/{event}"))));
  // The events below start under a reloaded generation, which the reloads after them free (the
  // start's generation lives as long as the server): under ASan a reference kept into it fails.
  ASSERT_TRUE(server_->server().reload());
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(client("u" + std::to_string(i), kOldKey));
    ASSERT_TRUE(clients.back());
    clients.back()->sendText("m" + std::to_string(i));  // answered by `slow` after 300 ms
  }
  ASSERT_TRUE(slow.waitForEvent("message", 4));
  writeConfig(configText(kOldKey, fast.url("/f/{event}")));
  std::vector<std::thread> reloads;
  std::atomic<int> succeeded{0};
  for (int i = 0; i < 3; ++i) {
    reloads.emplace_back([&] {
      if (server_->server().reload()) ++succeeded;
    });
  }
  for (auto& t : reloads)
    t.join();
  EXPECT_EQ(succeeded, 3);
  for (int i = 0; i < 4; ++i) {  // the events in flight finish with the handler they started on
    WsMessage m = clients[i]->nextData();
    EXPECT_EQ(m.data, "from-slow:m" + std::to_string(i));
    clients[i]->sendText("n" + std::to_string(i));
    EXPECT_EQ(clients[i]->nextData().data, "from-fast:n" + std::to_string(i));
  }
}

// The real binary: SIGHUP re-reads the file; an invalid file is logged with check-config's
// message and changes nothing.
TEST_F(ReloadTest, SighupReloadsTheFileOfARunningProcess) {
  FakeUpstream& upstream = before;
  writeConfig(configText(kOldKey, upstream.url("/u/{event}")));
  ServerProcess process(WPS_WEBPUBSUBD_PATH, options_.configFile, (dir_ / "log").string());
  ASSERT_TRUE(process.start());
  writeConfig(configText(kOldKey, upstream.url("/u/{event}"), "",
                         "[hubs.news]\nanonymous_connect = \"allow\"\n"));
  ::kill(process.pid(), SIGHUP);
  auto logged = [&](const std::string& text) {
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms)) {
      if (process.log().find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(logged("configuration reloaded: hubs.news changed")) << process.log();
  EXPECT_TRUE(WsClient::connect(process.port(), "/client/hubs/news", {}));

  writeConfig("access_keys = 42\n");
  auto atStart = server::loadEffectiveSettings(options_);
  ASSERT_FALSE(atStart);
  ::kill(process.pid(), SIGHUP);
  EXPECT_TRUE(logged("reload failed, the running configuration stays: " +
                     server::configurationErrorText(atStart.status())))
      << process.log();
  EXPECT_TRUE(WsClient::connect(process.port(), "/client/hubs/news", {}));
  EXPECT_EQ(process.terminate(10s), 0);
}

}  // namespace
}  // namespace wps::test
