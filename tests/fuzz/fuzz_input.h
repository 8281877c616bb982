// Helpers shared by the fuzz targets: a trap-on-failure check and a line splitter that turns
// fuzz bytes into the structured inputs (HTTP answers, request lines) the targets need.
// Header-only, pure; no thread affinity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

namespace wps::fuzz {

// Aborts the fuzz run (a reported crash) when an invariant does not hold.
inline void check(bool condition) {
  if (!condition) __builtin_trap();
}

// Reads the fuzz input one '\n'-terminated line at a time; the last line may lack the '\n'.
class LineReader {
 public:
  LineReader(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  bool done() const { return rest_.empty(); }
  // The next line without its '\n' ("" at the end of the input).
  std::string_view line() {
    size_t nl = rest_.find('\n');
    std::string_view out = rest_.substr(0, nl);
    rest_ = nl == std::string_view::npos ? std::string_view() : rest_.substr(nl + 1);
    return out;
  }
  // Everything not read yet.
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// An upstream answer from fuzz bytes: the first byte picks the status (200, 201, 204, 299, or
// the byte itself + 100), then "Name: value" header lines up to an empty line, then the body.
inline http::HttpResponse responseFromInput(const uint8_t* data, size_t size) {
  http::HttpResponse r;
  if (size == 0) {
    r.status = 200;
    return r;
  }
  static constexpr int kStatuses[] = {200, 201, 204, 299};
  r.status = data[0] < 4 ? kStatuses[data[0]] : 100 + data[0];
  LineReader in(data + 1, size - 1);
  while (!in.done()) {
    std::string_view line = in.line();
    if (line.empty()) break;
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.push_back({std::string(name), std::string(value)});
  }
  r.body = std::string(in.rest());
  return r;
}

}  // namespace wps::fuzz
