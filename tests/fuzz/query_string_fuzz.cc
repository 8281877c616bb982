// Fuzz target for percent decoding, query strings and REST request targets (common/strings,
// api/rest_request). Checked against a reference decoder written here, plus round trips:
//   - percentDecode agrees with the reference (both '+' modes), percentEncodeData emits only
//     unreserved characters and uppercase escapes, and decoding what it encoded gives the input;
//   - parseQueryString agrees with a reference split, countQueryParameters counts the same
//     items, and re-encoding the pairs parses back to the same pairs;
//   - parseTarget is valid exactly when every part decodes and the query is within
//     kMaxQueryParameters; a valid target re-encoded from its segments and pairs parses back to
//     the same segments and pairs, and the query helpers agree with each other.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/rest_request.h"
#include "common/strings.h"
#include "fuzz/fuzz_input.h"

namespace {

using wps::fuzz::check;
using Pairs = std::vector<std::pair<std::string, std::string>>;

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> referenceDecode(std::string_view s, bool plusAsSpace) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '%') {
      out += plusAsSpace && s[i] == '+' ? ' ' : s[i];
      ++i;
      continue;
    }
    if (s.size() - i < 3 || hexDigit(s[i + 1]) < 0 || hexDigit(s[i + 2]) < 0) return std::nullopt;
    out += static_cast<char>(hexDigit(s[i + 1]) * 16 + hexDigit(s[i + 2]));
    i += 3;
  }
  return out;
}

std::optional<Pairs> referenceQuery(std::string_view query) {
  Pairs out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view item = query.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    auto key = referenceDecode(item.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : referenceDecode(item.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    out.emplace_back(*key, *value);
  }
  return out;
}

bool isUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string encodePairs(const Pairs& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += wps::percentEncodeData(k) + "=" + wps::percentEncodeData(v);
  }
  return out;
}

void checkPercent(std::string_view text) {
  for (bool plus : {false, true})
    check(wps::percentDecode(text, plus) == referenceDecode(text, plus));
  std::string encoded = wps::percentEncodeData(text);
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    bool escapeDigit = i >= 1 && (encoded[i - 1] == '%' || (i >= 2 && encoded[i - 2] == '%'));
    check(isUnreserved(c) || c == '%' ||
          (escapeDigit && ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))));
  }
  check(wps::percentDecode(encoded, false) == std::string(text));
  check(wps::percentDecode(encoded, true) == std::string(text));
}

void checkQuery(std::string_view query) {
  auto pairs = wps::parseQueryString(query);
  check(pairs == referenceQuery(query));
  if (!pairs) return;
  check(wps::countQueryParameters(query) == pairs->size());
  check(wps::parseQueryString(encodePairs(*pairs)) == pairs);
}

void checkHelpers(const wps::api::ParsedTarget& t) {
  if (t.query.empty()) return;
  const std::string& name = t.query.front().first;
  std::vector<std::string> values = wps::api::queryValues(t, name);
  check(wps::api::queryCount(t, name) == values.size() && !values.empty());
  bool duplicate = false;
  check(wps::api::querySingle(t, name, &duplicate) == values.back());
  check(duplicate == (values.size() > 1));
}

// Each segment is its raw segment (split at every literal '/') decoded on its own, so an encoded
// slash stays inside its segment.
void checkSegments(std::string_view path, const std::vector<std::string>& segments) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) {
    check(segments.size() <= 1 && (segments.empty() || segments[0].empty()));
    return;
  }
  size_t i = 0;
  for (size_t start = 0;; ++i) {
    size_t slash = path.find('/', start);
    check(i < segments.size());
    check(referenceDecode(path.substr(start, slash - start), false) == segments[i]);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  check(i + 1 == segments.size());
}

void checkTarget(std::string_view target) {
  wps::api::ParsedTarget t = wps::api::parseTarget(target);
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  check(t.rawPath == path);
  bool expectValid = referenceDecode(path, false).has_value() &&
                     wps::countQueryParameters(query) <= wps::kMaxQueryParameters &&
                     referenceQuery(query).has_value();
  check(t.valid == expectValid);
  if (!t.valid) return;
  checkSegments(path, t.segments);
  std::string rebuilt = !path.empty() && path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < t.segments.size(); ++i) {
    rebuilt += (i ? "/" : "") + wps::percentEncodeData(t.segments[i]);
  }
  wps::api::ParsedTarget again = wps::api::parseTarget(rebuilt + "?" + encodePairs(t.query));
  check(again.valid && again.segments == t.segments && again.query == t.query);
  checkHelpers(t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  checkPercent(text);
  checkQuery(text);
  checkTarget(text);
  return 0;
}
