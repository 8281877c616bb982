#include "filter/text_functions.h"

#include <limits>

#include "common/utf8.h"

namespace wps::filter::text {

namespace {

bool isWhitespaceCodePoint(uint32_t cp) {
  return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

int32_t saturate(size_t n) {
  constexpr auto kMax = static_cast<size_t>(std::numeric_limits<int32_t>::max());
  return static_cast<int32_t>(n > kMax ? kMax : n);
}

// UTF-16 units of `s` counted the way substring() walks it.
size_t unitsOf(std::string_view s) {
  size_t units = 0;
  for (size_t pos = 0; pos < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[pos]);
    if (c < 0x80) {
      ++units;
      ++pos;
      continue;
    }
    const utf8::Decoded d = utf8::decodeAt(s, pos);
    units += utf8::utf16Units(d);
    pos += d.length;
  }
  return units;
}

}  // namespace

size_t whitespaceLengthAt(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  const unsigned char c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) return isWhitespaceCodePoint(c) ? 1 : 0;
  const utf8::Decoded d = utf8::decodeAt(s, pos);
  return d.valid && isWhitespaceCodePoint(d.codePoint) ? d.length : 0;
}

std::string_view trimWhitespace(std::string_view s) {
  size_t begin = 0;
  while (size_t n = whitespaceLengthAt(s, begin))
    begin += n;
  size_t end = s.size();
  // Walk back to the start of the last character, then test it.
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 &&
           end - start < 4) {
      --start;
    }
    const size_t n = whitespaceLengthAt(s, start);
    if (n == 0 || start + n != end) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

int32_t length(std::string_view s) {
  return saturate(utf16Length(s));
}

int32_t indexOf(std::string_view s, std::string_view t) {
  const size_t at = s.find(t);
  if (at == std::string_view::npos) return -1;
  return saturate(unitsOf(s.substr(0, at)));
}

std::optional<std::string> substring(std::string_view s, int32_t start,
                                     std::optional<int32_t> count) {
  const auto total = static_cast<int64_t>(unitsOf(s));
  if (start < 0 || start > total) return std::nullopt;
  if (count && (*count < 0 || *count > total - start)) return std::nullopt;
  const int64_t first = start;
  const int64_t last = count ? first + *count : total;  // exclusive
  std::string out;
  if (first == last) return out;
  int64_t unit = 0;
  for (size_t pos = 0; pos < s.size() && unit < last;) {
    const utf8::Decoded d = utf8::decodeAt(s, pos);
    const auto units = static_cast<int64_t>(utf8::utf16Units(d));
    const bool firstIn = unit >= first && unit < last;
    const bool secondIn = units == 2 && unit + 1 >= first && unit + 1 < last;
    if (firstIn && (units == 1 || secondIn)) {
      out.append(s.substr(pos, d.length));
    } else if (firstIn || secondIn) {
      // Exactly one half of a surrogate pair lies inside [first, last).
      const uint32_t v = d.codePoint - 0x10000;
      utf8::append(out, firstIn ? 0xD800 + (v >> 10) : 0xDC00 + (v & 0x3FF));
    }
    unit += units;
    pos += d.length;
  }
  return out;
}

}  // namespace wps::filter::text
