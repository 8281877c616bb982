// Fuzz target for event handler URL templates and URL splitting (cloudevents/url_template).
// Input: "template\nhub\nevent". Invariants:
//   - parseHttpUrl: an accepted URL has a host, a non-zero port, a target starting with '/',
//     and an origin "http(s)://host:port";
//   - an accepted template keeps its text, and resolving it with any hub and event gives a URL
//     that parses, on the same origin as every other resolution (names cannot move the request
//     to another host or port), with the names' only trace being RFC 3986 unreserved bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cloudevents/url_template.h"
#include "common/strings.h"
#include "fuzz/fuzz_input.h"

namespace {

using wps::fuzz::check;

void checkUrl(std::string_view text) {
  auto parts = wps::cloudevents::parseHttpUrl(text);
  if (!parts) {
    check(parts.status().code() == wps::StatusCode::kInvalidArgument);
    return;
  }
  check(!parts->host.empty() && parts->port != 0 && !parts->hostHeader.empty());
  check(!parts->target.empty() && parts->target.front() == '/');
  std::string scheme = parts->https ? "https://" : "http://";
  check(wps::startsWith(parts->origin, scheme));
  check(wps::endsWith(parts->origin, ":" + std::to_string(parts->port)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wps::fuzz::LineReader in(data, size);
  std::string_view text = in.line();
  std::string_view hub = in.line();
  std::string_view event = in.rest();
  checkUrl(text);
  auto t = wps::cloudevents::UrlTemplate::parse(text);
  if (!t) {
    check(t.status().code() == wps::StatusCode::kInvalidArgument);
    return 0;
  }
  check(t->text() == text);
  std::string sample = t->resolve("hub", "event");
  std::string resolved = t->resolve(hub, event);
  checkUrl(resolved);
  auto a = wps::cloudevents::parseHttpUrl(sample);
  auto b = wps::cloudevents::parseHttpUrl(resolved);
  check(a.isOk() && b.isOk());
  check(a->origin == b->origin && a->https == b->https && a->hostHeader == b->hostHeader);
  // Same resolution with the names' encodings: identical output (escaping is the only change).
  std::string once = t->resolve(wps::percentEncodeData(hub), event);
  check(once.size() >= resolved.size());
  return 0;
}
