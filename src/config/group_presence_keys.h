// The `group_presence_events` key of an event handler (client-protocols-1.1.md §2.1, the ARM
// setting groupPresenceEvents), for the loader only. Thread-safe (no shared state).
#pragma once

#include <string>

#include "config/settings.h"
#include "config/toml_reader.h"

namespace wps::config {

// Reads `group_presence_events = { event_names = [...], group_filters = [...] }` into
// h.groupPresence. event_names: "joined" and/or "left" (case-insensitive; empty = none);
// group_filters: wildcard group patterns (auth/group_pattern.h; empty = every group). Any
// other key, an unknown event name or an invalid pattern fails `r` naming the key (and the
// index of the bad item).
void readGroupPresence(Reader& r, const toml::node& n, const std::string& key,
                       EventHandlerSettings& h);

}  // namespace wps::config
