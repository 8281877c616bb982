// The `connect` event (upstream-cloudevents.md §9.1): its request body and the interpretation of
// a 2xx answer. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/message.h"

namespace wps::upstream {

// name → values, in first-appearance order.
using MultiMap = std::vector<std::pair<std::string, std::vector<std::string>>>;

struct ConnectBodyInput {
  MultiMap claims;                        // every token claim rendered as strings
  MultiMap query;                         // URL-decoded query parameters
  MultiMap headers;                       // handshake headers without Authorization
  std::vector<std::string> subprotocols;  // offered, in the client's order
};

// {"claims":{...},"query":{...},"headers":{...},"subprotocols":[...],"clientCertificates":[]}
std::string buildConnectBody(const ConnectBodyInput& input);

// What a successful connect answer changes.
struct ConnectDecision {
  std::optional<std::string> userId;              // set: replaces sub ("" = no user id)
  std::optional<std::vector<std::string>> roles;  // set: replaces the token's roles
  std::vector<std::string> groups;                // non-empty: replaces the token's groups
  std::optional<std::string> subprotocol;         // non-empty: the chosen subprotocol
  std::optional<std::string> connectionState;     // from ce-connectionState (last value)
};

// Interprets a 2xx answer: empty body, `null`, or a JSON object whatever the Content-Type;
// property names matched case-insensitively; unknown properties ignored. Errors
// (kInvalidArgument, the client then gets 500): malformed JSON, a non-object body, wrong field
// types, an invalid group name, or an invalid ce-connectionState (see connectionStateUpdate).
StatusOr<ConnectDecision> parseConnectAnswer(const http::HttpResponse& response,
                                             size_t maxConnectionStateBytes);

// The ce-connectionState of a 2xx answer to a blocking event: nullopt when the header is absent
// (state unchanged), the last value otherwise ("" clears). Errors: non-ASCII or larger than
// `maxBytes`.
StatusOr<std::optional<std::string>> connectionStateUpdate(const http::HttpResponse& response,
                                                           size_t maxBytes);

}  // namespace wps::upstream
