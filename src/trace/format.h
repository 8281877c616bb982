// The wire form of live-trace events for a viewer: one JSON object per event (the Server-Sent
// Events `data:` of GET /trace/events), every value passed through redactSecrets. Pure;
// thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "trace/event.h"

namespace wps::trace {

// {"time":…,"category":…,"event":…,"hub":…,"connectionId":…,"userId":…,"details":{…}
//  [,"payload":…]}; time in Unix milliseconds. The payload is written only when
// `includePayloads` (and then truncated to 4096 bytes).
std::string eventJson(const Event& event, bool includePayloads);

// {"category":"trace","event":"skipped","count":N}: N events were dropped for a slow viewer.
std::string skippedJson(size_t count);

// One Server-Sent Events message carrying `json` ("data: …\n\n").
std::string sseMessage(const std::string& json);

}  // namespace wps::trace
