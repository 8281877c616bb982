#include "protocol/metadata.h"

#include <set>

#include "common/strings.h"

namespace wps::protocol {

static bool isTchar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

Status validateMetadata(const Metadata& metadata) {
  size_t total = 0;
  std::set<std::string_view> seen;
  for (const auto& [k, v] : metadata) {
    if (k.empty() || k.size() > 256) return invalidArgument("metadata keys must have 1-256 bytes");
    for (char c : k) {
      if (!isTchar(c)) return invalidArgument("metadata keys must be HTTP token characters");
    }
    if (v.size() > 1024) return invalidArgument("metadata values must have at most 1024 bytes");
    for (char c : v) {
      auto u = static_cast<unsigned char>(c);
      if (u >= 0x7F || (u < 0x20 && c != '\t')) {
        return invalidArgument("metadata values must be printable ASCII");
      }
    }
    if (!seen.insert(k).second) return invalidArgument("duplicate metadata key");
    total += k.size() + v.size();
  }
  if (total > 8192) return invalidArgument("metadata is larger than 8 KB");
  return Status::ok();
}

}  // namespace wps::protocol
