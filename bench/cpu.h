// CPU time of the processes under test (the server nodes and the upstream) over a measurement
// window: utime + stime of /proc/PID/stat, which covers every thread of the process, read at
// the window's two edges only. Linux only; the resolution is one clock tick (sysconf
// _SC_CLK_TCK, usually 10 ms), i.e. 0.2 % of a 5-second window at one busy core.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace wps::bench {

// utime + stime (fields 14 and 15) of a /proc/PID/stat line, in clock ticks; nullopt when the
// line is malformed. The command name (field 2, in parentheses) may hold spaces and ')'.
std::optional<uint64_t> parseStatCpuTicks(std::string_view statLine);

// utime + stime of a running process in clock ticks; nullopt when pid <= 0 or unreadable.
std::optional<uint64_t> processCpuTicks(pid_t pid);

// Seconds of one clock tick (1 / sysconf(_SC_CLK_TCK)).
double secondsPerTick();

// CPU seconds (user + system) used over a window; nullopt where the process is unknown (not
// started by the bench and no --server-pid) or could not be read at both edges.
struct CpuUse {
  std::optional<double> server;    // summed over every server node
  std::optional<double> upstream;  // bench-upstream
};

// Samples the CPU time of the server nodes and the upstream at start() and at stop(). Owned
// by the thread that runs the measurement (the main thread); the processes are children of
// the bench or given by PID.
class CpuWatch {
 public:
  CpuWatch() = default;
  // serverPids: every server node (entries <= 0 are ignored; none left = server unknown).
  // upstreamPid <= 0: upstream unknown.
  CpuWatch(std::vector<pid_t> serverPids, pid_t upstreamPid);

  // Takes the sample at the start of the window.
  void start();
  // The CPU used since start() (by what could be read both times).
  CpuUse stop() const;

 private:
  struct Sample {
    std::optional<uint64_t> server, upstream;  // clock ticks
  };
  Sample sample() const;

  std::vector<pid_t> serverPids_;
  pid_t upstreamPid_ = 0;
  Sample start_;
};

// The difference of two tick counts in seconds; nullopt unless both are known and the second
// is not below the first.
std::optional<double> ticksToSeconds(std::optional<uint64_t> before, std::optional<uint64_t> after);

}  // namespace wps::bench
