#include "metrics/blocking_stages.h"

#include <algorithm>
#include <iterator>

namespace wps::metrics {

size_t stageBucket(std::chrono::nanoseconds d) {
  double seconds = std::chrono::duration<double>(d).count();
  auto it = std::lower_bound(kStageBounds.begin(), kStageBounds.end(), seconds);
  return static_cast<size_t>(it - kStageBounds.begin());
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
