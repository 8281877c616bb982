// The body of the group presence events (client-protocols-1.1.md §2.2): `{"group":"<name>"}`,
// Content-Type application/json. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wps::cloudevents {

inline constexpr std::string_view kGroupPresenceContentType = "application/json";

// `{"group":"<group>"}` with `group` escaped as a JSON string.
std::string groupPresenceBody(std::string_view group);

// The group of a body made by groupPresenceBody(); nullopt when `body` is not a JSON object
// with a string member "group".
std::optional<std::string> groupOfPresenceBody(std::string_view body);

}  // namespace wps::cloudevents
