// webpubsub::upstream::UpstreamServer: a ready HTTP/1.1 server (Boost.Beast, keep-alive) that
// mounts EventHandlers at path prefixes and serves extra routes (static pages, /negotiate...).
// It runs on a boost::asio::io_context you own: create it, call start(), run io.run() on one or
// more threads. Requests are handled one at a time per connection, connections concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "webpubsub/result.h"
#include "webpubsub/upstream.h"

namespace boost::asio {
class io_context;
}

namespace webpubsub::upstream {

struct ServerOptions {
  std::string host = "127.0.0.1";          // address to bind ("0.0.0.0", "::1", ...)
  uint16_t port = 0;                       // 0: any free port (see UpstreamServer::port())
  size_t maxBodyBytes = 16 * 1024 * 1024;  // larger requests are answered 413
  std::chrono::seconds idleTimeout{60};    // idle keep-alive connections are closed
};

// A route's handler: answer by calling `respond` exactly once (now or later, from any thread).
using Respond = std::function<void(HttpResponse)>;
using RouteHandler = std::function<void(HttpRequest request, Respond respond)>;

class UpstreamServer {
 public:
  // Binds and listens on options.host:options.port (nothing is accepted before start()).
  // Errors: Error{0, "InvalidArgument"} for a bad address, Error{0, "BindFailed"} when the
  // address cannot be bound. The io_context must outlive the server.
  static Result<std::unique_ptr<UpstreamServer>> listen(boost::asio::io_context& io,
                                                        ServerOptions options = {});
  UpstreamServer(const UpstreamServer&) = delete;
  UpstreamServer& operator=(const UpstreamServer&) = delete;
  // Stops (see stop()).
  ~UpstreamServer();

  // Requests whose path is `pathPrefix` or starts with `pathPrefix` + "/" (ASCII
  // case-insensitive, like @azure/web-pubsub-express) are offered to `handler` first; when it
  // does not take them (EventHandler::handle returned false) matching continues with the next
  // mount and then the routes. Call before start(); not thread-safe with start().
  void mount(std::string pathPrefix, std::shared_ptr<const EventHandler> handler);
  // Requests with `method` ("GET" also answers HEAD) and exactly `path` (query ignored) go to
  // `handler`. Unmatched requests get 404. Call before start().
  void route(std::string method, std::string path, RouteHandler handler);

  // The bound port (the real one when ServerOptions::port was 0).
  uint16_t port() const;
  // "http://host:port".
  std::string url() const;

  // Starts accepting on the io_context. Call once.
  void start();
  // Closes the listener and every connection (answers in progress are dropped). Thread-safe,
  // idempotent. io.run() returns once nothing else is left on the io_context.
  void stop();

 private:
  class Impl;
  explicit UpstreamServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace webpubsub::upstream
