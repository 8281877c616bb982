#include "protocol/websocket/handshake.h"

#include "common/base64.h"
#include "common/crypto.h"
#include "common/strings.h"

namespace wps::ws {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// Calls `fn(item)` for each trimmed, non-empty item of a comma-separated list; stops early when
// `fn` returns true and reports whether it did.
template <class Fn>
bool forEachListItem(std::string_view list, Fn&& fn) {
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    if (!item.empty() && fn(item)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

std::string computeAcceptKey(std::string_view secWebSocketKey) {
  std::string input;
  input.reserve(secWebSocketKey.size() + kAcceptGuid.size());
  input.append(secWebSocketKey);
  input.append(kAcceptGuid);
  return base64Encode(sha1(input));
}

bool isValidClientKey(std::string_view key) {
  if (key.size() != 24) return false;
  const std::optional<std::string> decoded = base64Decode(key);
  return decoded && decoded->size() == 16;
}

std::vector<std::string> parseSubprotocols(const std::vector<std::string_view>& headerValues) {
  std::vector<std::string> out;
  for (std::string_view value : headerValues) {
    forEachListItem(value, [&out](std::string_view item) {
      out.emplace_back(item);
      return false;
    });
  }
  return out;
}

bool headerHasToken(std::string_view headerValue, std::string_view token) {
  if (token.empty()) return false;
  return forEachListItem(headerValue,
                         [token](std::string_view item) { return iequals(item, token); });
}

std::string makeClientKey() {
  return base64Encode(secureRandomBytes(16));
}

}  // namespace wps::ws
