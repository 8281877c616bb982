// The live trace's HTTP routes (docs/operations.md, Live trace): GET /trace serves the page,
// GET /trace/events the Server-Sent Events stream of one viewer. Both need
// ?access_token=<token signed with an access key, audience <endpoint>/trace> (401 otherwise).
// Runs on the worker that received the request.
#pragma once

#include <string_view>

#include "core/engine.h"
#include "transport/http_handler.h"

namespace wps::server {

class TraceRoutes {
 public:
  explicit TraceRoutes(core::Engine& engine) : engine_(engine) {}

  // True for the paths answered here: "/trace", "/trace/" and "/trace/events".
  static bool handles(std::string_view path);

  // The answer to `request` (whose path handles() accepted): 405 for methods other than GET
  // and HEAD, 401 without a valid token, else the page or an event stream.
  transport::HttpServerResponse handle(const transport::HttpServerRequest& request,
                                       std::string_view path);

 private:
  core::Engine& engine_;
};

}  // namespace wps::server
