#include "common/errors.h"

namespace wps::errors {

std::string appServerClosedMessage(std::string_view reason) {
  std::string s(kAppServerClosed);
  if (!reason.empty()) {
    s += " Reason: ";
    s += reason;
  }
  return s;
}

std::string duplicateAckMessage(uint64_t ackId) {
  return "Message with ack-id: " + std::to_string(ackId) + " has been processed";
}

std::string groupLimitMessage(size_t limit) {
  return "The connection is already in " + std::to_string(limit) +
         " groups, the limit (limits.max_groups_per_connection).";
}

std::string forbiddenGroupMessage(std::string_view verb, std::string_view group) {
  std::string s = "The client does not have permission to ";
  s += verb;
  s += " group '";
  s += group;
  s += "'.";
  return s;
}

std::string streamIdleMessage(uint64_t ms) {
  return "No stream activity for " + std::to_string(ms) + " ms.";
}

std::string streamExpectedMessage(uint64_t expected) {
  return "Expected " + std::to_string(expected) + ".";
}

std::string invalidStreamMessage(std::string_view why) {
  std::string s = "The stream is invalid: ";
  s += why;
  s += ".";
  return s;
}

std::string invalidInvocationMessage(std::string_view why) {
  std::string s = "The invocation is invalid: ";
  s += why;
  s += ".";
  return s;
}

std::string invokeRefusedMessage(int status) {
  return "The event handler answered the invocation with status " + std::to_string(status) + ".";
}

std::string_view truncateCloseReason(std::string_view reason) {
  if (reason.size() <= 123) return reason;
  size_t n = 123;
  // Step back over continuation bytes so a multi-byte sequence is not cut.
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80)
    --n;
  return reason.substr(0, n);
}

}  // namespace wps::errors
