#include "api/rest_request.h"

#include "auth/audience.h"
#include "common/strings.h"

namespace wps::api {

ParsedTarget parseTarget(std::string_view target) {
  ParsedTarget t;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  t.rawPath = std::string(path);
  auto segments = auth::decodePathSegments(path);
  if (!segments) {
    t.valid = false;
    return t;
  }
  t.segments = std::move(*segments);
  // Over the cap (the HTTP session answers that with its own 400 first): not decoded at all.
  auto pairs =
      countQueryParameters(query) > kMaxQueryParameters ? std::nullopt : parseQueryString(query);
  if (!pairs) {
    t.valid = false;
    return t;
  }
  t.query = std::move(*pairs);
  return t;
}

std::vector<std::string> queryValues(const ParsedTarget& t, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : t.query) {
    if (k == name) out.push_back(v);
  }
  return out;
}

size_t queryCount(const ParsedTarget& t, std::string_view name) {
  size_t n = 0;
  for (const auto& [k, v] : t.query)
    n += k == name;
  return n;
}

std::optional<std::string> querySingle(const ParsedTarget& t, std::string_view name,
                                       bool* duplicate) {
  std::optional<std::string> found;
  if (duplicate) *duplicate = false;
  for (const auto& [k, v] : t.query) {
    if (k != name) continue;
    if (found && duplicate) *duplicate = true;
    found = v;
  }
  return found;
}

}  // namespace wps::api
