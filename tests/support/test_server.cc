#include "support/test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "auth/jwt.h"
#include "common/log.h"
#include "support/http_request.h"

namespace wps::test {

config::ServerSettings TestServer::defaultSettings() {
  config::ServerSettings s;
  s.listenHost = "127.0.0.1";
  s.listenPort = 0;
  s.workers = 2;
  s.accessKeys = {kTestKey, kTestKey2};
  s.shutdownDrain = std::chrono::seconds(5);
  s.upstream.retryDelays = {std::chrono::milliseconds(100), std::chrono::milliseconds(200),
                            std::chrono::milliseconds(300)};
  return s;
}

config::HubSettings TestServer::hubWithHandler(const std::string& urlTemplate,
                                               const std::string& userEvents,
                                               std::vector<std::string> systemEvents) {
  config::HubSettings hub;
  config::EventHandlerSettings h{*cloudevents::UrlTemplate::parse(urlTemplate), {}, {}, {}, {}};
  if (!userEvents.empty()) h.userEvents = {userEvents};
  h.systemEvents = std::move(systemEvents);
  hub.eventHandlers.push_back(std::move(h));
  return hub;
}

TestServer::TestServer(config::ServerSettings settings) {
  static bool logging = [] {
    initLogging(std::getenv("WPS_TEST_LOG") ? std::getenv("WPS_TEST_LOG") : "warn");
    return true;
  }();
  (void)logging;
  auto s = server::Server::create(std::move(settings));
  if (!s) throw std::runtime_error("server settings: " + s.status().message());
  server_ = std::move(s.value());
  Status st = server_->start();
  if (!st) throw std::runtime_error("server start: " + st.message());
}

TestServer::~TestServer() {
  shutdown();
}

void TestServer::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  server_->shutdown();
}

std::string TestServer::token(const TokenSpec& spec) const {
  std::string aud = spec.audience.empty()
                        ? "http://127.0.0.1:" + std::to_string(port()) + "/client/hubs/" + spec.hub
                        : spec.audience;
  std::string payload = auth::buildClientTokenPayload(aud, WallClock::now(), spec.lifetime,
                                                      spec.userId, spec.roles, spec.groups);
  return auth::signJwt(payload, spec.key);
}

std::string TestServer::clientTarget(const std::string& hub, const TokenSpec& spec,
                                     const std::string& extraQuery) const {
  TokenSpec s = spec;
  if (s.audience.empty()) s.hub = hub;
  return "/client/hubs/" + hub + "?access_token=" + token(s) + extraQuery;
}

std::unique_ptr<WsClient> TestServer::connect(const std::string& hub, const TokenSpec& spec,
                                              const std::vector<std::string>& subprotocols,
                                              const std::string& extraQuery,
                                              HandshakeOutcome* outcome) const {
  return WsClient::connect(port(), clientTarget(hub, spec, extraQuery), subprotocols, outcome);
}

double scrapeMetric(uint16_t port, const std::string& sample) {
  http::HttpResponse res = httpRequest(port, "GET", "/metrics");
  if (res.status != 200) return -1;
  std::string_view body = res.body;
  std::string prefix = "\n" + sample + " ";
  size_t at = body.find(prefix);
  if (at == std::string_view::npos) return -1;
  return std::strtod(std::string(body.substr(at + prefix.size(), 40)).c_str(), nullptr);
}

ServerProcess::ServerProcess(std::string binary, std::string configFile, std::string logFile,
                             std::vector<std::string> extraArgs)
    : binary_(std::move(binary)),
      configFile_(std::move(configFile)),
      logFile_(std::move(logFile)),
      extraArgs_(std::move(extraArgs)) {}

ServerProcess::~ServerProcess() {
  kill9();
}

std::string ServerProcess::log() const {
  std::ifstream in(logFile_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// The port of the first "Endpoint=http://127.0.0.1:PORT" in `text` after `from`; 0 if none.
uint16_t endpointPort(const std::string& text, size_t from) {
  size_t at = text.find("Endpoint=http://127.0.0.1:", from);
  if (at == std::string::npos) return 0;
  size_t end = text.find_first_not_of("0123456789", at + 26);
  if (end == std::string::npos) return 0;  // the line is not complete yet
  return static_cast<uint16_t>(std::atoi(text.c_str() + at + 26));
}

}  // namespace

bool ServerProcess::start(std::chrono::milliseconds timeout) {
  kill9();
  exitStatus_.reset();
  port_ = 0;
  logOffset_ = log().size();
  std::vector<std::string> args = {binary_, "--config", configFile_, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extraArgs_.begin(), extraArgs_.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int fd = ::open(logFile_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fd);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reap(false)) return false;
    port_ = endpointPort(log(), logOffset_);
    if (port_ != 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

bool ServerProcess::reap(bool block) {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r != pid_) return false;
  exitStatus_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
  return true;
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  reap(true);
}

int ServerProcess::waitExit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exitStatus_.value_or(-1);
}

int ServerProcess::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exitStatus_.value_or(-1);
  ::kill(pid_, SIGTERM);
  int code = waitExit(timeout);
  if (code == -1) kill9();
  return code;
}

}  // namespace wps::test
