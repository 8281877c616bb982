// The HTTP routes that are not client endpoints: the REST API (/api/..., health included),
// /metrics, the live trace (/trace) and the admin reload (/api/admin/reload). Runs on the
// worker that received the request.
#pragma once

#include "api/rest_api.h"
#include "core/engine.h"
#include "server/admin_routes.h"
#include "server/trace_routes.h"
#include "transport/http_handler.h"

namespace wps::server {

class Routes : public transport::HttpHandler {
 public:
  // `engine` and `reloader` must outlive the routes.
  Routes(core::Engine& engine, Reloader& reloader)
      : engine_(engine), rest_(engine), trace_(engine), admin_(engine, reloader) {}
  void handle(transport::HttpServerRequest request, Respond respond) override;

 private:
  core::Engine& engine_;
  api::RestApi rest_;
  TraceRoutes trace_;
  AdminRoutes admin_;
};

}  // namespace wps::server
