// The `aud` check shared by client access tokens (client-protocols.md §2.3 item 4, rest-api.md
// §8.4) and REST bearer tokens (rest-api.md §3.1.3 item 5). One implementation for both.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wps::auth {

struct AudienceOptions {
  // Path prefix of the public endpoint (reverse proxy), e.g. "/wps". When aud's path segments
  // start with its segments (case-insensitively) they are removed before the comparison; an aud
  // without the prefix is compared as is. Empty or "/" = no prefix; one trailing '/' is ignored.
  std::string pathPrefix;
  // When true, aud's authority (host[:port], userinfo dropped) must equal one of
  // allowedAuthorities, compared case-insensitively with the scheme's default port (80 for
  // http/ws, 443 for https/wss) elided on both sides. An entry may also be written as a URL
  // ("https://host:port/..."); only its authority is used. No entries = nothing matches.
  bool strictHost = false;
  std::vector<std::string> allowedAuthorities;
};

// The segments of a raw (undecoded) URL path: one leading '/' dropped, split on '/' BEFORE
// decoding, each segment percent-decoded once ('+' stays '+'); empty segments are kept
// ("/a//b" → "a", "", "b"). nullopt on a malformed escape. The one rule for path segments
// (rest-api.md §2.2), used by the REST router and by the audience check, so that "a%2Fb" is
// one segment for both. Pure; thread-safe.
std::optional<std::vector<std::string>> decodePathSegments(std::string_view rawPath);

// True when `aud` is an absolute http/https/ws/wss URI (scheme case-insensitive, otherwise not
// compared) whose path (query and fragment ignored), split into segments by
// decodePathSegments with one trailing '/' stripped and the prefix's segments removed, has the
// same segments as `expectedRawPath` (the path as the request wrote it, e.g.
// "/client/hubs/chat" or "/api/hubs/myHub/groups/a%2Fb/:send"; one trailing '/' stripped),
// compared ASCII-case-insensitively. So "a%2Fb" matches only "a%2Fb" (or "a%2fb"), never
// "a/b". False for relative URIs, an empty host, a bad port, a malformed percent escape (in
// either path), or any other garbage. Never throws (except bad_alloc). Pure; thread-safe.
bool audienceMatches(std::string_view aud, std::string_view expectedRawPath,
                     const AudienceOptions& options);

// True when any element of `audiences` matches (a JWT aud may be an array).
bool anyAudienceMatches(const std::vector<std::string>& audiences, std::string_view expectedRawPath,
                        const AudienceOptions& options);

}  // namespace wps::auth
