// Fuzz target for the upstream cookie jar (upstream/cookie_jar). Input: lines; a line starting
// with "http" sets the request URL (the first line always does), any other line is a Set-Cookie
// value stored for the current URL. Invariants:
//   - the jar never holds more than its 50 cookies;
//   - cookies are never sent to a host none of them came from: "never.invalid" (with and
//     without a trailing dot) only gets cookies when some request URL's host ends in "invalid";
//   - a plain "name=value" stored alone in a fresh jar is sent back to the same URL exactly as
//     "name=value" (both trimmed), and it is accepted exactly when the name is not empty.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cloudevents/url_template.h"
#include "common/strings.h"
#include "fuzz/fuzz_input.h"
#include "upstream/cookie_jar.h"

namespace {

using wps::fuzz::check;

const wps::WallTime kNow{std::chrono::seconds(1800000000)};
constexpr std::string_view kProbes[] = {"http://never.invalid/", "https://never.invalid./x",
                                        "https://NEVER.invalid/a/b?c"};

bool endsWithInvalid(std::string_view host) {
  std::string h = wps::toLowerAscii(host);
  if (!h.empty() && h.back() == '.') h.pop_back();
  return wps::endsWith(h, "invalid");
}

void checkPlainCookie(std::string_view line, std::string_view url) {
  if (line.find(';') != std::string_view::npos) return;
  size_t eq = line.find('=');
  if (eq == std::string_view::npos) return;
  wps::upstream::CookieJar jar;
  bool stored = jar.store(line, url, kNow);
  std::string_view name = wps::trim(line.substr(0, eq));
  std::string_view value = wps::trim(line.substr(eq + 1));
  bool urlOk = wps::cloudevents::parseHttpUrl(url).isOk();
  check(stored == (urlOk && !name.empty() && line.size() <= 4096));
  if (stored) check(jar.headerFor(url, kNow) == std::string(name) + "=" + std::string(value));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wps::fuzz::LineReader in(data, size);
  std::string url(in.line());
  bool foreignAllowed = false;
  wps::upstream::CookieJar jar;
  while (!in.done()) {
    std::string_view line = in.line();
    if (wps::startsWith(line, "http")) {
      url = std::string(line);
      continue;
    }
    auto parts = wps::cloudevents::parseHttpUrl(url);
    if (jar.store(line, url, kNow)) foreignAllowed |= parts.isOk() && endsWithInvalid(parts->host);
    check(jar.size() <= 50);
    checkPlainCookie(line, url);
  }
  for (std::string_view probe : kProbes) {
    if (!foreignAllowed) check(jar.headerFor(probe, kNow).empty());
  }
  (void)jar.headerFor(url, kNow + std::chrono::hours(24 * 500));
  return 0;
}
