// The per-connection cookie jar (upstream-cloudevents.md §3.4): Set-Cookie from 2xx upstream
// answers are kept and sent back on later requests of the same connection. Owned by one
// logical connection; loop-thread only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace wps::upstream {

class CookieJar {
 public:
  // Stores one Set-Cookie header value received for `requestUrl`. Invalid cookies are ignored
  // (returns false). Honours Domain, Path, Max-Age, Expires and Secure (expiry capped at 400
  // days ahead); a cookie whose expiry is in the past deletes a stored cookie of the same name,
  // domain and path.
  bool store(std::string_view setCookie, std::string_view requestUrl, WallTime now);

  // The Cookie header value for a request to `url` ("a=1; b=2"), or empty.
  std::string headerFor(std::string_view url, WallTime now) const;

  bool empty() const { return cookies_.empty(); }
  size_t size() const { return cookies_.size(); }

 private:
  struct Cookie {
    std::string name;
    std::string value;
    std::string domain;  // lower-cased
    bool hostOnly = true;
    std::string path;
    bool secure = false;
    bool persistent = false;
    WallTime expires{};
  };
  std::vector<Cookie> cookies_;
};

}  // namespace wps::upstream
