#include "auth/audience.h"

#include <optional>
#include <span>

#include "common/strings.h"

namespace wps::auth {
namespace {

std::string_view stripOneTrailingSlash(std::string_view s) {
  if (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

// Default port of a (lowercase-compared) scheme; 0 when unknown.
int defaultPort(std::string_view scheme) {
  if (iequals(scheme, "http") || iequals(scheme, "ws")) return 80;
  if (iequals(scheme, "https") || iequals(scheme, "wss")) return 443;
  return 0;
}

// "host[:port]" (userinfo dropped) → lowercase host, plus ":port" unless it is the default.
// nullopt for an empty host, a non-numeric or out-of-range port, or characters that cannot
// appear in an authority.
std::optional<std::string> normalizeAuthority(std::string_view authority, int defaultPortNumber) {
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  for (char c : authority) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '\\' || c == '/' || c == '?' || c == '#') {
      return std::nullopt;
    }
  }
  std::string_view host;
  std::string_view port;
  bool hasPort = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      hasPort = true;
      port = rest.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      hasPort = true;
      port = authority.substr(colon + 1);
    }
  }
  if (host.empty()) return std::nullopt;
  std::string out = toLowerAscii(host);
  if (hasPort && !port.empty()) {  // "host:" means the default port (RFC 3986 §3.2.3)
    if (port.size() > 5) return std::nullopt;
    auto number = parseUint64(port);
    if (!number || *number > 65535) return std::nullopt;
    if (static_cast<int>(*number) != defaultPortNumber) {
      out.push_back(':');
      out += std::to_string(*number);
    }
  }
  return out;
}

bool isSchemeChar(char c, bool first) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (first) return alpha;
  return alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

bool authorityAllowed(const std::string& normalized, int defaultPortNumber,
                      const std::vector<std::string>& allowed) {
  for (const std::string& entry : allowed) {
    std::string_view e = entry;
    if (size_t sep = e.find("://"); sep != std::string_view::npos) {
      e.remove_prefix(sep + 3);
      e = e.substr(0, e.find_first_of("/?#"));
    }
    auto candidate = normalizeAuthority(e, defaultPortNumber);
    if (candidate && *candidate == normalized) return true;
  }
  return false;
}

bool segmentsEqual(std::span<const std::string> a, std::span<const std::string> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!iequals(a[i], b[i])) return false;
  }
  return true;
}

// `path` without the segments of `prefix` when it starts with them (case-insensitively). An
// empty (or "/") prefix, or a malformed one, removes nothing.
std::span<const std::string> withoutPrefix(const std::vector<std::string>& path,
                                           std::string_view prefix) {
  prefix = stripOneTrailingSlash(prefix);
  if (prefix.empty()) return path;
  auto segments = decodePathSegments(prefix);
  if (!segments || segments->size() > path.size()) return path;
  std::span<const std::string> all(path);
  if (!segmentsEqual(all.first(segments->size()), *segments)) return path;
  return all.subspan(segments->size());
}

}  // namespace

std::optional<std::vector<std::string>> decodePathSegments(std::string_view rawPath) {
  if (!rawPath.empty() && rawPath.front() == '/') rawPath.remove_prefix(1);
  std::vector<std::string> out;
  for (auto segment : split(rawPath, '/')) {
    auto decoded = percentDecode(segment, /*plusAsSpace=*/false);
    if (!decoded) return std::nullopt;
    out.push_back(std::move(*decoded));
  }
  return out;
}

bool audienceMatches(std::string_view aud, std::string_view expectedRawPath,
                     const AudienceOptions& options) {
  // scheme ":" "//" authority path [ "?" query ] [ "#" fragment ]
  size_t colon = aud.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view scheme = aud.substr(0, colon);
  for (size_t i = 0; i < scheme.size(); ++i) {
    if (!isSchemeChar(scheme[i], i == 0)) return false;
  }
  const int port = defaultPort(scheme);
  if (port == 0) return false;
  std::string_view rest = aud.substr(colon + 1);
  if (!startsWith(rest, "//")) return false;
  rest.remove_prefix(2);

  size_t authorityEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authorityEnd);
  auto normalized = normalizeAuthority(authority, port);
  if (!normalized) return false;
  if (options.strictHost && !authorityAllowed(*normalized, port, options.allowedAuthorities)) {
    return false;
  }

  std::string_view rawPath;
  if (authorityEnd != std::string_view::npos) {
    rest.remove_prefix(authorityEnd);
    rawPath = rest.substr(0, rest.find_first_of("?#"));
  }
  auto path = decodePathSegments(stripOneTrailingSlash(rawPath));
  auto expected = decodePathSegments(stripOneTrailingSlash(expectedRawPath));
  if (!path || !expected) return false;
  return segmentsEqual(withoutPrefix(*path, options.pathPrefix), *expected);
}

bool anyAudienceMatches(const std::vector<std::string>& audiences, std::string_view expectedRawPath,
                        const AudienceOptions& options) {
  for (const std::string& aud : audiences) {
    if (audienceMatches(aud, expectedRawPath, options)) return true;
  }
  return false;
}

}  // namespace wps::auth
