#include "metrics/reasons.h"

namespace wps::metrics {

namespace {
struct CloseEntry {
  std::string_view label;
  uint16_t code;
};
constexpr CloseEntry kCloses[] = {
    {"shutdown", 1001},
    {"idle_timeout", 1001},
    {"replaced", 1001},
    {"app_server", 1000},
    {"invalid_frame", 1002},
    {"unsupported_data", 1003},
    {"invalid_message", 1007},
    {"invalid_utf8", 1007},
    {"message_too_large", 1009},
    {"too_many_messages", 1008},
    {"outbound_queue_full", 1008},
    {"reliable_buffer_full", 1008},
    {"recovery_failed", 1008},
    {"send_to_group_forbidden", 1008},
    {"upstream_failed", 1011},
    {"other", 0},
};
static_assert(std::size(kCloses) == kCloseReasons);
}  // namespace

std::string_view labelOf(CloseReason r) {
  return kCloses[static_cast<size_t>(r)].label;
}

uint16_t closeCodeOf(CloseReason r) {
  return kCloses[static_cast<size_t>(r)].code;
}

size_t otherCloseCodeIndex(uint16_t code) {
  for (size_t i = 0; i + 1 < kOtherCloseCodes; ++i) {
    if (kOtherCloseCodeValues[i] == code) return i;
  }
  return kOtherCloseCodes - 1;
}

std::string_view labelOf(Refusal r) {
  static constexpr std::string_view kNames[] = {"invalid_request", "unauthorized",
                                                "upstream_denied", "upstream_failed",
                                                "max_connections", "max_connections_per_ip"};
  static_assert(std::size(kNames) == kRefusals);
  return kNames[static_cast<size_t>(r)];
}

}  // namespace wps::metrics
