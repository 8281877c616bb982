#include "core/session_trace.h"

#include <string>
#include <utility>

namespace wps::core {
namespace {

trace::Event eventOf(trace::Category category, std::string_view what, const SessionIdentity& id) {
  trace::Event e;
  e.category = category;
  e.what = std::string(what);
  e.hub = id.hubKey;
  e.connectionId = id.connectionId;
  e.userId = id.userId.value_or(std::string());
  return e;
}

std::string protocolOf(const SessionIdentity& id) {
  return id.subprotocol.empty() ? std::string("(simple WebSocket)") : id.subprotocol;
}

}  // namespace

void traceConnectivity(trace::Tracer& tracer, const SessionIdentity& id, std::string_view what,
                       std::string_view reason) {
  if (!tracer.active()) return;
  trace::Event e = eventOf(trace::Category::kConnectivity, what, id);
  e.add("protocol", protocolOf(id));
  if (!reason.empty()) e.add("reason", std::string(reason));
  tracer.publish(std::move(e));
}

void traceRefused(trace::Tracer& tracer, const RefusalTrace& r) {
  if (!tracer.active()) return;
  trace::Event e;
  e.category = trace::Category::kConnectivity;
  e.what = "refused";
  e.hub = std::string(r.hub);
  e.connectionId = std::string(r.connectionId);
  e.userId = std::string(r.userId);
  e.add("status", std::to_string(r.status));
  e.add("reason", std::string(r.reason));
  tracer.publish(std::move(e));
}

void traceMessage(trace::Tracer& tracer, const SessionIdentity& id, const MessageTrace& m) {
  if (!tracer.active()) return;
  trace::Event e = eventOf(trace::Category::kMessaging, m.kind, id);
  e.add("to", std::string(m.to));
  e.add(m.to == "group" ? "group" : "event", std::string(m.target));
  if (!m.dataType.empty()) e.add("dataType", std::string(m.dataType));
  e.add("bytes", std::to_string(m.payload.size()));
  if (tracer.includePayloads()) e.payload = std::string(m.payload);
  tracer.publish(std::move(e));
}

}  // namespace wps::core
