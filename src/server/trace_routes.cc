#include "server/trace_routes.h"

#include <optional>
#include <string>

#include "common/strings.h"
#include "core/trace_token.h"
#include "server/trace_page.h"
#include "server/trace_viewer.h"

namespace wps::server {
namespace {

constexpr std::string_view kEventsPath = "/trace/events";

// The decoded access_token query parameter (the last one), or "".
std::string accessTokenOf(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::string();
  auto params = parseQueryString(target.substr(q + 1));
  std::string token;
  if (!params) return token;
  for (auto& [name, value] : *params) {
    if (name == "access_token") token = std::move(value);
  }
  return token;
}

transport::HttpServerResponse plain(int status, std::string body) {
  transport::HttpServerResponse res;
  res.status = status;
  res.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  res.headers.push_back({"Cache-Control", "no-store"});
  res.body = std::move(body);
  return res;
}

}  // namespace

bool TraceRoutes::handles(std::string_view path) {
  return path == core::kTracePath || path == "/trace/" || path == kEventsPath;
}

transport::HttpServerResponse TraceRoutes::handle(const transport::HttpServerRequest& request,
                                                  std::string_view path) {
  bool events = path == kEventsPath;
  if (request.method != "GET" && (request.method != "HEAD" || events)) {
    auto res = plain(405, "Method not allowed.");
    res.headers.push_back({"Allow", events ? "GET" : "GET, HEAD"});
    return res;
  }
  size_t worker = request.worker % engine_.workerCount();
  const config::ServerSettings& settings = engine_.worker(worker).settings();
  Status access = core::verifyTraceToken(settings, accessTokenOf(request.target), WallClock::now(),
                                         request.host);
  if (!access) {
    return plain(401,
                 "The live trace needs ?access_token= with a token for this endpoint: "
                 "run `webpubsubd token --trace`.");
  }
  transport::HttpServerResponse res;
  res.headers.push_back({"Cache-Control", "no-store"});
  res.headers.push_back({"Referrer-Policy", "no-referrer"});
  if (!events) {
    res.headers.push_back({"Content-Type", "text/html; charset=utf-8"});
    res.headers.push_back({"Content-Security-Policy",
                           "default-src 'none'; script-src 'unsafe-inline'; "
                           "style-src 'unsafe-inline'; connect-src 'self'"});
    res.body = std::string(tracePageHtml());
    return res;
  }
  res.headers.push_back({"Content-Type", "text/event-stream"});
  res.events = TraceViewer::attach(engine_.tracer(), engine_.worker(worker).loop,
                                   settings.trace.viewerQueueEvents);
  return res;
}

}  // namespace wps::server
