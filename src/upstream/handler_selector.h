// Chooses the event handler for an event (upstream-cloudevents.md §2.3-§2.4): the first handler
// whose systemEvents / userEventPattern matches, case-insensitively. Pure, thread-safe.
#pragma once

#include <string_view>

#include "cloudevents/event_types.h"
#include "config/settings.h"

namespace wps::upstream {

// True if `handler` takes the event. `userEventName` is used for user events only.
bool handlerMatches(const config::EventHandlerSettings& handler, cloudevents::EventKind kind,
                    std::string_view userEventName);

// The first matching handler of `hub`, or nullptr when none matches.
const config::EventHandlerSettings* selectHandler(const config::HubSettings& hub,
                                                  cloudevents::EventKind kind,
                                                  std::string_view userEventName);

}  // namespace wps::upstream
