// The HTTP routes that are not client endpoints: /api/health, /metrics, and the REST API.
// Runs on the worker that received the request.
#pragma once

#include "core/engine.h"
#include "transport/http_handler.h"

namespace wps::server {

class Routes : public transport::HttpHandler {
 public:
  explicit Routes(core::Engine& engine) : engine_(engine) {}
  void handle(transport::HttpServerRequest request, Respond respond) override;

 private:
  core::Engine& engine_;
};

}  // namespace wps::server
