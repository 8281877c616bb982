// Message payloads as they travel between clients, the REST API and the upstream
// (client-protocols.md §10). Value types; thread-safe to copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wps::protocol {

enum class DataType : uint8_t {
  kText,      // UTF-8 text
  kJson,      // compact JSON text of any JSON value
  kBinary,    // raw bytes
  kProtobuf,  // a serialized google.protobuf.Any
};

// "text", "json", "binary", "protobuf".
std::string_view dataTypeName(DataType type);
// Case-insensitive inverse of dataTypeName.
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
