#include "bench/cpu.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <string>

namespace wps::bench {

std::optional<uint64_t> parseStatCpuTicks(std::string_view line) {
  const size_t close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  // Fields after the command name start at 3 (state); utime is 14, stime 15.
  uint64_t utime = 0, stime = 0;
  int field = 2;
  size_t at = 0;
  while (field < 15) {
    while (at < rest.size() && rest[at] == ' ')
      ++at;
    if (at >= rest.size()) return std::nullopt;
    size_t end = rest.find(' ', at);
    if (end == std::string_view::npos) end = rest.size();
    ++field;
    if (field == 14 || field == 15) {
      uint64_t& out = field == 14 ? utime : stime;
      auto [ptr, ec] = std::from_chars(rest.data() + at, rest.data() + end, out);
      if (ec != std::errc() || ptr != rest.data() + end) return std::nullopt;
    }
    at = end;
  }
  return utime + stime;
}

std::optional<uint64_t> processCpuTicks(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return std::nullopt;
  return parseStatCpuTicks(line);
}

double secondsPerTick() {
  static const double tick = 1.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  return tick;
}

std::optional<double> ticksToSeconds(std::optional<uint64_t> before,
                                     std::optional<uint64_t> after) {
  if (!before || !after || *after < *before) return std::nullopt;
  return static_cast<double>(*after - *before) * secondsPerTick();
}

CpuWatch::CpuWatch(std::vector<pid_t> serverPids, pid_t upstreamPid) : upstreamPid_(upstreamPid) {
  for (pid_t p : serverPids) {
    if (p > 0) serverPids_.push_back(p);
  }
}

CpuWatch::Sample CpuWatch::sample() const {
  Sample s;
  if (!serverPids_.empty()) {
    uint64_t sum = 0;
    bool all = true;
    for (pid_t p : serverPids_) {
      const auto ticks = processCpuTicks(p);
      all = all && ticks.has_value();
      sum += ticks.value_or(0);
    }
    if (all) s.server = sum;
  }
  s.upstream = processCpuTicks(upstreamPid_);
  return s;
}

void CpuWatch::start() {
  start_ = sample();
}

CpuUse CpuWatch::stop() const {
  const Sample end = sample();
  return CpuUse{ticksToSeconds(start_.server, end.server),
                ticksToSeconds(start_.upstream, end.upstream)};
}

}  // namespace wps::bench
