// The scenarios of webpubsub-bench (bench/README.md). Each runs against the environment
// (server and/or upstream already started) and returns its result table.
#pragma once

#include <memory>
#include <vector>

#include "bench/common.h"

namespace wps::bench {

Result runEcho(const Options& o, Environment& env);
Result runBaseline(const Options& o, Environment& env);
Result runConnect(const Options& o, Environment& env);
Result runIdle(const Options& o, Environment& env);
Result runFanout(const Options& o, Environment& env);
Result runRest(const Options& o, Environment& env);

// Loops, meters and the warmup/measure sequence shared by the throughput scenarios.
class Harness {
 public:
  explicit Harness(const Options& o) : options(o), loops(static_cast<size_t>(o.threads)) {
    for (size_t i = 0; i < loops.size(); ++i)
      meters.push_back(std::make_unique<Meter>());
  }
  ~Harness() { loops.stop(); }

  struct Window {
    double seconds = 0;
    Counts delta;
  };
  // Runs the warmup (o.warmup seconds) then the measured phase (`seconds`, default
  // o.duration) with progress lines; returns the measured window. Leaves the phase at kStop.
  // atStart/atEnd run on the calling thread right at the window's edges.
  Window measure(const std::string& name, const char* sentLabel, const char* receivedLabel,
                 const std::function<std::string()>& extra = {}, double seconds = -1,
                 const std::function<void()>& atStart = {},
                 const std::function<void()>& atEnd = {});

  const Options& options;
  LoopGroup loops;
  std::vector<std::unique_ptr<Meter>> meters;
};

// Loop index and slot packed into WsClient/HttpConn tags.
inline uint64_t makeTag(size_t loop, size_t index) {
  return (static_cast<uint64_t>(loop) << 40) | index;
}
inline size_t tagLoop(uint64_t tag) {
  return static_cast<size_t>(tag >> 40);
}
inline size_t tagIndex(uint64_t tag) {
  return static_cast<size_t>(tag & ((1ull << 40) - 1));
}

// Prints the first few errors of a run to stderr (thread-safe).
void reportError(const std::string& what);

}  // namespace wps::bench
