// Fuzz target for common/utf8.h, checked against a deliberately plain reference decoder written
// here (decode the code point first, then reject overlong forms, surrogates and values above
// U+10FFFF), which shares no code or tables with the implementation.
//
// Input layout: byte 0 is the piece size for the streaming validator (0 = everything at once,
// otherwise 1..255 bytes per feed()); the rest is the text.
//
// Checks, beyond "no crash, leak or hang" under ASan/UBSan:
//  - isValidUtf8 agrees with the reference;
//  - Utf8Validator fed in pieces fails exactly in the piece holding the first byte after which
//    the stream can no longer become valid UTF-8, and is complete() exactly for valid text;
//  - decodeAt at every byte offset agrees with the reference (validity, code point, length);
//  - utf16Length counts the reference's UTF-16 units; append() re-encodes valid text exactly;
//  - sanitize() always returns valid text and leaves valid text unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "common/utf8.h"

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace {

struct RefChar {
  bool valid;
  uint32_t codePoint;
  size_t length;  // bytes of the sequence (1 when invalid)
};

// Sequence length announced by a lead byte by its bit pattern alone, 0 for 10xxxxxx and 11111xxx.
size_t announcedLength(uint8_t c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 0;
}

RefChar refDecode(const uint8_t* p, size_t n) {
  const RefChar invalid{false, p[0], 1};
  const size_t len = announcedLength(p[0]);
  if (len == 0 || n < len) return invalid;
  if (len == 1) return {true, p[0], 1};
  uint32_t cp = p[0] & (0xFFu >> (len + 1));
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] >> 6) != 2) return invalid;
    cp = cp * 64 + (p[i] & 0x3Fu);
  }
  const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < smallest[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return invalid;
  return {true, cp, len};
}

// Whether the m bytes at p (the start of one sequence, m <= its announced length) can be
// completed into a valid character: the first missing byte is tried with every continuation
// value, any further ones with 0x80.
bool completable(const uint8_t* p, size_t m) {
  const size_t len = announcedLength(p[0]);
  if (len == 0 || m > len) return false;
  uint8_t buf[4] = {p[0], 0x80, 0x80, 0x80};
  for (size_t i = 1; i < m; ++i)
    buf[i] = p[i];
  if (m == len) return refDecode(buf, len).valid;
  for (unsigned b = 0x80; b <= 0xBF; ++b) {
    buf[m] = static_cast<uint8_t>(b);
    if (refDecode(buf, len).valid) return true;
  }
  return false;
}

struct RefVerdict {
  bool valid = true;
  std::optional<size_t> firstBad;  // first byte after which the text cannot become valid
  size_t utf16Units = 0;
};

RefVerdict refValidate(const uint8_t* p, size_t n) {
  RefVerdict v;
  for (size_t pos = 0; pos < n;) {
    const RefChar c = refDecode(p + pos, n - pos);
    if (c.valid) {
      v.utf16Units += c.codePoint >= 0x10000 ? 2 : 1;
      pos += c.length;
      continue;
    }
    v.valid = false;
    size_t m = 1;
    while (pos + m <= n && completable(p + pos, m))
      ++m;
    if (pos + m <= n) v.firstBad = pos + m - 1;  // else: valid so far, cut off by the end
    return v;
  }
  return v;
}

void checkStreaming(std::string_view text, size_t piece, const RefVerdict& ref) {
  wps::Utf8Validator validator;
  if (piece == 0) piece = text.size() + 1;
  bool failed = false;
  for (size_t pos = 0; pos < text.size(); pos += piece) {
    const bool ok = validator.feed(text.substr(pos, piece));
    const bool badInThisPiece = ref.firstBad && *ref.firstBad >= pos && *ref.firstBad < pos + piece;
    FUZZ_CHECK(ok == !(failed || badInThisPiece));
    failed = failed || !ok;
    FUZZ_CHECK(validator.failed() == failed);
  }
  FUZZ_CHECK(validator.complete() == ref.valid);
}

void checkDecoding(std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const wps::utf8::Decoded d = wps::utf8::decodeAt(text, pos);
    const RefChar r = refDecode(p + pos, text.size() - pos);
    FUZZ_CHECK(d.valid == r.valid);
    FUZZ_CHECK(d.length == r.length);
    FUZZ_CHECK(d.codePoint == r.codePoint);
    FUZZ_CHECK(wps::utf8::utf16Units(d) == (r.valid && r.codePoint >= 0x10000 ? 2u : 1u));
  }
}

void checkEncoding(std::string_view text, const RefVerdict& ref) {
  const std::string clean = wps::utf8::sanitize(text);
  const auto* c = reinterpret_cast<const uint8_t*>(clean.data());
  FUZZ_CHECK(refValidate(c, clean.size()).valid);
  if (!ref.valid) return;
  FUZZ_CHECK(clean == text);
  FUZZ_CHECK(wps::utf16Length(text) == ref.utf16Units);
  std::string reencoded;
  for (size_t pos = 0; pos < text.size();) {
    const wps::utf8::Decoded d = wps::utf8::decodeAt(text, pos);
    wps::utf8::append(reencoded, d.codePoint);
    pos += d.length;
  }
  FUZZ_CHECK(reencoded == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const RefVerdict ref = refValidate(data + 1, size - 1);
  FUZZ_CHECK(wps::isValidUtf8(text) == ref.valid);
  checkStreaming(text, piece, ref);
  checkDecoding(text);
  checkEncoding(text, ref);
  return 0;
}
