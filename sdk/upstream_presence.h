// Internal to webpubsub_upstream: group presence events (azure.webpubsub.gp.joined / .left),
// parsed as @azure/web-pubsub-express 1.1.0 reads them. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "webpubsub/upstream.h"

namespace webpubsub::upstream::detail {

inline constexpr std::string_view kGroupJoinedType = "azure.webpubsub.gp.joined";
inline constexpr std::string_view kGroupLeftType = "azure.webpubsub.gp.left";

// The event of a group presence request whose headers were already read into `ctx`: the body
// must be a JSON object with a string "group" (400 InvalidBody otherwise).
Result<Event> parseGroupPresence(ConnectionContext ctx, const std::string& body, bool joined);

}  // namespace webpubsub::upstream::detail
