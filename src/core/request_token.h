// The one check of access tokens on requests, shared by the client endpoint and the REST API:
// an HS256/384/512 JWT signed with any configured key, with exp (and nbf) within the clock skew,
// whose audience path equals `expectedRawPath` (client-protocols.md §2.3, rest-api.md §3.1.3).
// Pure; thread-safe.
#pragma once

#include <string_view>

#include "auth/jwt.h"
#include "common/status.h"
#include "common/time.h"
#include "config/settings.h"

namespace wps::core {

// `expectedRawPath` is the path the audience must name, as the request wrote it (undecoded:
// "/client/hubs/chat", or the REST request's path; see auth::audienceMatches); `requestHost` the
// Host header. With strict_audience_host the audience's host and port must equal public_endpoint's
// when it is set (the Host header is then ignored), else `requestHost`. Errors: kUnauthenticated,
// with a message that never contains the token.
StatusOr<auth::JwtClaims> verifyRequestToken(const config::ServerSettings& settings,
                                             std::string_view token, WallTime now,
                                             std::string_view expectedRawPath,
                                             std::string_view requestHost);

}  // namespace wps::core
