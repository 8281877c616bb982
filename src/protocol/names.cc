#include "protocol/names.h"

#include "common/strings.h"
#include "common/utf8.h"

namespace wps::protocol {

static bool isAlpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
static bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isValidHubName(std::string_view hub) {
  if (hub.empty() || hub.size() > 128 || !isAlpha(hub[0])) return false;
  for (char c : hub.substr(1)) {
    if (!(isAlpha(c) || isDigit(c) || c == '_' || c == '`' || c == ',' || c == '.' || c == '[' ||
          c == ']')) {
      return false;
    }
  }
  return true;
}

std::string hubKey(std::string_view hub) {
  return toLowerAscii(hub);
}

bool isValidGroupName(std::string_view group) {
  if (group.empty() || isBlank(group)) return false;
  return utf16Length(group) <= 1024;
}

bool isValidEventName(std::string_view event) {
  if (event.empty() || event.size() > 128 || !isAlpha(event[0])) return false;
  for (char c : event.substr(1)) {
    if (!(isAlpha(c) || isDigit(c) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

bool isValidUserId(std::string_view userId) {
  return !userId.empty() && !isBlank(userId);
}

}  // namespace wps::protocol
