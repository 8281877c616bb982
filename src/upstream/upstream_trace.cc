#include "upstream/upstream_trace.h"

#include <chrono>
#include <string>

#include "trace/redact.h"

namespace wps::upstream {
namespace {

std::string header(const http::HttpRequest& request, std::string_view name) {
  auto v = http::findHeader(request.headers, name);
  return v ? std::string(*v) : std::string();
}

std::string millis(Duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return std::to_string(us / 1000) + "." + std::to_string(us % 1000 / 100) + " ms";
}

}  // namespace

void traceAttempt(trace::Tracer& tracer, const http::HttpRequest& request,
                  const StatusOr<http::HttpResponse>& result, const AttemptTrace& attempt) {
  trace::Event e;
  e.category = trace::Category::kUpstream;
  e.what = header(request, "ce-type");
  if (e.what.empty()) e.what = request.method + " (abuse protection validation)";
  e.hub = header(request, "ce-hub");
  e.connectionId = header(request, "ce-connectionId");
  e.userId = header(request, "ce-userId");
  std::string name = header(request, "ce-eventName");
  if (!name.empty()) e.add("eventName", std::move(name));
  e.add("handler", trace::displayUrl(request.url));
  e.add("status", result ? std::to_string(result->status) : result.status().message());
  e.add("latency", millis(attempt.latency));
  e.add("attempt", std::to_string(attempt.attempt));
  e.add("retriesLeft", std::to_string(attempt.retriesLeft));
  if (attempt.willRetry) e.add("retry", "scheduled");
  if (tracer.includePayloads()) e.payload = request.body;
  tracer.publish(std::move(e));
}

}  // namespace wps::upstream
