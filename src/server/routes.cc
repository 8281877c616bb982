#include "server/routes.h"

#include "common/strings.h"

namespace wps::server {

void Routes::handle(transport::HttpServerRequest request, Respond respond) {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  transport::HttpServerResponse res;
  if (path == "/api/health") {
    if (request.method == "HEAD" || request.method == "GET") {
      res.status = 200;
    } else {
      res.status = 405;
      res.headers.push_back({"Allow", "GET, HEAD"});
    }
  } else if (path == "/metrics" && request.method == "GET") {
    res.status = 200;
    res.headers.push_back({"Content-Type", "text/plain; version=0.0.4"});
    res.body = engine_.metrics().render();
  } else {
    res.status = 404;
    res.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
    res.body = "Not found.";
  }
  respond(std::move(res));
}

}  // namespace wps::server
