// The kinds of WebSocket clients and their subprotocol names (client-protocols.md §5-§8).
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace wps::protocol {

enum class ClientKind : uint8_t {
  kSimple,            // no subprotocol, or a custom one selected by the upstream
  kJson,              // json.webpubsub.azure.v1
  kJsonReliable,      // json.reliable.webpubsub.azure.v1
  kProtobuf,          // protobuf.webpubsub.azure.v1
  kProtobufReliable,  // protobuf.reliable.webpubsub.azure.v1
};

inline constexpr std::string_view kJsonSubprotocol = "json.webpubsub.azure.v1";
inline constexpr std::string_view kJsonReliableSubprotocol = "json.reliable.webpubsub.azure.v1";
inline constexpr std::string_view kProtobufSubprotocol = "protobuf.webpubsub.azure.v1";
inline constexpr std::string_view kProtobufReliableSubprotocol =
    "protobuf.reliable.webpubsub.azure.v1";

// The Web PubSub kind named by `subprotocol` (compared case-insensitively), or nullopt for any
// other name.
std::optional<ClientKind> webPubSubKind(std::string_view subprotocol);
// Canonical name of a PubSub kind; empty for kSimple.
std::string_view subprotocolName(ClientKind kind);

inline bool isPubSub(ClientKind k) {
  return k != ClientKind::kSimple;
}
inline bool isReliable(ClientKind k) {
  return k == ClientKind::kJsonReliable || k == ClientKind::kProtobufReliable;
}
inline bool isJsonFamily(ClientKind k) {
  return k == ClientKind::kJson || k == ClientKind::kJsonReliable;
}
inline bool isProtobufFamily(ClientKind k) {
  return k == ClientKind::kProtobuf || k == ClientKind::kProtobufReliable;
}

}  // namespace wps::protocol
