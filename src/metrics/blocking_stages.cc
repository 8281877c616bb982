#include "metrics/blocking_stages.h"

#include <cstdint>
#include <iterator>

namespace wps::metrics {

namespace {
// kStageBounds in nanoseconds (exact: every bound is a whole number of microseconds).
constexpr std::array<int64_t, kStageBounds.size()> kStageBoundsNs = [] {
  std::array<int64_t, kStageBounds.size()> ns{};
  for (size_t i = 0; i < ns.size(); ++i)
    ns[i] = static_cast<int64_t>(kStageBounds[i] * 1e9 + 0.5);
  return ns;
}();
}  // namespace

size_t stageBucket(std::chrono::nanoseconds d) {
  // Most stages fall in the first buckets: a scan from the start stops after a few compares.
  const int64_t ns = d.count();
  size_t i = 0;
  while (i < kStageBoundsNs.size() && ns > kStageBoundsNs[i])
    ++i;
  return i;
}

std::string_view metricNameOf(BlockingStage s) {
  static constexpr std::string_view kNames[] = {
      "webpubsubd_blocking_stage_request_duration_seconds",
      "webpubsubd_blocking_stage_upstream_duration_seconds",
      "webpubsubd_blocking_stage_reply_duration_seconds"};
  static_assert(std::size(kNames) == kBlockingStages);
  return kNames[static_cast<size_t>(s)];
}

std::string_view helpOf(BlockingStage s) {
  static constexpr std::string_view kHelp[] = {
      "Blocking events: from the client's frame read to the upstream request written, by kind, "
      "in seconds.",
      "Blocking events: from the upstream request written to its answer read, by kind, in "
      "seconds.",
      "Blocking events: from the upstream answer read to the reply frame written to the "
      "client's socket, by kind, in seconds."};
  static_assert(std::size(kHelp) == kBlockingStages);
  return kHelp[static_cast<size_t>(s)];
}

}  // namespace wps::metrics
