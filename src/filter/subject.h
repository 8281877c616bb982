// The connection a filter is evaluated against (rest-api.md §10.1).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace wps::filter {

// Implemented by the registry over its live connection objects, so evaluation never copies the
// registry. Filter::matches() calls these methods synchronously and keeps none of the returned
// views beyond the call, so they need only stay valid until matches() returns. Implementations
// must not throw; the filter calls them from whatever thread calls matches().
class FilterSubject {
 public:
  virtual ~FilterSubject() = default;
  // The connection ID (never null).
  virtual std::string_view connectionId() const = 0;
  // The user ID; nullopt for an anonymous connection (the filter sees null).
  virtual std::optional<std::string_view> userId() const = 0;
  // True when the connection is in `group` now (exact, case-sensitive match).
  virtual bool inGroup(std::string_view group) const = 0;
  // The number of groups the connection is in (length(groups)).
  virtual size_t groupCount() const = 0;
  // The negotiated subprotocol; nullopt for a raw WebSocket client (the filter sees null).
  virtual std::optional<std::string_view> protocol() const = 0;
};

}  // namespace wps::filter
