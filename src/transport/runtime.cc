#include "transport/runtime.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "common/log.h"
#include "common/strings.h"
#include "core/engine.h"
#include "core/shard.h"
#include "protocol/names.h"
#include "protocol/websocket/handshake.h"
#include "transport/http_upstream_client.h"
#include "transport/worker_io.h"
#include "transport/ws_connection.h"

namespace wps::transport {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Waits for a callback-style result inside a coroutine (same thread).
template <class T>
struct Rendezvous {
  explicit Rendezvous(asio::io_context& io) : timer(io, asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
  std::optional<T> value;
  void set(T v) {
    value = std::move(v);
    timer.cancel();
  }
  asio::awaitable<void> wait() {
    if (!value) co_await timer.async_wait(kTuple);
  }
};

struct ParsedTarget {
  std::string path;   // raw (undecoded) path
  std::string query;  // raw query (without '?')
};

ParsedTarget splitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {std::string(target), {}};
  return {std::string(target.substr(0, q)), std::string(target.substr(q + 1))};
}

// Query parameters grouped by name, in first-appearance order (malformed escapes: empty).
upstream::MultiMap parseQuery(std::string_view query) {
  upstream::MultiMap out;
  for (auto& [key, value] :
       parseQueryString(query).value_or(std::vector<std::pair<std::string, std::string>>{})) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == key; });
    if (it == out.end()) {
      out.push_back({key, {value}});
    } else {
      it->second.push_back(value);
    }
  }
  return out;
}

// The hub of a client endpoint path, or nullopt when `path` is not a client endpoint.
// "/client/hubs/{hub}[/]" or "/client[/]?hub={hub}".
std::optional<std::string> clientHub(const ParsedTarget& t, const upstream::MultiMap& query,
                                     bool* isClientPath) {
  std::string_view path = t.path;
  *isClientPath = false;
  if (path == "/client" || path == "/client/") {
    *isClientPath = true;
    for (const auto& [k, v] : query) {
      if (k == "hub" && !v.empty()) return v.back();
    }
    return std::string();
  }
  static constexpr std::string_view kPrefix = "/client/hubs/";
  if (!startsWith(path, kPrefix)) return std::nullopt;
  *isClientPath = true;
  std::string_view hub = path.substr(kPrefix.size());
  if (!hub.empty() && hub.back() == '/') hub.remove_suffix(1);
  if (hub.find('/') != std::string_view::npos) return std::string();
  auto decoded = percentDecode(hub, false);
  return decoded ? *decoded : std::string();
}

std::string statusLine(int status) {
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
}

class RuntimeImpl : public Runtime {
 public:
  explicit RuntimeImpl(const config::ServerSettings& settings) : settings_(settings) {
    size_t n =
        settings.workers ? settings.workers : std::max(1u, std::thread::hardware_concurrency());
    HttpClientOptions http;
    http.maxConnectionsPerOrigin = settings.upstream.maxConnectionsPerOrigin;
    http.maxResponseBytes = settings.upstream.maxResponseBytes;
    for (size_t i = 0; i < n; ++i) {
      auto w = std::make_unique<WorkerIo>(i);
      w->upstream = makeHttpUpstreamClient(w->io, http);
      workers_.push_back(std::move(w));
    }
    acceptorIo_ = &workers_[0]->io;
  }

  ~RuntimeImpl() override { stop(); }

  size_t workerCount() const override { return workers_.size(); }
  EventLoop& loop(size_t i) override { return workers_[i]->loop; }
  upstream::UpstreamClient& upstreamClient(size_t i) override { return *workers_[i]->upstream; }

  StatusOr<uint16_t> listen(const std::string& host, uint16_t port) override {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) {
      tcp::resolver resolver(*acceptorIo_);
      auto results = resolver.resolve(host, std::to_string(port), ec);
      if (ec || results.empty()) {
        return Status(StatusCode::kUnavailable, "cannot resolve listen host " + host);
      }
      addr = results.begin()->endpoint().address();
    }
    tcp::endpoint ep(addr, port);
    acceptor_ = std::make_unique<tcp::acceptor>(*acceptorIo_);
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(4096, ec);
    if (ec) {
      acceptor_.reset();
      return Status(StatusCode::kUnavailable,
                    "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
    }
    return acceptor_->local_endpoint().port();
  }

  void attach(core::Engine& engine, HttpHandler& handler) override {
    engine_ = &engine;
    handler_ = &handler;
    for (auto& w : workers_) {
      w->engine = &engine;
      w->handler = &handler;
    }
  }

  void start() override {
    for (auto& w : workers_) {
      WorkerIo* wp = w.get();
      wp->startTicker();
      wp->thread = std::thread([wp] {
        wp->loop.bindToCurrentThread();
        auto guard = asio::make_work_guard(wp->io);
        wp->io.run();
      });
    }
    if (acceptor_) asio::post(*acceptorIo_, [this] { accept(); });
  }

  void stopAccepting() override {
    asio::post(*acceptorIo_, [this] {
      accepting_ = false;
      if (acceptor_) {
        boost::system::error_code ec;
        acceptor_->close(ec);
      }
    });
  }

  size_t openWebSockets() override {
    size_t total = 0;
    for (auto& w : workers_)
      total += w->connectionCount();
    return total;
  }

  void stop() override {
    std::call_once(stopOnce_, [this] {
      for (auto& w : workers_)
        w->io.stop();
      for (auto& w : workers_) {
        if (w->thread.joinable()) w->thread.join();
      }
    });
  }

 private:
  void accept() {
    if (!accepting_ || !acceptor_) return;
    WorkerIo& target = *workers_[nextWorker_++ % workers_.size()];
    acceptor_->async_accept(
        target.io, [this, &target](const boost::system::error_code& ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || !accepting_) return;
          if (!ec) {
            asio::co_spawn(target.io, httpSession(target, std::move(socket)), asio::detached);
          } else {
            WPS_LOG_WARN("accept failed: {}", ec.message());
          }
          accept();
        });
  }

  WsLimits wsLimits() const {
    WsLimits l;
    l.maxMessageBytes = settings_.limits.maxMessageBytes;
    l.maxQueuedBytes = settings_.limits.outboundQueueBytes;
    l.maxQueuedFrames = settings_.limits.outboundQueueMessages;
    return l;
  }

  asio::awaitable<void> httpSession(WorkerIo& w, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    bool first = true;
    while (accepting_) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(64 * 1024);
      parser.body_limit(settings_.limits.maxRestBodyBytes);
      stream.expires_after(first ? settings_.limits.handshakeTimeout
                                 : settings_.limits.httpIdleTimeout);
      first = false;
      auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
      if (hec == http::error::body_limit) {  // Content-Length above the limit
        co_await writeSimple(stream, 413, "The request body is too large.", false);
        co_return;
      }
      if (hec) co_return;
      auto& head = parser.get();
      if (auto len = parser.content_length(); len && *len > settings_.limits.maxRestBodyBytes) {
        co_await writeSimple(stream, 413, "The request body is too large.", false);
        co_return;
      }
      if (iequals(head[http::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [cec, cn] = co_await asio::async_write(stream, asio::buffer(kContinue), kTuple);
        if (cec) co_return;
      }
      if (!parser.is_done()) {
        auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kTuple);
        if (bec == http::error::body_limit) {
          co_await writeSimple(stream, 413, "The request body is too large.", false);
          co_return;
        }
        if (bec) co_return;
      }
      auto req = parser.release();
      stream.expires_never();
      ParsedTarget target = splitTarget(req.target());
      upstream::MultiMap query = parseQuery(target.query);
      bool isClientPath = false;
      auto hub = clientHub(target, query, &isClientPath);
      if (isClientPath) {
        bool upgrade = req.method() == http::verb::get &&
                       ws::headerHasToken(req[http::field::upgrade], "websocket") &&
                       ws::headerHasToken(req[http::field::connection], "upgrade");
        if (!upgrade) {
          co_await writeSimple(stream, 400, "The client endpoint needs a WebSocket upgrade.",
                               false);
          co_return;
        }
        co_await upgradeSession(w, stream, buffer, std::move(req), std::move(*hub),
                                std::move(query));
        co_return;
      }
      bool keepAlive = req.keep_alive();
      HttpServerRequest hreq;
      hreq.method = std::string(req.method_string());
      hreq.target = std::string(req.target());
      for (const auto& f : req) {
        hreq.headers.push_back({std::string(f.name_string()), std::string(f.value())});
      }
      hreq.host = std::string(req[http::field::host]);
      hreq.body = std::move(req.body());
      hreq.worker = w.index;
      auto rv = std::make_shared<Rendezvous<HttpServerResponse>>(w.io);
      handler_->handle(std::move(hreq), [rv](HttpServerResponse r) { rv->set(std::move(r)); });
      co_await rv->wait();
      http::response<http::string_body> res;
      res.version(11);
      res.result(static_cast<unsigned>(rv->value->status));
      for (const auto& h : rv->value->headers)
        res.insert(h.name, h.value);
      bool head_request = req.method() == http::verb::head;
      res.body() = std::move(rv->value->body);
      res.keep_alive(keepAlive && accepting_);
      if (head_request) {
        res.content_length(res.body().size());
        res.body().clear();
        http::response_serializer<http::string_body> sr(res);
        sr.split(true);
        auto [wec, wn] = co_await http::async_write_header(stream, sr, kTuple);
        if (wec) co_return;
      } else {
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
        if (wec) co_return;
      }
      if (!res.keep_alive()) break;
    }
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  static asio::awaitable<void> writeSimple(
      beast::tcp_stream& stream, int status, std::string_view body, bool keepAlive,
      std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::string out = statusLine(status);
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    for (const auto& [k, v] : extra)
      out += k + ": " + v + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    out += body;
    co_await asio::async_write(stream, asio::buffer(out), kTuple);
    co_await lingeringClose(stream);
  }

  // Half-closes and discards what the peer still sends (e.g. the rest of a refused body) for a
  // short while, so that it reads our answer instead of a connection reset.
  static asio::awaitable<void> lingeringClose(beast::tcp_stream& stream) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(2));
    char sink[16384];
    size_t total = 0;
    while (total < 8 * 1024 * 1024) {
      auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
      if (rec) break;
      total += n;
    }
  }

  static std::string switchingProtocols(std::string_view key, std::string_view subprotocol) {
    std::string out =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: ";
    out += ws::computeAcceptKey(key);
    out += "\r\n";
    if (!subprotocol.empty()) {
      out += "Sec-WebSocket-Protocol: ";
      out += subprotocol;
      out += "\r\n";
    }
    out += "\r\n";
    return out;
  }

  asio::awaitable<void> upgradeSession(WorkerIo& w, beast::tcp_stream& stream,
                                       beast::flat_buffer& buffer,
                                       http::request<http::string_body> req, std::string hub,
                                       upstream::MultiMap query) {
    std::string key(req[http::field::sec_websocket_key]);
    if (req[http::field::sec_websocket_version] != "13") {
      std::vector<std::pair<std::string, std::string>> extra;
      extra.emplace_back(std::string("Sec-WebSocket-Version"), std::string("13"));
      co_await writeSimple(stream, 426, "Only WebSocket version 13 is supported.", false,
                           std::move(extra));
      co_return;
    }
    if (!ws::isValidClientKey(key)) {
      co_await writeSimple(stream, 400, "Invalid Sec-WebSocket-Key.", false);
      co_return;
    }
    core::HandshakeRequest hr;
    hr.hub = std::move(hub);
    hr.query = std::move(query);
    std::vector<std::string_view> protocolValues;
    for (const auto& f : req) {
      hr.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    }
    for (const auto& f : req) {
      if (f.name() == http::field::sec_websocket_protocol) protocolValues.push_back(f.value());
    }
    hr.subprotocols = ws::parseSubprotocols(protocolValues);
    hr.host = std::string(req[http::field::host]);

    auto rv = std::make_shared<Rendezvous<core::HandshakeResult>>(w.io);
    auto pending = engine_->handshake(w.index).handle(
        std::move(hr), [rv](core::HandshakeResult r) { rv->set(std::move(r)); });
    co_await rv->wait();
    pending.reset();
    core::HandshakeResult result = std::move(*rv->value);
    using Kind = core::HandshakeResult::Kind;
    if (result.kind == Kind::kReject) {
      co_await writeSimple(stream, result.status, result.body, false);
      co_return;
    }
    std::string response = switchingProtocols(key, result.subprotocol);
    std::string leftover(static_cast<const char*>(buffer.data().data()), buffer.size());
    if (result.kind == Kind::kRecover && result.worker != w.index) {
      // The session lives on another worker: move the socket there.
      moveToWorker(stream.release_socket(), *workers_[result.worker], std::move(response),
                   std::move(leftover), result.connectionId);
      co_return;
    }
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(response), kTuple);
    if (ec) {
      if (result.kind == Kind::kAccept) result.session->abandon();
      co_return;
    }
    tcp::socket socket = stream.release_socket();
    if (result.kind == Kind::kAccept) {
      auto conn = std::make_shared<WsConnection>(w, std::move(socket), wsLimits(),
                                                 result.session->keepAliveInterval());
      conn->attachSession(result.session);
      result.session->start(conn.get());
      conn->start(result.session, std::move(leftover));
    } else if (result.kind == Kind::kRecover) {
      attachRecovered(w, std::move(socket), std::move(leftover), result.connectionId);
    } else {
      auto conn = std::make_shared<WsConnection>(w, std::move(socket), wsLimits(),
                                                 std::chrono::seconds(20));
      conn->refuse(errors::kRecoveryFailed.code, errors::kRecoveryFailed.reason);
    }
  }

  // Hands a socket to another worker (recovery of a session that lives there). Not a coroutine:
  // GCC 12 mishandles init-captures of lambdas inside coroutines.
  void moveToWorker(tcp::socket socket, WorkerIo& owner, std::string response, std::string leftover,
                    std::string connectionId) {
    boost::system::error_code ec;
    auto protocol = socket.local_endpoint(ec).protocol();
    if (ec) return;
    int fd = socket.release(ec);
    if (ec) return;
    asio::post(owner.io, [this, &owner, fd, protocol, response = std::move(response),
                          leftover = std::move(leftover), id = std::move(connectionId)]() mutable {
      tcp::socket moved(owner.io);
      boost::system::error_code aec;
      moved.assign(protocol, fd, aec);
      if (aec) {
        ::close(fd);
        return;
      }
      asio::co_spawn(owner.io,
                     finishRecovery(owner, std::move(moved), std::move(response),
                                    std::move(leftover), std::move(id)),
                     asio::detached);
    });
  }

  asio::awaitable<void> finishRecovery(WorkerIo& w, tcp::socket socket, std::string response,
                                       std::string leftover, std::string connectionId) {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(response), kTuple);
    if (ec) co_return;
    attachRecovered(w, std::move(socket), std::move(leftover), connectionId);
  }

  void attachRecovered(WorkerIo& w, tcp::socket socket, std::string leftover,
                       const std::string& connectionId) {
    auto session = engine_->shard(w.index).find(connectionId);
    std::chrono::seconds keepAlive =
        session ? session->keepAliveInterval() : std::chrono::seconds(20);
    auto conn = std::make_shared<WsConnection>(w, std::move(socket), wsLimits(), keepAlive);
    if (!session || !session->resume(conn.get())) {
      conn->refuse(errors::kRecoveryFailed.code, errors::kRecoveryFailed.reason);
      return;
    }
    conn->attachSession(session);
    conn->start(session, std::move(leftover));
  }

  const config::ServerSettings& settings_;
  std::vector<std::unique_ptr<WorkerIo>> workers_;
  asio::io_context* acceptorIo_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::atomic<bool> accepting_{true};
  size_t nextWorker_ = 0;
  core::Engine* engine_ = nullptr;
  HttpHandler* handler_ = nullptr;
  std::once_flag stopOnce_;
};

}  // namespace

std::unique_ptr<Runtime> Runtime::create(const config::ServerSettings& settings) {
  return std::make_unique<RuntimeImpl>(settings);
}

}  // namespace wps::transport
