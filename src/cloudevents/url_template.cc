#include "cloudevents/url_template.h"

#include <cctype>

#include <boost/url/parse.hpp>

#include "common/strings.h"

namespace wps::cloudevents {

namespace {

// True when every '%' of `literal` starts an escape "%XX" inside it: "%0{event}" would resolve to
// a valid URL for some events ("%0e") and an invalid one for others.
bool escapesComplete(std::string_view literal) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  for (size_t i = literal.find('%'); i != std::string_view::npos; i = literal.find('%', i + 1)) {
    if (i + 2 >= literal.size() || !hex(literal[i + 1]) || !hex(literal[i + 2])) return false;
  }
  return true;
}

}  // namespace

StatusOr<UrlTemplate> UrlTemplate::parse(std::string_view text) {
  UrlTemplate t;
  t.text_ = std::string(text);
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '}') return invalidArgument("'}' outside a placeholder; encode it as %7D");
    if (c != '{') {
      literal.push_back(c);
      ++i;
      continue;
    }
    size_t close = text.find('}', i);
    if (close == std::string_view::npos) {
      return invalidArgument("unterminated '{'; only {hub} and {event} are placeholders");
    }
    std::string_view name = text.substr(i + 1, close - i - 1);
    Part part;
    if (iequals(name, "hub")) {
      part = Part::kHub;
    } else if (iequals(name, "event")) {
      part = Part::kEvent;
    } else {
      return invalidArgument("unknown placeholder {" + std::string(name) +
                             "}; only {hub} and {event} are allowed");
    }
    if (!literal.empty()) t.pieces_.push_back({Part::kLiteral, std::move(literal)});
    literal.clear();
    t.pieces_.push_back({part, {}});
    i = close + 1;
  }
  if (!literal.empty()) t.pieces_.push_back({Part::kLiteral, std::move(literal)});
  for (const auto& p : t.pieces_) {
    if (!escapesComplete(p.literal)) {
      return invalidArgument("'%' must start a percent escape (%XX); write a literal '%' as %25");
    }
  }

  // No placeholder in scheme or authority: everything before the first '/' after "://".
  size_t schemeEnd = text.find("://");
  if (schemeEnd == std::string_view::npos) {
    return invalidArgument("must be an absolute http:// or https:// URL");
  }
  size_t authorityEnd = text.find_first_of("/?#", schemeEnd + 3);
  std::string_view head = text.substr(0, authorityEnd);
  if (head.find('{') != std::string_view::npos) {
    return invalidArgument("placeholders are not allowed in the scheme or host");
  }
  auto parts = parseHttpUrl(t.resolve("hub", "event"));
  if (!parts) return parts.status();
  return t;
}

std::string UrlTemplate::resolve(std::string_view hub, std::string_view event) const {
  std::string out;
  out.reserve(text_.size() + 32);
  for (const auto& p : pieces_) {
    switch (p.part) {
      case Part::kLiteral:
        out += p.literal;
        break;
      case Part::kHub:
        out += percentEncodeData(hub);
        break;
      case Part::kEvent:
        out += percentEncodeData(event);
        break;
    }
  }
  return out;
}

StatusOr<UrlParts> parseHttpUrl(std::string_view url) {
  auto r = boost::urls::parse_absolute_uri(url);
  if (!r) return invalidArgument("not a valid absolute URL: " + r.error().message());
  const auto& u = *r;
  UrlParts p;
  std::string scheme = toLowerAscii(u.scheme());
  if (scheme == "https") {
    p.https = true;
  } else if (scheme != "http") {
    return invalidArgument("scheme must be http or https");
  }
  if (!u.has_authority() || u.encoded_host().empty()) return invalidArgument("URL has no host");
  if (u.has_userinfo()) return invalidArgument("user info in URLs is not supported");
  p.host = std::string(u.encoded_host_address());
  uint16_t defaultPort = p.https ? 443 : 80;
  if (u.has_port()) {
    auto port = parseUint64(u.port());
    if (!port || *port == 0 || *port > 65535) return invalidArgument("invalid port");
    p.port = static_cast<uint16_t>(*port);
  } else {
    p.port = defaultPort;
  }
  std::string hostForHeader(u.encoded_host_and_port());
  if (u.has_port() && p.port == defaultPort) hostForHeader = std::string(u.encoded_host());
  p.hostHeader = hostForHeader;
  p.target = std::string(u.encoded_path());
  if (p.target.empty()) p.target = "/";
  // Boost.URL reads "http://h:80+x/a" as host h, port 80, path "+x/a": not a request target.
  if (p.target.front() != '/') return invalidArgument("not a valid absolute URL: bad authority");
  if (u.has_query()) {
    p.target += '?';
    p.target += u.encoded_query();
  }
  p.origin = scheme + "://" + std::string(u.encoded_host()) + ":" + std::to_string(p.port);
  return p;
}

}  // namespace wps::cloudevents
