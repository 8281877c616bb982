#include "api/rest_trace.h"

#include <chrono>
#include <string>
#include <utility>

#include "auth/audience.h"
#include "trace/redact.h"

namespace wps::api {
namespace {

// The hub of "/api/hubs/{hub}/…", "" for other paths.
std::string hubOf(std::string_view path) {
  auto segments = auth::decodePathSegments(path);
  if (!segments || segments->size() < 3 || (*segments)[0] != "api" || (*segments)[1] != "hubs")
    return std::string();
  return (*segments)[2];
}

}  // namespace

void traceRestCall(trace::Tracer& tracer, const RestRequest& request, std::string_view body,
                   const RestOutcome& outcome) {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  trace::Event e;
  e.category = trace::Category::kRest;
  e.what = std::string(metrics::labelOf(outcome.operation));
  e.hub = hubOf(path);
  e.add("request", request.method + " " + std::string(path));
  e.add("status", std::to_string(outcome.status));
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(outcome.latency).count();
  e.add("latency", std::to_string(us / 1000) + "." + std::to_string(us % 1000 / 100) + " ms");
  if (tracer.includePayloads() && !body.empty()) e.payload = std::string(body);
  tracer.publish(std::move(e));
}

}  // namespace wps::api
