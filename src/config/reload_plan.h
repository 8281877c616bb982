// What a reload changes: the keys whose values differ between the running settings and a newly
// loaded file, split into those that take effect at once and those that need a restart (their
// running values are kept). Pure; thread-safe. docs/configuration.md lists both kinds.
#pragma once

#include <string>
#include <vector>

#include "config/settings.h"

namespace wps::config {

struct ReloadPlan {
  // Keys (as in the file: "limits.max_message_bytes", "hubs.chat", "access_keys") that take
  // effect, in a stable order. A hub is named once whether it was added, changed or removed.
  std::vector<std::string> changed;
  // Keys that changed in the file but keep their running values until a restart.
  std::vector<std::string> restartRequired;
};

// Compares `running` with `next` (both validated) and copies into `next` the running value of
// every restart-only key (listen, workers, log_format, cluster.*, delivery.*, the upstream HTTP
// pool options, probe_timeout_seconds, trace.include_payloads, turning [tls] on or off), so that
// `next` becomes the generation to run. Secrets (access keys, bearer tokens) are compared, never
// copied into the plan: only key names are.
ReloadPlan planReload(const ServerSettings& running, ServerSettings* next);

}  // namespace wps::config
