// The live-trace events of a client connection (trace/tracer.h): connectivity (opened, closed
// with reason and protocol) and messaging (a client message and where it went). Each function
// is cheap to call: it returns at once, after one relaxed atomic load, while nobody watches.
// Called on the session's worker thread.
#pragma once

#include <string_view>

#include "core/session.h"
#include "protocol/payload.h"
#include "trace/tracer.h"

namespace wps::core {

// `what`: "opened", "closed" (the session ended), "detached" (a reliable client's connection
// dropped; the session waits for it), "recovered". `reason` is shown when not empty.
void traceConnectivity(trace::Tracer& tracer, const SessionIdentity& id, std::string_view what,
                       std::string_view reason);

// A handshake the server refused (no session): `hub` as requested, the connection id and user
// when known (the connect event's refusal), the HTTP status and the short reason answered.
struct RefusalTrace {
  std::string_view hub;
  std::string_view connectionId;
  std::string_view userId;
  int status = 0;
  std::string_view reason;
};
void traceRefused(trace::Tracer& tracer, const RefusalTrace& r);

// A client message: `kind` as the client sent it ("sendToGroup", "event", "message"), `to`
// where it went ("group", "upstream"), `target` the group or event name.
struct MessageTrace {
  std::string_view kind;
  std::string_view to;
  std::string_view target;
  std::string_view dataType;
  std::string_view payload;
};
void traceMessage(trace::Tracer& tracer, const SessionIdentity& id, const MessageTrace& m);

}  // namespace wps::core
