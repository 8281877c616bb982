#include "common/utf8.h"

#include <cstring>

namespace wps {

namespace {

// What a byte >= 0x80 means as the first byte of a sequence: its length (0: it cannot start one)
// and the allowed range of the byte after it; every further continuation byte is 80..BF. The
// narrowed ranges exclude overlong forms (after E0, F0), UTF-16 surrogates (after ED) and code
// points above U+10FFFF (after F4); C0, C1 and F5..FF only start overlong or out-of-range
// sequences.
struct Lead {
  uint8_t length;
  uint8_t lo;
  uint8_t hi;
};

// Leads E0..EF.
inline Lead lead3(unsigned char c) {
  return {3, static_cast<uint8_t>(c == 0xE0 ? 0xA0 : 0x80),
          static_cast<uint8_t>(c == 0xED ? 0x9F : 0xBF)};
}

// Leads F0..F4.
inline Lead lead4(unsigned char c) {
  return {4, static_cast<uint8_t>(c == 0xF0 ? 0x90 : 0x80),
          static_cast<uint8_t>(c == 0xF4 ? 0x8F : 0xBF)};
}

Lead leadOf(unsigned char c) {
  if (c < 0xC2 || c > 0xF4) return {0, 0, 0};
  if (c < 0xE0) return {2, 0x80, 0xBF};
  return c < 0xF0 ? lead3(c) : lead4(c);
}

inline bool isContinuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// True when `c` may follow the lead byte (one comparison).
inline bool inFirstRange(unsigned char c, const Lead& lead) {
  return static_cast<unsigned char>(c - lead.lo) <= static_cast<unsigned char>(lead.hi - lead.lo);
}

// Skips the ASCII run at p, 16 bytes at a time while possible.
inline const unsigned char* skipAscii(const unsigned char* p, const unsigned char* end) {
  while (end - p >= 16) {
    uint64_t a;
    uint64_t b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    if ((a | b) & 0x8080808080808080ULL) break;
    p += 16;
  }
  while (p < end && *p < 0x80)
    ++p;
  return p;
}

// The sequence at `p` is cut short by the end of the input after `available` bytes: returns p
// when those bytes can still begin a valid sequence, otherwise nullptr.
const unsigned char* cutShort(const unsigned char* p, size_t available) {
  const Lead lead = leadOf(*p);
  if (lead.length == 0) return nullptr;
  if (available > 1 && !inFirstRange(p[1], lead)) return nullptr;
  if (available > 2 && !isContinuation(p[2])) return nullptr;
  return p;
}

// Validates [p, end). Returns `end` when all of it is valid UTF-8; the lead byte of a sequence
// that `end` cuts short when everything before it and its bytes so far are valid; otherwise
// nullptr. The hot loop: branches per sequence length measured fastest (docs/performance.md).
const unsigned char* scan(const unsigned char* p, const unsigned char* end) {
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      p = skipAscii(p, end);
      continue;
    }
    const size_t available = static_cast<size_t>(end - p);
    if (c < 0xE0) {
      if (c < 0xC2) return nullptr;
      if (available < 2) return cutShort(p, available);
      if (!isContinuation(p[1])) return nullptr;
      p += 2;
    } else if (c < 0xF0) {
      if (available < 3) return cutShort(p, available);
      if (!inFirstRange(p[1], lead3(c)) || !isContinuation(p[2])) return nullptr;
      p += 3;
    } else {
      if (c > 0xF4) return nullptr;
      if (available < 4) return cutShort(p, available);
      if (!inFirstRange(p[1], lead4(c)) || !isContinuation(p[2]) || !isContinuation(p[3])) {
        return nullptr;
      }
      p += 4;
    }
  }
  return end;
}

}  // namespace

bool isValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  return scan(p, p + s.size()) == p + s.size();
}

size_t utf16Length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    n += (c >= 0xF0) ? 2 : 1;          // 4-byte sequences are surrogate pairs
  }
  return n;
}

bool Utf8Validator::fail() {
  failed_ = true;
  return false;
}

const unsigned char* Utf8Validator::finishPending(const unsigned char* p,
                                                  const unsigned char* end) {
  for (; needed_ > 0 && p < end; ++p) {
    if (*p < lo_ || *p > hi_) return nullptr;
    --needed_;
    lo_ = 0x80;
    hi_ = 0xBF;
  }
  return p;
}

void Utf8Validator::startPending(const unsigned char* lead, const unsigned char* end) {
  const Lead info = leadOf(*lead);
  needed_ = static_cast<uint8_t>(info.length - 1);
  lo_ = info.lo;
  hi_ = info.hi;
  finishPending(lead + 1, end);  // scan() has checked these bytes
}

bool Utf8Validator::feed(std::string_view bytes) {
  if (failed_) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* end = p + bytes.size();
  p = finishPending(p, end);
  if (p == nullptr) return fail();
  if (needed_ > 0) return true;  // the piece ended inside the pending sequence
  const unsigned char* rest = scan(p, end);
  if (rest == nullptr) return fail();
  if (rest != end) startPending(rest, end);
  return true;
}

namespace utf8 {

Decoded decodeAt(std::string_view s, size_t pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  const unsigned char c = *p;
  if (c < 0x80) return {c, 1, true};
  const Lead lead = leadOf(c);
  const Decoded invalid{c, 1, false};
  if (lead.length == 0 || s.size() - pos < lead.length) return invalid;
  if (!inFirstRange(p[1], lead)) return invalid;
  uint32_t cp = c & (0x7F >> lead.length);
  for (size_t i = 1; i < lead.length; ++i) {
    if (!isContinuation(p[i])) return invalid;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  return {cp, lead.length, true};
}

void append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    const Decoded d = decodeAt(s, pos);
    if (d.valid) {
      out.append(s.substr(pos, d.length));
    } else {
      append(out, 0xFFFD);
    }
    pos += d.length;
  }
  return out;
}

}  // namespace utf8
}  // namespace wps
