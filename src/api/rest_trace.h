// The live-trace event of one REST call (trace/tracer.h, category rest): operation, method and
// path (without the query, which may hold a token), hub, status and latency. Called on the
// receiving worker when the answer is sent, only while the tracer is active.
#pragma once

#include "api/rest_request.h"
#include "common/time.h"
#include "metrics/histogram.h"
#include "trace/tracer.h"

namespace wps::api {

struct RestOutcome {
  metrics::RestOperation operation;
  int status;
  Duration latency;
};

// `body`: the request's body (its payload, shown only with trace.include_payloads).
void traceRestCall(trace::Tracer& tracer, const RestRequest& request, std::string_view body,
                   const RestOutcome& outcome);

}  // namespace wps::api
