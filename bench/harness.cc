#include <mutex>

#include "bench/scenarios.h"

namespace wps::bench {

Harness::Window Harness::measure(const std::string& name, const char* sentLabel,
                                 const char* receivedLabel,
                                 const std::function<std::string()>& extra, double seconds,
                                 const std::function<void()>& atStart,
                                 const std::function<void()>& atEnd) {
  if (seconds < 0) seconds = options.duration;
  Progress progress(name, loops, meters);
  setPhase(Phase::kWarmup);
  if (options.warmup > 0) progress.run(options.warmup, sentLabel, receivedLabel, extra);
  // Histograms record only while measuring; the interval ones are for progress lines.
  if (atStart) atStart();
  const Counts before = sumCounts(meters);
  const auto t0 = Clock::now();
  setPhase(Phase::kMeasure);
  progress.run(seconds, sentLabel, receivedLabel, extra);
  const Counts after = sumCounts(meters);
  const auto t1 = Clock::now();
  setPhase(Phase::kStop);
  if (atEnd) atEnd();
  Window w;
  w.seconds = std::chrono::duration<double>(t1 - t0).count();
  w.delta.sent = after.sent - before.sent;
  w.delta.received = after.received - before.received;
  w.delta.errors = after.errors - before.errors;
  w.delta.extra = after.extra - before.extra;
  return w;
}

void reportError(const std::string& what) {
  static std::mutex mu;
  static int shown = 0;
  std::lock_guard<std::mutex> lock(mu);
  if (shown < 5) {
    std::fprintf(stderr, "webpubsub-bench: %s\n", what.c_str());
  } else if (shown == 5) {
    std::fprintf(stderr, "webpubsub-bench: (further errors are only counted)\n");
  }
  ++shown;
}

}  // namespace wps::bench
