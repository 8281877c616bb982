// CloudEvents attribute values for every event kind (upstream-cloudevents.md §3.3).
#pragma once

#include <string>
#include <string_view>

namespace wps::cloudevents {

// kGroupJoined / kGroupLeft: group presence events (client-protocols-1.1.md §2).
enum class EventKind { kConnect, kConnected, kDisconnected, kUser, kGroupJoined, kGroupLeft };

inline constexpr std::string_view kSpecVersion = "1.0";
inline constexpr std::string_view kAwpsVersion = "1.0";
inline constexpr std::string_view kTypeConnect = "azure.webpubsub.sys.connect";
inline constexpr std::string_view kTypeConnected = "azure.webpubsub.sys.connected";
inline constexpr std::string_view kTypeDisconnected = "azure.webpubsub.sys.disconnected";
inline constexpr std::string_view kTypeGroupJoined = "azure.webpubsub.gp.joined";
inline constexpr std::string_view kTypeGroupLeft = "azure.webpubsub.gp.left";
inline constexpr std::string_view kUserTypePrefix = "azure.webpubsub.user.";
inline constexpr std::string_view kEventConnect = "connect";
inline constexpr std::string_view kEventConnected = "connected";
inline constexpr std::string_view kEventDisconnected = "disconnected";
inline constexpr std::string_view kEventJoined = "joined";
inline constexpr std::string_view kEventLeft = "left";
inline constexpr std::string_view kEventMessage = "message";
inline constexpr std::string_view kEventValidate = "validate";

// ce-type for a system event or a user event named `eventName`.
std::string ceType(EventKind kind, std::string_view eventName);
// ce-eventName ("connect", "connected", "disconnected", "joined", "left", or the user event
// name).
std::string_view ceEventName(EventKind kind, std::string_view userEventName);
// True for connect and user events: the service waits for their answers.
inline bool isBlocking(EventKind kind) {
  return kind == EventKind::kConnect || kind == EventKind::kUser;
}

// True for the group presence events (joined, left).
inline bool isGroupPresence(EventKind kind) {
  return kind == EventKind::kGroupJoined || kind == EventKind::kGroupLeft;
}

}  // namespace wps::cloudevents
