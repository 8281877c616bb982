#include "core/message_ttl.h"

#include <algorithm>
#include <utility>

namespace wps::core {

TimePoint ttlDeadline(TimePoint acceptedAt, std::optional<uint32_t> ttlSeconds) {
  if (!ttlSeconds || *ttlSeconds == 0) return TimePoint::max();
  return acceptedAt + std::chrono::seconds(*ttlSeconds);
}

std::optional<uint64_t> remainingMs(TimePoint deadline, TimePoint now) {
  if (deadline == TimePoint::max()) return std::nullopt;
  if (deadline <= now) return 1;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<uint64_t>(ms);
}

TimePoint deadlineAfter(TimePoint now, std::optional<uint64_t> remaining) {
  if (!remaining) return TimePoint::max();
  // TTLs are at most 300 s; anything absurd is clamped instead of overflowing.
  uint64_t ms = std::min<uint64_t>(*remaining, 24ull * 3600 * 1000);
  return now + std::chrono::milliseconds(ms);
}

size_t purgeExpired(RingQueue<protocol::OutFrame>& queue, TimePoint now, size_t* bytes,
                    size_t* tracked) {
  size_t n = queue.size();
  bool any = false;
  for (size_t i = 0; i < n && !any; ++i)
    any = queue[i].expired(now);
  if (!any) return 0;
  size_t removed = 0;
  if (tracked && *tracked >= n) tracked = nullptr;
  // Rotate once through the queue: live frames go back to the end, in their order.
  for (size_t i = 0; i < n; ++i) {
    protocol::OutFrame f = std::move(queue[0]);
    queue.pop_front();
    if (f.expired(now)) {
      *bytes -= f.size();
      ++removed;
      continue;
    }
    if (tracked && *tracked == i) *tracked = i - removed;  // shifted by those removed before
    queue.push_back(std::move(f));
  }
  return removed;
}

}  // namespace wps::core
