// Event handler URL templates with {hub} and {event} placeholders (upstream-cloudevents.md
// §2.2). Immutable after parse; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace wps::cloudevents {

class UrlTemplate {
 public:
  // Parses and validates `text`: placeholders {hub}/{event} (case-insensitive), no placeholder
  // in the scheme or host, no other braces, and the substituted result must be an absolute
  // http/https URL with a host. Errors: kInvalidArgument with a message naming the problem.
  static StatusOr<UrlTemplate> parse(std::string_view text);

  // The URL for a hub (already lower-cased) and event name; each value is escaped as RFC 3986
  // data. The query string is kept exactly as written.
  std::string resolve(std::string_view hub, std::string_view event) const;

  const std::string& text() const { return text_; }

 private:
  enum class Part { kLiteral, kHub, kEvent };
  struct Piece {
    Part part;
    std::string literal;
  };
  std::string text_;
  std::vector<Piece> pieces_;
};

// Splits an absolute http(s) URL into its parts. Errors: kInvalidArgument.
struct UrlParts {
  bool https = false;
  std::string host;        // without brackets for IPv6
  uint16_t port = 0;       // explicit or default (80/443)
  std::string target;      // path + query, at least "/"
  std::string origin;      // "http://host:port", the connection pool key
  std::string hostHeader;  // value for the Host header (port elided when default)
};
StatusOr<UrlParts> parseHttpUrl(std::string_view url);

}  // namespace wps::cloudevents
