#include "delivery/pending_event.h"

namespace wps::delivery {

size_t PendingEvent::byteSize() const {
  size_t n = hub.size() + connectionId.size() + (userId ? userId->size() : 0) + subprotocol.size() +
             connectionState.size() + origin.size() + ceId.size() + contentType.size() +
             body.size();
  for (const auto& h : extraHeaders)
    n += h.name.size() + h.value.size();
  return n;
}

}  // namespace wps::delivery
