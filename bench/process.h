// Child processes (the server and the upstream under test) and the /proc readings of the
// idle scenario. Linux only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wps::bench {

// A started child whose stdout we read line by line; stderr goes to a file.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { stop(std::chrono::seconds(5)); }

  // Starts argv[0] (a path) with stdout on a pipe and stderr appended to stderrPath.
  // Returns false with *error set when it could not be started.
  bool start(const std::vector<std::string>& argv, const std::string& stderrPath,
             std::string* error);
  // Reads stdout until a line starting with `prefix` arrives; returns that line. nullopt on
  // timeout or when the child exited (its stdout closed).
  std::optional<std::string> waitForLine(const std::string& prefix,
                                         std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL after `grace`; reaps the child. Returns "" when it exited with
  // status 0, otherwise what happened ("exit status 1", "killed by signal 6", ...).
  std::string stop(std::chrono::milliseconds grace);
  // Whether the child has ended (reaped here; stop() then reports its status).
  bool exited();
  // Sends SIGTERM without waiting (a later stop() waits, without signalling again), so that
  // several children can shut down at the same time.
  void terminate();
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  bool terminated_ = false;
  bool reaped_ = false;  // by exited(); status_ holds its status
  int status_ = 0;
  int stdoutFd_ = -1;
  std::string buffered_;
};

// The path of `name` in a directory of $PATH (an executable file); empty when not found.
std::string findInPath(const std::string& name);

// The directory of the running executable (from /proc/self/exe), without a trailing slash.
std::string selfDirectory();

// Raises RLIMIT_NOFILE (soft, and hard when permitted) to at least `wanted` if possible;
// children inherit it. Returns the resulting soft limit.
uint64_t raiseFileLimit(uint64_t wanted);

// VmRSS of a process in bytes (nullopt if unreadable).
std::optional<uint64_t> processRssBytes(pid_t pid);

// Kernel TCP memory of this network namespace in bytes: the "mem" field of the TCP line of
// /proc/net/sockstat (pages) times the page size.
std::optional<uint64_t> kernelTcpMemoryBytes();
// Kernel slab memory (/proc/meminfo Slab) in bytes: includes the socket, inode and file
// objects of every connection (both ends on loopback), and anything else the kernel allocates.
std::optional<uint64_t> kernelSlabBytes();

// A fresh temporary directory (mkdtemp); empty on failure.
std::string makeTempDirectory(const std::string& prefix);
void removeDirectory(const std::string& path);

// The last `lines` lines of a text file (for error reports).
std::string tailOfFile(const std::string& path, size_t lines);

}  // namespace wps::bench
