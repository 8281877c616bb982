#include "auth/access_key.h"

#include "common/base64.h"
#include "common/crypto.h"
#include "common/strings.h"

namespace wps::auth {
namespace {

// Byte length of the UTF-8 sequence that ends at the end of `s` (at most 4); 1 when `s` does
// not end with a well-formed multi-byte sequence.
size_t lastCodePointLength(std::string_view s) {
  size_t n = 1;
  while (n < s.size() && n < 4 && (static_cast<unsigned char>(s[s.size() - n]) & 0xC0) == 0x80) {
    ++n;
  }
  return n;
}

size_t firstCodePointLength(std::string_view s) {
  unsigned char c = static_cast<unsigned char>(s[0]);
  size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  return len <= s.size() ? len : 1;
}

}  // namespace

Status validateAccessKey(std::string_view key) {
  if (key.size() < kMinAccessKeyBytes) {
    return invalidArgument("the access key is shorter than 32 bytes");
  }
  for (size_t i = 0; i < key.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c == ';') return invalidArgument("the access key contains ';'");
    bool c0 = c < 0x20 || c == 0x7F;
    bool c1 = c == 0xC2 && i + 1 < key.size() && static_cast<unsigned char>(key[i + 1]) >= 0x80 &&
              static_cast<unsigned char>(key[i + 1]) <= 0x9F;
    if (c0 || c1) return invalidArgument("the access key contains a control character");
  }
  if (isBlank(key.substr(0, firstCodePointLength(key))) ||
      isBlank(key.substr(key.size() - lastCodePointLength(key)))) {
    return invalidArgument("the access key has leading or trailing whitespace");
  }
  return Status::ok();
}

std::string generateAccessKey() {
  return base64UrlEncode(secureRandomBytes(32));
}

}  // namespace wps::auth
