#include "trace/redact.h"

#include <array>

#include "common/strings.h"

namespace wps::trace {
namespace {

bool isBase64Url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '=';
}

// The length of a JWT-shaped run at `text[i]` ("eyJ…" "." "…" "." "…"), or 0.
size_t jwtLengthAt(std::string_view text, size_t i) {
  if (text.substr(i, 3) != "eyJ") return 0;
  size_t j = i;
  int dots = 0;
  while (j < text.size() && (isBase64Url(text[j]) || text[j] == '.')) {
    if (text[j] == '.') ++dots;
    ++j;
  }
  return dots >= 2 ? j - i : 0;
}

// The length of a "name=" secret marker at `text[i]` (at a word start), or 0.
size_t secretMarkerAt(std::string_view text, size_t i) {
  static constexpr std::array<std::string_view, 6> kNames = {
      "accesskey=", "access_token=", "token=", "key=", "sig=", "code="};
  if (i > 0 && (isBase64Url(text[i - 1]) || text[i - 1] == '.')) return 0;
  for (std::string_view name : kNames) {
    if (iequals(text.substr(i, name.size()), name)) return name.size();
  }
  return 0;
}

bool endsSecretValue(char c) {
  return c == ';' || c == '&' || c == '"' || c == '\'' || c == ' ' || c == '\t' || c == '\n' ||
         c == '\r' || c == ',' || c == '}';
}

}  // namespace

std::string redactSecrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (size_t jwt = jwtLengthAt(text, i)) {
      out += kRedacted;
      i += jwt;
      continue;
    }
    if (size_t marker = secretMarkerAt(text, i)) {
      out.append(text.substr(i, marker));
      i += marker;
      size_t end = i;
      while (end < text.size() && !endsSecretValue(text[end]))
        ++end;
      if (end > i) out += kRedacted;
      i = end;
      continue;
    }
    out += text[i++];
  }
  return out;
}

std::string displayUrl(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  size_t scheme = url.find("://");
  size_t authority = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t pathStart = url.find('/', authority);
  std::string_view host =
      url.substr(authority, pathStart == std::string_view::npos ? std::string_view::npos
                                                                : pathStart - authority);
  size_t at = host.rfind('@');
  std::string out(url.substr(0, authority));
  out += at == std::string_view::npos ? host : host.substr(at + 1);
  if (pathStart != std::string_view::npos) out += url.substr(pathStart);
  return out;
}

}  // namespace wps::trace
