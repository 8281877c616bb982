// A generation of the settings: an immutable ServerSettings shared by every thread that reads
// it. A reload builds a new generation and hands it to each reading thread (by posting); what a
// thread holds stays valid as long as its pointer does. See docs/operations.md, Reload.
#pragma once

#include <memory>

#include "config/settings.h"

namespace wps::config {

using SettingsPtr = std::shared_ptr<const ServerSettings>;

// A pointer that does not own `settings` (which must outlive every copy): for the callers that
// keep one settings object for their whole life (tests, tools).
inline SettingsPtr unownedSettings(const ServerSettings& settings) {
  return SettingsPtr(SettingsPtr(), &settings);
}

}  // namespace wps::config
