#include "upstream/cookie_jar.h"

#include <algorithm>
#include <ctime>

#include "cloudevents/url_template.h"
#include "common/strings.h"

namespace wps::upstream {
namespace {

constexpr size_t kMaxCookies = 50;
constexpr size_t kMaxCookieBytes = 4096;
// Expiry dates are capped at 400 days ahead (RFC 6265bis); this also keeps far-future values
// ("Expires=... 9999", huge Max-Age) from overflowing WallTime's nanosecond range.
constexpr int64_t kMaxLifetimeSeconds = 400 * 24 * 3600;

std::string defaultPath(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path[0] != '/') return "/";
  size_t last = path.rfind('/');
  if (last == 0) return "/";
  return std::string(path.substr(0, last));
}

bool domainMatches(std::string_view host, const std::string& domain, bool hostOnly) {
  if (hostOnly) return iequals(host, domain);
  if (iequals(host, domain)) return true;
  return host.size() > domain.size() && iequals(host.substr(host.size() - domain.size()), domain) &&
         host[host.size() - domain.size() - 1] == '.';
}

bool pathMatches(std::string_view requestPath, std::string_view cookiePath) {
  if (requestPath == cookiePath) return true;
  if (!startsWith(requestPath, cookiePath)) return false;
  return cookiePath.back() == '/' || requestPath[cookiePath.size()] == '/';
}

// Parses an IMF-fixdate / RFC 850 / asctime-like date leniently via strptime, into seconds since
// the Unix epoch.
bool parseHttpDate(std::string_view text, int64_t* out) {
  std::string s(text);
  const char* formats[] = {"%a, %d %b %Y %H:%M:%S", "%a, %d-%b-%Y %H:%M:%S",
                           "%A, %d-%b-%y %H:%M:%S", "%a %b %d %H:%M:%S %Y"};
  for (const char* f : formats) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), f, &tm);
    if (end) {
      *out = static_cast<int64_t>(timegm(&tm));
      return true;
    }
  }
  return false;
}

}  // namespace

bool CookieJar::store(std::string_view setCookie, std::string_view requestUrl, WallTime now) {
  if (setCookie.size() > kMaxCookieBytes) return false;
  auto url = cloudevents::parseHttpUrl(requestUrl);
  if (!url) return false;
  auto parts = split(setCookie, ';');
  std::string_view pair = trim(parts[0]);
  size_t eq = pair.find('=');
  if (eq == std::string_view::npos) return false;
  Cookie c;
  c.name = std::string(trim(pair.substr(0, eq)));
  c.value = std::string(trim(pair.substr(eq + 1)));
  if (c.name.empty()) return false;
  c.domain = toLowerAscii(url->host);
  c.path = defaultPath(url->target);
  bool haveMaxAge = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view attr = trim(parts[i]);
    size_t aeq = attr.find('=');
    std::string_view key = trim(attr.substr(0, aeq));
    std::string_view val = aeq == std::string_view::npos ? "" : trim(attr.substr(aeq + 1));
    if (iequals(key, "domain") && !val.empty() && val.front() == '.') val.remove_prefix(1);
    if (iequals(key, "domain") && !val.empty()) {  // an empty Domain ("", ".") is ignored
      if (!domainMatches(url->host, toLowerAscii(val), false)) return false;  // foreign domain
      c.domain = toLowerAscii(val);
      c.hostOnly = false;
    } else if (iequals(key, "path")) {
      c.path = (!val.empty() && val.front() == '/') ? std::string(val) : defaultPath(url->target);
    } else if (iequals(key, "secure")) {
      c.secure = true;
    } else if (iequals(key, "max-age")) {
      auto secs = parseInt64(val);
      if (!secs) continue;
      haveMaxAge = true;
      c.persistent = true;
      c.expires = *secs <= 0 ? WallTime{}
                             : now + std::chrono::seconds(std::min(*secs, kMaxLifetimeSeconds));
    } else if (iequals(key, "expires") && !haveMaxAge) {
      int64_t t;
      if (parseHttpDate(val, &t)) {
        c.persistent = true;
        t = std::clamp<int64_t>(t, 0, unixSeconds(now) + kMaxLifetimeSeconds);
        c.expires = WallTime(std::chrono::seconds(t));
      }
    }
  }
  for (auto it = cookies_.begin(); it != cookies_.end(); ++it) {
    if (it->name == c.name && it->domain == c.domain && it->path == c.path) {
      cookies_.erase(it);
      break;
    }
  }
  if (c.persistent && c.expires <= now) return true;  // deletion
  if (cookies_.size() >= kMaxCookies) cookies_.erase(cookies_.begin());
  cookies_.push_back(std::move(c));
  return true;
}

std::string CookieJar::headerFor(std::string_view requestUrl, WallTime now) const {
  if (cookies_.empty()) return {};
  auto url = cloudevents::parseHttpUrl(requestUrl);
  if (!url) return {};
  std::string_view path = std::string_view(url->target).substr(0, url->target.find('?'));
  std::string out;
  for (const auto& c : cookies_) {
    if (c.persistent && c.expires <= now) continue;
    if (c.secure && !url->https) continue;
    if (!domainMatches(url->host, c.domain, c.hostOnly)) continue;
    if (!pathMatches(path, c.path)) continue;
    if (!out.empty()) out += "; ";
    out += c.name;
    out += '=';
    out += c.value;
  }
  return out;
}

}  // namespace wps::upstream
