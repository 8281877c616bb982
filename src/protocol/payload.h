// Message payloads as they travel between clients, the REST API and the upstream
// (client-protocols.md §10). Value types; thread-safe to copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/data_type.h"

namespace wps::protocol {

// Case-insensitive inverse of dataTypeName (protocol/data_type.h).
std::optional<DataType> parseDataType(std::string_view name);
// True when a simple (raw WebSocket) client receives this kind as a text frame.
inline bool isTextFrameFor(DataType t) {
  return t == DataType::kText || t == DataType::kJson;
}

struct Payload {
  DataType type = DataType::kText;
  std::string data;
};

// Message metadata (optional feature, upstream-cloudevents.md §3.5): ordered key/value pairs.
using Metadata = std::vector<std::pair<std::string, std::string>>;

}  // namespace wps::protocol
