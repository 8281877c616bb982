// Connection strings ("Endpoint=http://host:port;AccessKey=...;Version=1.0;") and client access
// URLs/tokens minted locally from them, as the official SDKs do. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "webpubsub/result.h"

namespace webpubsub::service {

struct ConnectionString {
  // scheme://host[:port][/prefix], lower-case scheme, no trailing '/', Port= applied.
  std::string endpoint;
  std::string accessKey;  // used as its UTF-8 bytes (never base64-decoded)
  std::string version;    // "1.0" when given; informational
};

// Parses `text`: ';'-separated Key=Value segments; keys case-insensitive; keys and values
// trimmed; only the first '=' of a segment separates (keys may contain '='); segments without
// '=' are ignored; a repeated key: the last wins. Endpoint must be an absolute http:// or
// https:// URL with a host (scheme case-insensitive; a trailing '/' is dropped); Port= (1..65535)
// replaces the endpoint's port. Unknown keys (ClientEndpoint, ...) are ignored.
// Errors: Error{0, "InvalidArgument", message naming the problem}; the message never contains
// the access key.
Result<ConnectionString> parseConnectionString(std::string_view text);

enum class ClientProtocol {
  kDefault,   // /client/hubs/{hub}
  kMqtt,      // /clients/mqtt/hubs/{hub}
  kSocketIo,  // /clients/socketio/hubs/{hub}
};

struct ClientAccessOptions {
  std::optional<std::string> userId;  // the token's "sub" (omitted when absent or empty)
  std::vector<std::string> roles;     // "role", e.g. "webpubsub.sendToGroup.room1"
  std::vector<std::string> groups;    // "webpubsub.group": groups joined on connect
  std::chrono::minutes expiresAfter{60};
  ClientProtocol protocol = ClientProtocol::kDefault;
};

struct ClientAccess {
  std::string baseUrl;  // ws(s)://host:port[/prefix]/client/hubs/{hub}
  std::string token;    // HS256 JWT, aud = http(s)://host:port[/prefix]/client/hubs/{hub}
  std::string url;      // baseUrl + "?access_token=" + token
};

// Mints a client access token and URL locally (no request), signed with the access key, like
// the SDKs' getClientAccessToken. `hub` is used as given (not encoded). `now` is the issue time.
ClientAccess generateClientAccess(
    const ConnectionString& connection, std::string_view hub,
    const ClientAccessOptions& options = {},
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// A REST bearer token for `url` (aud = the full request URL, iat/exp = now + lifetime), HS256
// with the access key: what the service client sends on every request.
std::string generateRestToken(
    const ConnectionString& connection, std::string_view url,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now(),
    std::chrono::seconds lifetime = std::chrono::seconds(3600));

}  // namespace webpubsub::service
