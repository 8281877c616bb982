// The live-trace event of one upstream request attempt (trace/tracer.h, category upstream):
// event type, handler (URL without its query), status or error, latency, attempt number and
// whether a retry follows. Identity (hub, connection, user) comes from the request's ce-*
// headers. Called on the sending loop's thread, only while the tracer is active.
#pragma once

#include <cstddef>

#include "common/status.h"
#include "common/time.h"
#include "http/message.h"
#include "trace/tracer.h"

namespace wps::upstream {

struct AttemptTrace {
  Duration latency{};
  size_t attempt = 1;      // 1 for the first
  size_t retriesLeft = 0;  // configured retries not used yet
  bool willRetry = false;  // another attempt is scheduled
};

void traceAttempt(trace::Tracer& tracer, const http::HttpRequest& request,
                  const StatusOr<http::HttpResponse>& result, const AttemptTrace& attempt);

}  // namespace wps::upstream
