// The boundary between the HTTP server (transport) and whatever answers plain HTTP requests:
// the REST API, health and metrics. No Asio here.
#pragma once

#include <functional>
#include <string>

#include "http/message.h"

namespace wps::transport {

struct HttpServerRequest {
  std::string method;
  std::string target;  // raw request target: path and query, undecoded
  http::HttpHeaders headers;
  std::string body;
  std::string host;  // Host header
  bool secure = false;
  size_t worker = 0;  // index of the worker that received it
};

struct HttpServerResponse {
  int status = 200;
  http::HttpHeaders headers;
  std::string body;
};

class HttpHandler {
 public:
  using Respond = std::function<void(HttpServerResponse)>;
  virtual ~HttpHandler() = default;
  // Called on the receiving worker's loop thread. `respond` must be called exactly once, on
  // that same loop thread (asynchronously is fine).
  virtual void handle(HttpServerRequest request, Respond respond) = 0;
};

}  // namespace wps::transport
