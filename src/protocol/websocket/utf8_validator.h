// Incremental RFC 3629 UTF-8 validation for text messages that arrive in fragments: a
// multi-byte sequence may be split across fragments, and an invalid byte is reported as soon as
// the fragment that contains it is fed (fail fast), not only when the message completes.
#pragma once

#include <cstdint>
#include <string_view>

namespace wps::ws {

// Validates a byte stream fed in arbitrary pieces. Accepts exactly what wps::isValidUtf8
// accepts (no overlongs, no surrogates, nothing above U+10FFFF) when given the concatenation.
// A value type with no heap memory; not thread-safe (one owner at a time).
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
  uint8_t needed_ = 0;  // continuation bytes still expected for the current sequence
  uint8_t lo_ = 0x80;   // allowed range of the next continuation byte
  uint8_t hi_ = 0xBF;
  bool failed_ = false;
};

}  // namespace wps::ws
