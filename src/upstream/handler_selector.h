// Chooses the event handler for an event (upstream-cloudevents.md §2.3-§2.4): the first handler
// whose systemEvents / userEventPattern matches, case-insensitively. Pure, thread-safe.
#pragma once

#include <string_view>

#include "cloudevents/event_types.h"
#include "config/settings.h"

namespace wps::upstream {

// True if `handler` takes the event. `userEventName` is the user event's name for user events,
// the group for group presence events (group_presence_events: the event name is enabled and
// the group matches one of group_filters, or there are none), unused otherwise.
bool handlerMatches(const config::EventHandlerSettings& handler, cloudevents::EventKind kind,
                    std::string_view userEventName);

// The first matching handler of `hub`, or nullptr when none matches.
const config::EventHandlerSettings* selectHandler(const config::HubSettings& hub,
                                                  cloudevents::EventKind kind,
                                                  std::string_view userEventName);

}  // namespace wps::upstream
