// The kinds of message payload and their names (client-protocols.md §10). Header-only and free of
// protobuf so that the C++ SDK (sdk/upstream.cc) shares the name table without linking the
// protocol library. Constants only; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wps::protocol {

enum class DataType : uint8_t {
  kText,      // UTF-8 text
  kJson,      // compact JSON text of any JSON value
  kBinary,    // raw bytes
  kProtobuf,  // a serialized google.protobuf.Any
};

// The names, indexed by DataType.
inline constexpr std::array<std::string_view, 4> kDataTypeNames = {"text", "json", "binary",
                                                                   "protobuf"};

// "text", "json", "binary", "protobuf" ("binary" for a value outside the enumeration).
constexpr std::string_view dataTypeName(DataType type) {
  const auto index = static_cast<size_t>(type);
  return index < kDataTypeNames.size() ? kDataTypeNames[index] : kDataTypeNames[2];
}

}  // namespace wps::protocol
