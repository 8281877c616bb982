// Access to the live trace (GET /trace, GET /trace/events): a JWT signed with an access key
// whose audience is the trace endpoint "<base>/trace". Minted by `webpubsubd token --trace`;
// checked by the trace routes with the same rule as client and REST tokens
// (core/request_token.h). Pure; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time.h"
#include "config/settings.h"

namespace wps::core {

// The path a trace token's audience names (also the page's path).
inline constexpr std::string_view kTracePath = "/trace";

// A token with audience "<baseUrl>/trace", issued at `now`, signed (HS256) with the primary
// access key. Precondition: settings.accessKeys is not empty.
std::string mintTraceToken(const config::ServerSettings& settings, std::string_view baseUrl,
                           std::chrono::minutes lifetime, WallTime now);

// OK when `token` is valid for the trace endpoint (signature with any configured key, time
// claims, audience path "/trace"; `requestHost` as for verifyRequestToken). Errors:
// kUnauthenticated (the message never contains the token).
Status verifyTraceToken(const config::ServerSettings& settings, std::string_view token,
                        WallTime now, std::string_view requestHost);

}  // namespace wps::core
