// UpstreamServer: Beast HTTP/1.1 server; each connection is a coroutine on its own strand.
#include "webpubsub/upstream_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/strings.h"

namespace webpubsub::upstream {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Session {
  explicit Session(tcp::socket socket) : stream(std::move(socket)), signal(stream.get_executor()) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  asio::steady_timer signal;  // cancelled when an answer arrives or on stop
  std::optional<HttpResponse> answer;
  bool stopped = false;
};

std::string_view pathOf(std::string_view target) {
  return target.substr(0, target.find('?'));
}

bool underPrefix(std::string_view path, std::string_view prefix) {
  while (prefix.size() > 1 && prefix.back() == '/')
    prefix.remove_suffix(1);
  if (prefix.empty() || prefix == "/") return true;
  if (!wps::istartsWith(path, prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

HttpResponse plain(int status, std::string_view text) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::string(text);
  return r;
}

}  // namespace

class UpstreamServer::Impl : public std::enable_shared_from_this<UpstreamServer::Impl> {
 public:
  Impl(asio::io_context& io, ServerOptions options)
      : io_(io), options_(std::move(options)), acceptor_(asio::make_strand(io)) {}

  Result<void> bind() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return Error{0, "InvalidArgument", "Invalid listen address '" + options_.host + "'."};
    tcp::endpoint ep(address, options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error{0, "BindFailed",
                   "Cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                       ": " + ec.message()};
    }
    port_ = acceptor_.local_endpoint().port();
    return {};
  }

  void start() {
    asio::co_spawn(acceptor_.get_executor(), acceptLoop(shared_from_this()), asio::detached);
  }

  void stop() {
    std::vector<std::shared_ptr<Session>> sessions;
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
      for (auto& [ptr, weak] : sessions_) {
        if (auto s = weak.lock()) sessions.push_back(std::move(s));
      }
    }
    auto self = shared_from_this();
    asio::post(acceptor_.get_executor(), [self] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
    });
    for (auto& s : sessions) {
      asio::post(s->stream.get_executor(), [s] {
        s->stopped = true;
        s->stream.close();
        s->signal.cancel();
      });
    }
  }

  asio::io_context& io_;
  ServerOptions options_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<std::pair<std::string, std::shared_ptr<const EventHandler>>> mounts_;
  struct Route {
    std::string method;
    std::string path;
    RouteHandler handler;
  };
  std::vector<Route> routes_;

 private:
  asio::awaitable<void> acceptLoop(std::shared_ptr<Impl> self) {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        continue;  // e.g. too many open files: keep accepting
      }
      auto session = std::make_shared<Session>(std::move(socket));
      {
        std::lock_guard lock(mutex_);
        if (stopped_) co_return;
        sessions_[session.get()] = session;
      }
      asio::co_spawn(session->stream.get_executor(), serve(self, session), asio::detached);
    }
  }

  // Dispatches one request; `respond` may be called from any thread.
  void dispatch(HttpRequest request, Respond respond) {
    std::string_view path = pathOf(request.target);
    for (const auto& [prefix, handler] : mounts_) {
      if (!underPrefix(path, prefix)) continue;
      // handle() consumes the request only when it takes it; keep a copy for the next matcher.
      if (handler->handle(request, respond)) return;
    }
    bool head = request.method == "HEAD";
    for (const auto& r : routes_) {
      if (r.path != path) continue;
      if (r.method == request.method || (head && r.method == "GET")) {
        r.handler(std::move(request), std::move(respond));
        return;
      }
    }
    respond(plain(404, "Not found."));
  }

  template <class Body>
  asio::awaitable<boost::system::error_code> write(Session& s, HttpResponse& response,
                                                   bool keepAlive) {
    http::response<Body> res;
    res.version(11);
    res.result(static_cast<unsigned>(response.status));
    bool hasType = false;
    for (const auto& [name, value] : response.headers) {
      if (wps::iequals(name, "Content-Length") || wps::iequals(name, "Connection")) continue;
      if (wps::iequals(name, "Content-Type")) hasType = true;
      res.insert(name, value);
    }
    if (!hasType && !response.body.empty()) {
      res.set(http::field::content_type, "application/octet-stream");
    }
    res.keep_alive(keepAlive);
    if constexpr (std::is_same_v<Body, http::string_body>) {
      res.body() = std::move(response.body);
      res.prepare_payload();
    } else {
      res.content_length(response.body.size());  // HEAD: the length of the GET answer
    }
    auto [ec, n] = co_await http::async_write(s.stream, res, kTuple);
    (void)n;
    co_return ec;
  }

  asio::awaitable<void> serve(std::shared_ptr<Impl> self, std::shared_ptr<Session> s) {
    for (;;) {
      if (s->stopped) break;
      http::request_parser<http::string_body> parser;
      parser.body_limit(options_.maxBodyBytes);
      parser.header_limit(64 * 1024);
      s->stream.expires_after(options_.idleTimeout);
      auto [rec, rn] = co_await http::async_read(s->stream, s->buffer, parser, kTuple);
      (void)rn;
      HttpResponse response;
      bool keepAlive = false;
      bool head = false;
      if (rec == http::error::body_limit) {
        response = plain(413, "The request body is too large.");
      } else if (rec) {
        break;  // closed, idle timeout, malformed request
      } else {
        auto& req = parser.get();
        HttpRequest request;
        request.method = std::string(req.method_string());
        request.target = std::string(req.target());
        for (const auto& f : req) {
          request.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        }
        request.body = std::move(req.body());
        keepAlive = req.keep_alive();
        head = req.method() == http::verb::head;
        s->answer.reset();
        s->signal.expires_at(asio::steady_timer::time_point::max());
        std::weak_ptr<Session> weak = s;
        auto executor = s->stream.get_executor();
        dispatch(std::move(request), [weak, executor](HttpResponse r) {
          asio::post(executor, [weak, r = std::move(r)]() mutable {
            auto session = weak.lock();
            if (!session || session->answer) return;
            session->answer = std::move(r);
            session->signal.cancel();
          });
        });
        s->stream.expires_never();
        while (!s->answer && !s->stopped)
          co_await s->signal.async_wait(kTuple);
        if (s->stopped) break;
        response = std::move(*s->answer);
      }
      s->stream.expires_after(options_.idleTimeout);
      boost::system::error_code wec;
      if (head) {
        wec = co_await write<http::empty_body>(*s, response, keepAlive);
      } else {
        wec = co_await write<http::string_body>(*s, response, keepAlive);
      }
      if (wec) break;
      if (!keepAlive) break;
    }
    boost::system::error_code ignored;
    s->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    s->stream.close();
    std::lock_guard lock(mutex_);
    sessions_.erase(s.get());
    (void)self;
  }

  std::mutex mutex_;
  bool stopped_ = false;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
};

Result<std::unique_ptr<UpstreamServer>> UpstreamServer::listen(asio::io_context& io,
                                                               ServerOptions options) {
  auto impl = std::make_shared<Impl>(io, std::move(options));
  auto bound = impl->bind();
  if (!bound) return bound.error();
  return std::unique_ptr<UpstreamServer>(new UpstreamServer(std::move(impl)));
}

UpstreamServer::UpstreamServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

UpstreamServer::~UpstreamServer() {
  stop();
}

void UpstreamServer::mount(std::string pathPrefix, std::shared_ptr<const EventHandler> handler) {
  impl_->mounts_.emplace_back(std::move(pathPrefix), std::move(handler));
}

void UpstreamServer::route(std::string method, std::string path, RouteHandler handler) {
  impl_->routes_.push_back({std::move(method), std::move(path), std::move(handler)});
}

uint16_t UpstreamServer::port() const {
  return impl_->port_;
}

std::string UpstreamServer::url() const {
  std::string host = impl_->options_.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port_);
}

void UpstreamServer::start() {
  impl_->start();
}

void UpstreamServer::stop() {
  impl_->stop();
}

}  // namespace webpubsub::upstream
