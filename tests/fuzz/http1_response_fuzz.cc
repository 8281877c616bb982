// Fuzz target for cloudevents/http1 ResponseParser: the first byte picks a feed step size; the
// rest is one connection's bytes. The parser must not crash, must respect its limits, and must
// reach the same result whether the bytes arrive at once or in pieces.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/http1.h"

using wps::http::http1::ParserLimits;
using wps::http::http1::ResponseParser;

namespace {

struct Outcome {
  ResponseParser::Result result;
  bool keepAlive;
  wps::http::HttpResponse response;
  wps::StatusCode error;
};

Outcome run(std::string_view wire, size_t step, const ParserLimits& limits) {
  ResponseParser p(limits);
  ResponseParser::Result r = ResponseParser::Result::kNeedMore;
  while (!wire.empty() && r != ResponseParser::Result::kError) {
    size_t n = step < wire.size() ? step : wire.size();
    r = p.feed(wire.substr(0, n));
    wire.remove_prefix(n);
  }
  if (r == ResponseParser::Result::kNeedMore) r = p.finishOnEof();
  Outcome o{r, p.keepAlive(), {}, p.error().code()};
  if (r == ResponseParser::Result::kComplete) o.response = p.take();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t step = 1 + data[0] % 17;
  std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);
  ParserLimits limits;
  limits.maxHeaderBytes = 512;
  limits.maxBodyBytes = 1024;
  Outcome whole = run(wire, wire.size() + 1, limits);
  Outcome pieces = run(wire, step, limits);
  if (whole.result != pieces.result || whole.keepAlive != pieces.keepAlive) std::abort();
  if (whole.result == ResponseParser::Result::kComplete) {
    const auto& a = whole.response;
    const auto& b = pieces.response;
    if (a.status != b.status || a.body != b.body || a.headers.size() != b.headers.size()) {
      std::abort();
    }
    if (a.body.size() > limits.maxBodyBytes || a.status < 200 || a.status > 999) std::abort();
  } else if (whole.error != pieces.error) {
    std::abort();
  }
  return 0;
}
