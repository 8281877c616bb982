#include "cloudevents/event_types.h"

namespace wps::cloudevents {

std::string ceType(EventKind kind, std::string_view eventName) {
  switch (kind) {
    case EventKind::kConnect:
      return std::string(kTypeConnect);
    case EventKind::kConnected:
      return std::string(kTypeConnected);
    case EventKind::kDisconnected:
      return std::string(kTypeDisconnected);
    case EventKind::kGroupJoined:
      return std::string(kTypeGroupJoined);
    case EventKind::kGroupLeft:
      return std::string(kTypeGroupLeft);
    case EventKind::kUser:
      break;
  }
  std::string s(kUserTypePrefix);
  s += eventName;
  return s;
}

std::string_view ceEventName(EventKind kind, std::string_view userEventName) {
  switch (kind) {
    case EventKind::kConnect:
      return kEventConnect;
    case EventKind::kConnected:
      return kEventConnected;
    case EventKind::kDisconnected:
      return kEventDisconnected;
    case EventKind::kGroupJoined:
      return kEventJoined;
    case EventKind::kGroupLeft:
      return kEventLeft;
    case EventKind::kUser:
      break;
  }
  return userEventName;
}

}  // namespace wps::cloudevents
