// UTF-8 in one place: validation of whole strings and of streams fed in pieces (WebSocket text
// messages), per-character decoding and encoding (the filter's string functions) and UTF-16
// lengths. Validation is RFC 3629 throughout: no overlong forms, no encoded surrogates, nothing
// above U+10FFFF. The free functions are pure and thread-safe; Utf8Validator is a value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wps {

// True if `s` is valid UTF-8 (RFC 3629). Same verdict as feeding `s` to a Utf8Validator in any
// number of pieces and asking complete().
bool isValidUtf8(std::string_view s);

// Number of UTF-16 code units of a valid UTF-8 string (what .NET's string.Length reports).
size_t utf16Length(std::string_view utf8);

// Validates a byte stream fed in arbitrary pieces: a multi-byte sequence may be split across
// pieces, and an invalid byte is reported by the feed() of the piece that contains it (fail
// fast), not only when the stream ends. Accepts exactly what isValidUtf8 accepts when given the
// concatenation. A value type with no heap memory; not thread-safe (one owner at a time, e.g. the
// connection's WebSocket parser).
class Utf8Validator {
 public:
  // Feeds the next piece. Returns false as soon as the stream so far cannot be the prefix of
  // valid UTF-8; after that the validator stays failed until reset().
  bool feed(std::string_view bytes);
  // True when everything fed so far is valid and no multi-byte sequence is left unfinished
  // (i.e. the stream may end here).
  bool complete() const { return !failed_ && needed_ == 0; }
  // True after feed() has returned false.
  bool failed() const { return failed_; }
  // Starts a new stream.
  void reset() { *this = Utf8Validator(); }

 private:
  bool fail();
  // Consumes continuation bytes of the sequence left open by the previous piece.
  const unsigned char* finishPending(const unsigned char* p, const unsigned char* end);
  // Opens the (already checked) incomplete sequence that starts at `lead` and runs to `end`.
  void startPending(const unsigned char* lead, const unsigned char* end);

  uint8_t needed_ = 0;  // continuation bytes still expected for the current sequence
  uint8_t lo_ = 0x80;   // allowed range of the next continuation byte
  uint8_t hi_ = 0xBF;
  bool failed_ = false;
};

namespace utf8 {

// One decoded character. `length` is the number of bytes consumed (1-4, never 0 for a
// non-empty input). `valid` is false for a malformed sequence, in which case `length` is 1 and
// `codePoint` is the raw byte value.
struct Decoded {
  uint32_t codePoint;
  uint8_t length;
  bool valid;
};

// Decodes the character starting at byte `pos` of `s`; total on any byte string (malformed input
// is decoded one byte at a time). Precondition: pos < s.size().
Decoded decodeAt(std::string_view s, size_t pos);

// UTF-16 code units taken by a decoded character: 2 for a valid supplementary code point,
// otherwise 1 (a malformed byte counts as one unit).
inline size_t utf16Units(const Decoded& d) {
  return d.valid && d.codePoint >= 0x10000 ? 2 : 1;
}

// Appends the UTF-8 encoding of `codePoint` (< 0x110000) to `out`. Surrogate code points
// (U+D800..U+DFFF) are written as three-byte sequences ("WTF-8"), which is how a lone UTF-16
// surrogate produced by cutting a surrogate pair is carried.
void append(std::string& out, uint32_t codePoint);

// Returns `s` with every malformed byte replaced by U+FFFD (for quoting invalid input in error
// messages).
std::string sanitize(std::string_view s);

}  // namespace utf8
}  // namespace wps
