#include "protocol/websocket/utf8_validator.h"

#include <cstring>

namespace wps::ws {

bool Utf8Validator::feed(std::string_view bytes) {
  if (failed_) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* end = p + bytes.size();
  uint8_t needed = needed_;
  uint8_t lo = lo_;
  uint8_t hi = hi_;
  while (p < end) {
    if (needed == 0) {
      // Fast path for ASCII runs, 8 bytes at a time.
      while (end - p >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        if (w & 0x8080808080808080ULL) break;
        p += 8;
      }
      if (p == end) break;
      const unsigned char c = *p++;
      if (c < 0x80) continue;
      lo = 0x80;
      hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        needed = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        needed = 2;
        if (c == 0xE0) lo = 0xA0;  // no overlong 3-byte forms
        if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
      } else if (c >= 0xF0 && c <= 0xF4) {
        needed = 3;
        if (c == 0xF0) lo = 0x90;  // no overlong 4-byte forms
        if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
      } else {
        failed_ = true;  // 0x80-0xC1 (stray continuation / overlong 2-byte) or 0xF5-0xFF
        return false;
      }
    } else {
      const unsigned char c = *p++;
      if (c < lo || c > hi) {
        failed_ = true;
        return false;
      }
      --needed;
      lo = 0x80;
      hi = 0xBF;
    }
  }
  needed_ = needed;
  lo_ = lo;
  hi_ = hi;
  return true;
}

}  // namespace wps::ws
