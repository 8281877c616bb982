// Loads ServerSettings from TOML (docs/configuration.md). Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "config/settings.h"

namespace wps::config {

// Parses and validates a whole configuration. Unknown keys are errors. Errors are
// kInvalidArgument with a message that starts with the offending key, e.g.
// "hubs.chat.event_handlers[0].url_template: placeholders are not allowed in the host".
StatusOr<ServerSettings> loadSettings(std::string_view tomlText);
// Reads `path` and calls loadSettings; the message names the file on read errors.
StatusOr<ServerSettings> loadSettingsFile(const std::string& path);

// Parses "HOST:PORT" ("[::1]:80" for IPv6); port 0 allowed (any free port).
Status parseListen(std::string_view text, std::string* host, uint16_t* port);

// [tls]: cert_file and key_file both or neither, each readable. The message starts with the key
// relative to [tls] ("cert_file: cannot read /x").
Status validateTlsFiles(const TlsSettings& tls);

// Checks settings that may also come from flags (keys, listen). Names the key on error.
Status validateSettings(const ServerSettings& settings);

}  // namespace wps::config
