// Builds CloudEvents 1.0 binary-mode HTTP requests (upstream-cloudevents.md §3, §4.1).
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cloudevents/event_types.h"
#include "common/time.h"
#include "http/message.h"

namespace wps::cloudevents {

// Everything the ce-* headers of one event carry.
struct EventAttributes {
  EventKind kind = EventKind::kUser;
  std::string_view userEventName;  // user events only
  std::string_view hub;            // lower-cased hub
  std::string_view connectionId;
  std::optional<std::string_view> userId;
  std::optional<std::string_view> subprotocol;  // never on connect
  std::string_view connectionState;             // empty = header omitted
  std::string_view signature;                   // empty = header omitted (no access keys)
  std::string_view id;                          // ce-id, stable across retries
  WallTime time;
  std::string_view origin;  // WebHook-Request-Origin: host without port
};

// A POST to `url` with every header of §3.2 in the documented casing, the given Content-Type
// and body. `extra` headers (Cookie, Authorization, X-WebPubSub-Metadata-*) are appended.
http::HttpRequest buildEventRequest(std::string url, const EventAttributes& attrs,
                                    std::string_view contentType, std::string body,
                                    http::HttpHeaders extra = {});

// The abuse-protection probe: OPTIONS (or GET) with WebHook-Request-Origin, ce-awpsversion and
// ce-hub, no body, no signature.
http::HttpRequest buildValidationRequest(std::string url, std::string_view method,
                                         std::string_view origin, std::string_view hub,
                                         http::HttpHeaders extra = {});

// True if the probe answer allows `origin` (§4.3): a 2xx status and a WebHook-Allowed-Origin
// value (any line, any comma-separated item, trimmed) equal to "*" or to `origin`
// case-insensitively, either as it stands or with a ":port" suffix removed.
bool validationAllows(const http::HttpResponse& response, std::string_view origin);

}  // namespace wps::cloudevents
