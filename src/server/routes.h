// The HTTP routes that are not client endpoints: the REST API (/api/..., health included),
// /metrics and the live trace (/trace). Runs on the worker that received the request.
#pragma once

#include "api/rest_api.h"
#include "core/engine.h"
#include "server/trace_routes.h"
#include "transport/http_handler.h"

namespace wps::server {

class Routes : public transport::HttpHandler {
 public:
  explicit Routes(core::Engine& engine) : engine_(engine), rest_(engine), trace_(engine) {}
  void handle(transport::HttpServerRequest request, Respond respond) override;

 private:
  core::Engine& engine_;
  api::RestApi rest_;
  TraceRoutes trace_;
};

}  // namespace wps::server
