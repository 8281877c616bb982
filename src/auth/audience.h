// The `aud` check shared by client access tokens (client-protocols.md §2.3 item 4, rest-api.md
// §8.4) and REST bearer tokens (rest-api.md §3.1.3 item 5). One implementation for both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wps::auth {

struct AudienceOptions {
  // Path prefix of the public endpoint (reverse proxy), e.g. "/wps". When aud's decoded path
  // starts with it (case-insensitively, at a segment boundary) it is removed before the
  // comparison; an aud without the prefix is compared as is. Empty or "/" = no prefix; one
  // trailing '/' is ignored.
  std::string pathPrefix;
  // When true, aud's authority (host[:port], userinfo dropped) must equal one of
  // allowedAuthorities, compared case-insensitively with the scheme's default port (80 for
  // http/ws, 443 for https/wss) elided on both sides. An entry may also be written as a URL
  // ("https://host:port/..."); only its authority is used. No entries = nothing matches.
  bool strictHost = false;
  std::vector<std::string> allowedAuthorities;
};

// True when `aud` is an absolute http/https/ws/wss URI (scheme case-insensitive, otherwise not
// compared) whose path (query and fragment ignored), percent-decoded once, with one trailing
// '/' stripped and the prefix removed, equals `expectedPath` (one trailing '/' stripped)
// ASCII-case-insensitively. `expectedPath` is already decoded, e.g. "/client/hubs/chat" or a
// decoded REST path "/api/hubs/myHub/:send". False for relative URIs, an empty host, a bad
// port, a malformed percent escape, or any other garbage. Never throws (except bad_alloc).
// Pure; thread-safe.
bool audienceMatches(std::string_view aud, std::string_view expectedPath,
                     const AudienceOptions& options);

// True when any element of `audiences` matches (a JWT aud may be an array).
bool anyAudienceMatches(const std::vector<std::string>& audiences, std::string_view expectedPath,
                        const AudienceOptions& options);

}  // namespace wps::auth
