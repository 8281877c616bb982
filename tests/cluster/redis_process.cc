#include "cluster/redis_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace wps::cluster::test {

namespace {

using Clock = std::chrono::steady_clock;

int tcpProbe(int port, bool listenOnly) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int result = -1;
  if (listenOnly) {
    socklen_t len = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      result = ntohs(a.sin_port);
    }
  } else {
    result = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  close(fd);
  return result;
}

void run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("failed: " + command);
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base ? base : "/tmp") + "/wps-redis-XXXXXX";
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  if (std::getenv("WPS_KEEP_TMP")) return;  // debugging: keep the certificates and logs
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RedisProcess::RedisProcess(const std::string& dir, const std::vector<std::string>& args, bool tls) {
  // A free port can be taken between the probe and redis-server's bind: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (spawn(dir, args, tls)) return;
  }
  throw std::runtime_error("redis-server did not start");
}

bool RedisProcess::spawn(const std::string& dir, const std::vector<std::string>& args, bool tls) {
  port_ = tcpProbe(0, true);
  std::vector<std::string> argv = {"redis-server", "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no",     "--dir",     dir};
  std::vector<std::string> ports =
      tls ? std::vector<std::string>{"--port", "0", "--tls-port", std::to_string(port_)}
          : std::vector<std::string>{"--port", std::to_string(port_)};
  argv.insert(argv.end(), ports.begin(), ports.end());
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv)
    cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::string log = dir + "/redis-" + std::to_string(port_) + ".log";
  pid_ = fork();
  if (pid_ == 0) {
    FILE* f = freopen(log.c_str(), "w", stdout);
    (void)f;
    execvp("redis-server", cargv.data());
    _exit(127);
  }
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (tcpProbe(port_, false) == 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) return false;   // exited (port taken?)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a child's readiness
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  return false;
}

RedisProcess::~RedisProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

void makeCa(const std::string& dir, const std::string& name) {
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
      "'/CN=wps test " +
      name + "' -keyout " + dir + "/" + name + ".key -out " + dir + "/" + name + ".crt");
}

void makeLeaf(const std::string& dir, const std::string& ca, const std::string& leaf,
              const std::string& san) {
  std::string p = dir + "/" + leaf;
  run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=" + leaf +
      "' -keyout " + p + ".key -out " + p + ".csr");
  std::ofstream(p + ".ext") << "subjectAltName=" << san << "\nbasicConstraints=CA:FALSE\n";
  run("openssl x509 -req -days 2 -in " + p + ".csr -CA " + dir + "/" + ca + ".crt -CAkey " + dir +
      "/" + ca + ".key -CAcreateserial -out " + p + ".crt -extfile " + p + ".ext");
}

// Keeps every formatted line; read under the sink's own mutex.
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string text() {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    text_.append(buf.data(), buf.size());
  }
  void flush_() override {}

 private:
  std::string text_;
};

LogCapture::LogCapture() : sink_(std::make_shared<CaptureSink>()) {
  spdlog::default_logger()->sinks().push_back(sink_);
}

LogCapture::~LogCapture() {
  auto& sinks = spdlog::default_logger()->sinks();
  std::erase(sinks, sink_);
}

std::string LogCapture::text() const {
  return sink_->text();
}

bool LogCapture::waitFor(const std::string& needle, size_t from) const {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (text().find(needle, from) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the log
  }
  return false;
}

}  // namespace wps::cluster::test
