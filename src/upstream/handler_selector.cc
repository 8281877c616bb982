#include "upstream/handler_selector.h"

#include "common/strings.h"

namespace wps::upstream {

bool handlerMatches(const config::EventHandlerSettings& handler, cloudevents::EventKind kind,
                    std::string_view userEventName) {
  using cloudevents::EventKind;
  if (kind == EventKind::kUser) {
    for (const auto& item : handler.userEvents) {
      if (item == "*" || iequals(item, userEventName)) return true;
    }
    return false;
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
