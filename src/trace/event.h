// One live-trace event (docs/operations.md, Live trace): what happened, to which connection, and
// a few named details. A plain value, built by a producer on its own thread and moved into the
// Tracer; no thread affinity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wps::trace {

enum class Category {
  kConnectivity,  // a connection opened or closed (reason, protocol)
  kMessaging,     // a client message and where it went (upstream, group, user)
  kUpstream,      // one upstream request attempt (event type, handler, status, latency, attempt)
  kRest,          // one REST call (operation, status, latency)
};

// "connectivity", "messaging", "upstream", "rest".
std::string_view categoryName(Category c);

struct Event {
  Category category = Category::kConnectivity;
  std::string what;  // short name of the event: "opened", "sendToGroup", "POST /api/...", …
  std::string hub;
  std::string connectionId;
  std::string userId;
  // Named details in display order. Values are shown after redaction (trace/redact.h).
  std::vector<std::pair<std::string, std::string>> fields;
  // The message payload: shown only with trace.include_payloads (producers set it only then).
  std::optional<std::string> payload;
  int64_t unixMillis = 0;  // set by Tracer::publish

  Event& add(std::string name, std::string value) {
    fields.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

}  // namespace wps::trace
