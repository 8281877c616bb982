// Test helpers for the cluster bus: a redis-server child process on a free 127.0.0.1 port (plain
// or TLS), stopped by PID; a throwaway certificate authority made with the openssl CLI; a
// capture of everything logged. Used from the test thread only.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace wps::cluster::test {

// A fresh directory under $TMPDIR (or /tmp), removed with its content by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class RedisProcess {
 public:
  // Starts redis-server with `args` after the defaults (no persistence, bind 127.0.0.1, the
  // port; with `tls` the port is the TLS one and plain TCP is off). Waits until the port
  // accepts connections; throws std::runtime_error when it cannot start.
  RedisProcess(const std::string& dir, const std::vector<std::string>& args, bool tls = false);
  ~RedisProcess();  // SIGTERM to its PID, then waits for it
  int port() const { return port_; }

 private:
  bool spawn(const std::string& dir, const std::vector<std::string>& args, bool tls);
  pid_t pid_ = -1;
  int port_ = 0;
};

// Writes ca.crt/ca.key (prefix `name`) and a leaf certificate `leaf`.crt/.key signed by it for
// subjectAltName `san` ("IP:127.0.0.1") into `dir`. Throws when openssl fails.
void makeCa(const std::string& dir, const std::string& name);
void makeLeaf(const std::string& dir, const std::string& ca, const std::string& leaf,
              const std::string& san);

class CaptureSink;

// Everything the default spdlog logger writes while it exists (installed at construction, before
// any thread logs; removed after they are gone).
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  std::string text() const;
  // Waits up to 10 s for `needle` to be logged (at or after offset `from` of text()).
  bool waitFor(const std::string& needle, size_t from = 0) const;

 private:
  std::shared_ptr<CaptureSink> sink_;
};

}  // namespace wps::cluster::test
