// The boundary between the HTTP server (transport) and whatever answers plain HTTP requests:
// the REST API, health and metrics. No Asio here.
#pragma once

#include <functional>
#include <memory>
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

// A response body written over time (Server-Sent Events): after the head, the transport asks
// for chunks one at a time until an empty one, and then closes the connection. Owned (shared)
// by the transport's session and the handler; used on the receiving worker's thread only.
class HttpEventStream {
 public:
  virtual ~HttpEventStream() = default;
  // `deliver` must be called exactly once, on the loop thread (now or later), with the bytes to
  // write next; an empty chunk ends the response.
  virtual void next(std::function<void(std::string)> deliver) = 0;
  // The peer closed the connection (or writing failed): a pending or future next() delivers an
  // empty chunk.
  virtual void cancel() = 0;
};

struct HttpServerResponse {
  int status = 200;
  http::HttpHeaders headers;
  std::string body;
  // Set: the body is streamed from it (no Content-Length, no keep-alive); `body` is unused.
  std::shared_ptr<HttpEventStream> events;
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
