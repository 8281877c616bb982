#include "upstream/handler_selector.h"

#include "common/strings.h"

namespace wps::upstream {
namespace {

bool presenceMatches(const config::GroupPresenceSettings& presence, bool joined,
                     std::string_view group) {
  if (!(joined ? presence.joined : presence.left)) return false;
  if (presence.groupFilters.empty()) return true;
  for (const auto& pattern : presence.groupFilters) {
    if (pattern.matches(group)) return true;
  }
  return false;
}

}  // namespace

bool handlerMatches(const config::EventHandlerSettings& handler, cloudevents::EventKind kind,
                    std::string_view userEventName) {
  using cloudevents::EventKind;
  if (kind == EventKind::kUser) {
    for (const auto& item : handler.userEvents) {
      if (item == "*" || iequals(item, userEventName)) return true;
    }
    return false;
  }
  if (cloudevents::isGroupPresence(kind)) {
    return presenceMatches(handler.groupPresence, kind == EventKind::kGroupJoined, userEventName);
  }
  std::string_view name = cloudevents::ceEventName(kind, {});
  for (const auto& e : handler.systemEvents) {
    if (iequals(e, name)) return true;
  }
  return false;
}

const config::EventHandlerSettings* selectHandler(const config::HubSettings& hub,
                                                  cloudevents::EventKind kind,
                                                  std::string_view userEventName) {
  for (const auto& h : hub.eventHandlers) {
    if (handlerMatches(h, kind, userEventName)) return &h;
  }
  return nullptr;
}

}  // namespace wps::upstream
