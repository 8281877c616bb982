#include "server/routes.h"

#include "common/strings.h"

namespace wps::server {

void Routes::handle(transport::HttpServerRequest request, Respond respond) {
  if (AdminRoutes::handles(std::string_view(request.target).substr(0, request.target.find('?')))) {
    admin_.handle(request, std::move(respond));
    return;
  }
  if (api::RestApi::handles(request.target)) {
    api::RestRequest r{std::move(request.method),
                       std::move(request.target),
                       std::move(request.headers),
                       std::move(request.body),
                       std::move(request.host),
                       request.secure,
                       request.worker};
    rest_.handle(r, [respond = std::move(respond)](http::HttpResponse res) {
      respond(
          transport::HttpServerResponse{res.status, std::move(res.headers), std::move(res.body)});
    });
    return;
  }
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  transport::HttpServerResponse res;
  if (path == "/metrics" && request.method == "GET") {
    res.status = 200;
    res.headers.push_back({"Content-Type", "text/plain; version=0.0.4"});
    res.body = engine_.metrics().render();
  } else if (TraceRoutes::handles(path)) {
    res = trace_.handle(request, path);
  } else {
    res.status = 404;
    res.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
    res.body = "Not found.";
  }
  respond(std::move(res));
}

}  // namespace wps::server
