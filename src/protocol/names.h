// Name rules shared by the client endpoint, the REST API and the config (client-protocols.md
// §13, rest-api.md §9). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace wps::protocol {

// ^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$
bool isValidHubName(std::string_view hub);
// Hubs are case-insensitive: the canonical key is the lower-cased name (also what ce-hub and
// the {hub} URL placeholder carry).
std::string hubKey(std::string_view hub);
// Not empty, not whitespace-only, at most 1024 characters (UTF-16 code units, as the service
// counts them).
bool isValidGroupName(std::string_view group);
// ^[A-Za-z][A-Za-z0-9_.-]{0,127}$
bool isValidEventName(std::string_view event);
// Non-empty and not whitespace-only (REST path user ids).
bool isValidUserId(std::string_view userId);

}  // namespace wps::protocol
