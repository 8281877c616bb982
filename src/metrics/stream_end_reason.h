// Why a group stream ended (client-protocols-1.1.md §3.5): the closed label set of
// webpubsubd_streams_ended_total{reason}. Value types, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wps::metrics {

enum class StreamEndReason : uint8_t {
  kCompleted,    // streamEnd without error
  kAborted,      // streamEnd with an error (the SDK's abort)
  kIdleTimeout,  // no activity for the stream's idle timeout
  kForbidden,    // the send permission was revoked while the stream ran
  kSequenceGap,  // a gap unfilled 10 s after its first nack
  kConflict,     // a start for the id of a stream that already had fragments
  kInvalid,      // an invalid start, fragment or end for the running stream
  kSessionEnd,   // the publisher's session ended
  kCount
};
inline constexpr size_t kStreamEndReasons = static_cast<size_t>(StreamEndReason::kCount);

constexpr std::string_view labelOf(StreamEndReason r) {
  switch (r) {
    case StreamEndReason::kCompleted:
      return "completed";
    case StreamEndReason::kAborted:
      return "aborted";
    case StreamEndReason::kIdleTimeout:
      return "idle_timeout";
    case StreamEndReason::kForbidden:
      return "forbidden";
    case StreamEndReason::kSequenceGap:
      return "sequence_gap";
    case StreamEndReason::kConflict:
      return "conflict";
    case StreamEndReason::kInvalid:
      return "invalid";
    case StreamEndReason::kSessionEnd:
      return "session_end";
    case StreamEndReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace wps::metrics
