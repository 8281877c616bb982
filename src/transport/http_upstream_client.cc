#include "transport/http_upstream_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <deque>
#include <list>
#include <optional>
#include <unordered_map>

#include "cloudevents/url_template.h"
#include "common/log.h"
#include "common/strings.h"

namespace wps::transport {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using cloudevents::HttpRequest;
using cloudevents::HttpResponse;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// One pooled connection: plain TCP or TLS.
struct Connection {
  explicit Connection(asio::io_context& io) : plain(io) {}
  beast::tcp_stream plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream&>> tls;
  beast::flat_buffer buffer;
  TimePoint idleSince{};
  bool reused = false;

  beast::tcp_stream& lowest() { return plain; }
};

struct Waiter {
  explicit Waiter(asio::io_context& io) : wake(io) {}
  asio::steady_timer wake;
  std::unique_ptr<Connection> handed;  // set by release()
  bool mayCreate = false;              // a slot was freed: the waiter may open a connection
};

struct Pool {
  std::vector<std::unique_ptr<Connection>> idle;
  size_t total = 0;  // open connections, idle or in use
  std::deque<std::shared_ptr<Waiter>> waiters;
};

// One request in flight.
struct Op {
  HttpRequest request;
  TimePoint deadline;
  upstream::UpstreamClient::Callback done;
  bool cancelled = false;
  Connection* active = nullptr;     // connection in use, for cancellation
  std::shared_ptr<Waiter> waiting;  // pool wait in progress, for cancellation
};

class OpHandle : public upstream::RequestHandle {
 public:
  explicit OpHandle(std::shared_ptr<Op> op) : op_(std::move(op)) {}
  ~OpHandle() override {
    op_->cancelled = true;
    op_->done = nullptr;
    if (op_->active) op_->active->lowest().cancel();
    if (op_->waiting) op_->waiting->wake.cancel();
  }

 private:
  std::shared_ptr<Op> op_;
};

class HttpUpstreamClient : public upstream::UpstreamClient {
 public:
  HttpUpstreamClient(asio::io_context& io, HttpClientOptions options)
      : io_(io), options_(options), tls_(asio::ssl::context::tls_client) {
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(options.verifyTls ? asio::ssl::verify_peer : asio::ssl::verify_none);
  }

  std::unique_ptr<upstream::RequestHandle> send(HttpRequest request, Duration timeout,
                                                Callback done) override {
    auto op = std::make_shared<Op>();
    op->request = std::move(request);
    op->deadline = Clock::now() + timeout;
    op->done = std::move(done);
    asio::co_spawn(io_, run(op), asio::detached);
    return std::make_unique<OpHandle>(op);
  }

 private:
  static void finish(const std::shared_ptr<Op>& op, StatusOr<HttpResponse> result) {
    if (op->cancelled || !op->done) return;
    auto done = std::move(op->done);
    op->done = nullptr;
    done(std::move(result));
  }

  static bool validHeaderValue(const cloudevents::HttpHeader& h) {
    for (char c : h.value) {
      if (c == '\r' || c == '\n' || c == '\0') return false;
    }
    return iequals(h.name, "ce-userId") || isAscii(h.value);
  }

  asio::awaitable<void> run(std::shared_ptr<Op> op) {
    auto parts = cloudevents::parseHttpUrl(op->request.url);
    if (!parts) {
      finish(op, Status(StatusCode::kInvalidArgument, parts.status().message()));
      co_return;
    }
    for (const auto& h : op->request.headers) {
      if (!validHeaderValue(h)) {
        finish(op, Status(StatusCode::kInvalidArgument,
                          "header " + h.name + " has a value that cannot be sent"));
        co_return;
      }
    }
    // A reused keep-alive connection may have been closed by the peer meanwhile: one silent
    // retry on a fresh connection when nothing was received.
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto conn = co_await acquire(op, *parts);
      if (!conn) co_return;  // finish() already called (or cancelled)
      bool reused = conn->reused;
      op->active = conn.get();
      auto [result, keepAlive, stale] = co_await exchange(*conn, op, *parts);
      op->active = nullptr;
      if (op->cancelled) {
        release(*parts, nullptr);
        co_return;
      }
      if (stale && reused && attempt == 0) {
        release(*parts, nullptr);
        continue;
      }
      release(*parts, keepAlive ? std::move(conn) : nullptr);
      finish(op, std::move(result));
      co_return;
    }
  }

  // An idle connection, a new one, or one handed over by release(); null on failure.
  asio::awaitable<std::unique_ptr<Connection>> acquire(std::shared_ptr<Op> op,
                                                       const cloudevents::UrlParts& parts) {
    Pool& pool = pools_[parts.origin];
    TimePoint now = Clock::now();
    while (!pool.idle.empty()) {
      auto conn = std::move(pool.idle.back());
      pool.idle.pop_back();
      if (now - conn->idleSince < options_.idleTimeout && conn->plain.socket().is_open()) {
        conn->reused = true;
        co_return conn;
      }
      --pool.total;  // expired: drop it
    }
    if (pool.total >= options_.maxConnectionsPerOrigin) {
      auto waiter = std::make_shared<Waiter>(io_);
      waiter->wake.expires_at(op->deadline);
      pool.waiters.push_back(waiter);
      op->waiting = waiter;
      co_await waiter->wake.async_wait(kTuple);
      op->waiting = nullptr;
      if (waiter->handed) {
        waiter->handed->reused = true;
        co_return std::move(waiter->handed);
      }
      auto& w = pools_[parts.origin].waiters;
      w.erase(std::remove(w.begin(), w.end(), waiter), w.end());
      if (op->cancelled) co_return nullptr;
      if (!waiter->mayCreate) {
        finish(op, Status(StatusCode::kDeadlineExceeded,
                          "timed out waiting for a connection to " + parts.origin));
        co_return nullptr;
      }
    }
    ++pools_[parts.origin].total;
    auto conn = co_await connect(op, parts);
    if (!conn) release(parts, nullptr);
    co_return conn;
  }

  asio::awaitable<std::unique_ptr<Connection>> connect(std::shared_ptr<Op> op,
                                                       const cloudevents::UrlParts& parts) {
    tcp::resolver resolver(io_);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(parts.host, std::to_string(parts.port), kTuple);
    if (op->cancelled) co_return nullptr;
    if (rec) {
      finish(op, Status(StatusCode::kUnavailable,
                        "cannot resolve " + parts.host + ": " + rec.message()));
      co_return nullptr;
    }
    auto conn = std::make_unique<Connection>(io_);
    op->active = conn.get();
    conn->plain.expires_at(op->deadline);
    auto [cec, ep] = co_await conn->plain.async_connect(endpoints, kTuple);
    op->active = nullptr;
    if (op->cancelled) co_return nullptr;
    if (cec) {
      finish(op, cec == beast::error::timeout
                     ? Status(StatusCode::kDeadlineExceeded, "connect timed out")
                     : Status(StatusCode::kUnavailable,
                              "cannot connect to " + parts.origin + ": " + cec.message()));
      co_return nullptr;
    }
    conn->plain.socket().set_option(tcp::no_delay(true));
    if (parts.https) {
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream&>>(conn->plain, tls_);
      if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), parts.host.c_str())) {
        finish(op, Status(StatusCode::kUnavailable, "TLS SNI setup failed"));
        co_return nullptr;
      }
      conn->tls->set_verify_callback(asio::ssl::host_name_verification(parts.host));
      op->active = conn.get();
      auto [hec] = co_await conn->tls->async_handshake(asio::ssl::stream_base::client, kTuple);
      op->active = nullptr;
      if (op->cancelled) co_return nullptr;
      if (hec) {
        finish(op, Status(StatusCode::kUnavailable, "TLS handshake failed: " + hec.message()));
        co_return nullptr;
      }
    }
    co_return conn;
  }

  struct Exchange {
    StatusOr<HttpResponse> result;
    bool keepAlive;
    bool stale;  // failed before any response byte arrived
  };

  template <class Stream>
  asio::awaitable<Exchange> exchangeOn(Stream& stream, Connection& conn, std::shared_ptr<Op> op,
                                       const cloudevents::UrlParts& parts) {
    http::request<http::string_body> req;
    req.method_string(op->request.method);
    req.target(parts.target);
    req.version(11);
    req.set(http::field::host, parts.hostHeader);
    for (const auto& h : op->request.headers)
      req.insert(h.name, h.value);
    req.keep_alive(true);
    if (!op->request.body.empty() || op->request.method == "POST") {
      req.body() = op->request.body;
      req.prepare_payload();
    }
    conn.plain.expires_at(op->deadline);
    auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
    (void)wn;
    if (wec) {
      co_return Exchange{errorStatus(wec, "sending the request"), false, true};
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.maxResponseBytes);
    parser.header_limit(64 * 1024);
    auto [rec, rn] = co_await http::async_read(stream, conn.buffer, parser, kTuple);
    if (rec) {
      bool stale = rn == 0 && (rec == http::error::end_of_stream || rec == asio::error::eof ||
                               rec == asio::error::connection_reset);
      if (rec == http::error::body_limit) {
        co_return Exchange{Status(StatusCode::kResourceExhausted,
                                  "the response body is larger than " +
                                      std::to_string(options_.maxResponseBytes) + " bytes"),
                           false, false};
      }
      co_return Exchange{errorStatus(rec, "reading the response"), false, stale};
    }
    auto& res = parser.get();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      out.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    }
    out.body = std::move(res.body());
    bool keepAlive = res.keep_alive();
    (void)parts;
    co_return Exchange{std::move(out), keepAlive, false};
  }

  asio::awaitable<Exchange> exchange(Connection& conn, std::shared_ptr<Op> op,
                                     const cloudevents::UrlParts& parts) {
    if (conn.tls) co_return co_await exchangeOn(*conn.tls, conn, op, parts);
    co_return co_await exchangeOn(conn.plain, conn, op, parts);
  }

  static Status errorStatus(const boost::system::error_code& ec, const char* what) {
    if (ec == beast::error::timeout) {
      return Status(StatusCode::kDeadlineExceeded, std::string("timed out ") + what);
    }
    return Status(StatusCode::kUnavailable, std::string(what) + ": " + ec.message());
  }

  // Returns a connection to its pool (null: it was closed), waking a waiter if any.
  void release(const cloudevents::UrlParts& parts, std::unique_ptr<Connection> conn) {
    Pool& pool = pools_[parts.origin];
    if (!conn) {
      if (pool.total > 0) --pool.total;
      if (!pool.waiters.empty()) {
        auto w = pool.waiters.front();
        pool.waiters.pop_front();
        w->mayCreate = true;
        w->wake.cancel();
      }
      return;
    }
    if (!pool.waiters.empty()) {
      auto w = pool.waiters.front();
      pool.waiters.pop_front();
      w->handed = std::move(conn);
      w->wake.cancel();
      return;
    }
    conn->idleSince = Clock::now();
    conn->buffer.clear();
    pool.idle.push_back(std::move(conn));
  }

  asio::io_context& io_;
  HttpClientOptions options_;
  asio::ssl::context tls_;
  std::unordered_map<std::string, Pool> pools_;
};

}  // namespace

std::unique_ptr<upstream::UpstreamClient> makeHttpUpstreamClient(boost::asio::io_context& io,
                                                                 HttpClientOptions options) {
  return std::make_unique<HttpUpstreamClient>(io, options);
}

}  // namespace wps::transport
