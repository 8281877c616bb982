#include "transport/http_upstream_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <deque>
#include <optional>
#include <unordered_map>

#include "cloudevents/url_template.h"
#include "common/log.h"
#include "http/http1.h"
#include "metrics/metrics.h"

// A hand-written HTTP/1.1 client: the request is serialized once into one buffer and written
// with one send; the response is parsed by http::http1::ResponseParser straight from the
// socket buffer. Completion handlers (no coroutines) keep the per-event cost low; see
// docs/performance.md.

namespace wps::transport {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using http::HttpRequest;
using http::HttpResponse;
namespace http1 = http::http1;

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kUrlCacheEntries = 1024;

// One pooled connection: plain TCP, or TLS over it.
struct Connection {
  explicit Connection(asio::io_context& io) : socket(io), buffer(new char[kReadChunk]) {}

  template <class Handler>
  void write(const std::string& data, Handler&& h) {
    if (tls) {
      asio::async_write(*tls, asio::buffer(data), std::forward<Handler>(h));
    } else {
      asio::async_write(socket, asio::buffer(data), std::forward<Handler>(h));
    }
  }
  template <class Handler>
  void readSome(Handler&& h) {
    if (tls) {
      tls->async_read_some(asio::buffer(buffer.get(), kReadChunk), std::forward<Handler>(h));
    } else {
      socket.async_read_some(asio::buffer(buffer.get(), kReadChunk), std::forward<Handler>(h));
    }
  }
  void close() {
    error_code ec;
    socket.close(ec);
  }

  tcp::socket socket;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;
  std::unique_ptr<char[]> buffer;
  TimePoint idleSince{};
};

struct Op;

struct Pool {
  std::vector<std::unique_ptr<Connection>> idle;
  size_t total = 0;                         // open connections, idle or in use
  std::deque<std::shared_ptr<Op>> waiters;  // ops waiting for a connection (maybe finished)
  size_t waiting = 0;                       // the unfinished ones (Op::queued)
};

// Client state shared with in-flight operations, so that handlers running after the client is
// destroyed (during io_context teardown) find a consistent, closed state.
struct Core {
  Core(asio::io_context& io, HttpClientOptions options) : io(io), options(options) {}

  asio::ssl::context* tlsContext();
  std::shared_ptr<const cloudevents::UrlParts> parse(const std::string& url, Status& error);

  asio::io_context& io;
  HttpClientOptions options;
  metrics::Counter* overflows = nullptr;  // the worker's counter (countOverflowsIn)
  bool closed = false;
  std::optional<asio::ssl::context> tls;  // created on first https use
  std::unordered_map<std::string, Pool> pools;
  std::unordered_map<std::string, std::shared_ptr<const cloudevents::UrlParts>> urls;
};

asio::ssl::context* Core::tlsContext() {
  if (!tls) {
    tls.emplace(asio::ssl::context::tls_client);
    error_code ec;
    tls->set_default_verify_paths(ec);
    if (ec) WPS_LOG_WARN("cannot load the system CA store: {}", ec.message());
    if (!options.caFile.empty()) {
      tls->load_verify_file(options.caFile, ec);
      if (ec) WPS_LOG_WARN("cannot load upstream.tls_ca_file {}: {}", options.caFile, ec.message());
    }
    tls->set_verify_mode(options.verifyTls ? asio::ssl::verify_peer : asio::ssl::verify_none, ec);
  }
  return &*tls;
}

std::shared_ptr<const cloudevents::UrlParts> Core::parse(const std::string& url, Status& error) {
  auto it = urls.find(url);
  if (it != urls.end()) return it->second;
  auto parts = cloudevents::parseHttpUrl(url);
  if (!parts) {
    error = parts.status();
    return nullptr;
  }
  if (urls.size() >= kUrlCacheEntries) urls.clear();
  auto shared = std::make_shared<const cloudevents::UrlParts>(std::move(parts).value());
  urls.emplace(url, shared);
  return shared;
}

// One request, from send() to its callback. Owned by the handlers in flight and the handle.
struct Op : std::enable_shared_from_this<Op> {
  Op(std::shared_ptr<Core> core, http1::ParserLimits limits)
      : core(std::move(core)), timer(this->core->io), limits(limits), parser(limits) {}

  void start();
  void acquire();
  // Waits in the pool's queue, or fails at once when maxPendingPerOrigin already wait there.
  void enqueue(Pool& p);
  // Leaves the pool's waiting count (finished or given a connection).
  void dequeued(Pool& p);
  void connect();
  void onConnected();
  void exchange();
  void read();
  void onReadError(const error_code& ec);
  void retryOrFail(Status status);
  void succeed();
  void finish(StatusOr<HttpResponse> result);
  // Gives back the pool slot (with the connection when it can be reused).
  void releaseConnection(bool reusable);
  void onDeadline();
  Pool& pool() { return core->pools[parts->origin]; }

  std::shared_ptr<Core> core;
  std::shared_ptr<const cloudevents::UrlParts> parts;
  std::string wire;  // the serialized request
  asio::steady_timer timer;
  upstream::UpstreamClient::Callback done;
  std::unique_ptr<Connection> conn;
  std::unique_ptr<tcp::resolver> resolver;
  TimePoint deadlineAt{};
  TimePoint written{};  // the request was written (the answer carries it: stage histograms)
  http1::ParserLimits limits;
  http1::ResponseParser parser;
  bool finished = false;
  bool holdsSlot = false;  // counted in pool().total
  bool reused = false;     // conn came from the pool
  bool retried = false;
  bool queued = false;  // counted in pool().waiting
};

class OpHandle : public upstream::RequestHandle {
 public:
  explicit OpHandle(std::shared_ptr<Op> op) : op_(std::move(op)) {}
  ~OpHandle() override {
    op_->done = nullptr;  // the callback is dropped, whatever state the op is in
    op_->finish(Status(StatusCode::kCancelled, "cancelled"));
  }

 private:
  std::shared_ptr<Op> op_;
};

void Op::start() {
  timer.expires_at(deadlineAt);
  timer.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->onDeadline();
  });
  acquire();
}

void Op::onDeadline() {
  if (finished) return;
  finish(Status(StatusCode::kDeadlineExceeded,
                "no complete response from " + parts->origin + " within the timeout"));
}

void Op::acquire() {
  Pool& p = pool();
  TimePoint now = Clock::now();
  while (!p.idle.empty()) {
    std::unique_ptr<Connection> c = std::move(p.idle.back());
    p.idle.pop_back();
    if (now - c->idleSince < core->options.idleTimeout && c->socket.is_open()) {
      conn = std::move(c);
      holdsSlot = true;
      reused = true;
      exchange();
      return;
    }
    --p.total;  // expired: drop it
  }
  if (p.total >= core->options.maxConnectionsPerOrigin) {
    enqueue(p);
    return;  // releaseConnection() of another op continues us
  }
  ++p.total;
  holdsSlot = true;
  connect();
}

void Op::enqueue(Pool& p) {
  if (p.waiting >= core->options.maxPendingPerOrigin) {
    if (core->overflows) metrics::Metrics::inc(*core->overflows);
    // As a timeout would end it, but now, and never from inside send().
    asio::post(core->io, [self = shared_from_this()] {
      self->finish(Status(StatusCode::kDeadlineExceeded,
                          std::to_string(self->core->options.maxPendingPerOrigin) +
                              " requests already wait for a connection to " + self->parts->origin));
    });
    return;
  }
  // Finished ops stay in the queue until a connection frees up: drop them before it doubles.
  if (p.waiters.size() >= 2 * p.waiting + 64) {
    std::erase_if(p.waiters, [](const std::shared_ptr<Op>& w) { return w->finished; });
  }
  p.waiters.push_back(shared_from_this());
  queued = true;
  ++p.waiting;
}

void Op::dequeued(Pool& p) {
  if (!queued) return;
  queued = false;
  if (p.waiting > 0) --p.waiting;
}

void Op::connect() {
  conn = std::make_unique<Connection>(core->io);
  reused = false;
  error_code ec;
  auto address = asio::ip::make_address(parts->host, ec);
  if (!ec) {
    conn->socket.async_connect(
        tcp::endpoint(address, parts->port), [self = shared_from_this()](const error_code& e) {
          if (self->finished) return;
          if (e) {
            self->finish(Status(StatusCode::kUnavailable,
                                "cannot connect to " + self->parts->origin + ": " + e.message()));
            return;
          }
          self->onConnected();
        });
    return;
  }
  resolver = std::make_unique<tcp::resolver>(core->io);
  resolver->async_resolve(
      parts->host, std::to_string(parts->port),
      [self = shared_from_this()](const error_code& e, tcp::resolver::results_type results) {
        if (self->finished) return;
        if (e) {
          self->finish(Status(StatusCode::kUnavailable,
                              "cannot resolve " + self->parts->host + ": " + e.message()));
          return;
        }
        asio::async_connect(
            self->conn->socket, results, [self](const error_code& ce, const tcp::endpoint&) {
              if (self->finished) return;
              if (ce) {
                self->finish(
                    Status(StatusCode::kUnavailable,
                           "cannot connect to " + self->parts->origin + ": " + ce.message()));
                return;
              }
              self->onConnected();
            });
      });
}

void Op::onConnected() {
  error_code ec;
  conn->socket.set_option(tcp::no_delay(true), ec);
  if (!parts->https) {
    exchange();
    return;
  }
  conn->tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(conn->socket, *core->tlsContext());
  if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), parts->host.c_str())) {
    finish(Status(StatusCode::kUnavailable, "TLS SNI setup failed"));
    return;
  }
  if (core->options.verifyTls) {
    conn->tls->set_verify_callback(asio::ssl::host_name_verification(parts->host), ec);
  }
  conn->tls->async_handshake(asio::ssl::stream_base::client, [self = shared_from_this()](
                                                                 const error_code& e) {
    if (self->finished) return;
    if (e) {
      self->finish(Status(StatusCode::kUnavailable,
                          "TLS handshake with " + self->parts->origin + " failed: " + e.message()));
      return;
    }
    self->exchange();
  });
}

void Op::exchange() {
  conn->write(wire, [self = shared_from_this()](const error_code& ec, size_t) {
    if (self->finished) return;
    if (ec) {
      self->retryOrFail(
          Status(StatusCode::kUnavailable, "sending the request failed: " + ec.message()));
      return;
    }
    self->written = Clock::now();
    self->read();
  });
}

void Op::read() {
  conn->readSome([self = shared_from_this()](const error_code& ec, size_t n) {
    if (self->finished) return;
    if (ec) {
      self->onReadError(ec);
      return;
    }
    switch (self->parser.feed(std::string_view(self->conn->buffer.get(), n))) {
      case http1::ResponseParser::Result::kNeedMore:
        self->read();
        return;
      case http1::ResponseParser::Result::kComplete:
        self->succeed();
        return;
      case http1::ResponseParser::Result::kError:
        self->finish(self->parser.error());
        return;
    }
  });
}

void Op::onReadError(const error_code& ec) {
  bool eof = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
  if (eof && parser.started()) {
    if (parser.finishOnEof() == http1::ResponseParser::Result::kComplete) {
      succeed();
    } else {
      finish(parser.error());
    }
    return;
  }
  retryOrFail(
      Status(StatusCode::kUnavailable, eof ? "the upstream closed the connection without a response"
                                           : "reading the response failed: " + ec.message()));
}

// A reused keep-alive connection may have been closed by the peer meanwhile: one silent retry
// on another connection when nothing was received on it.
void Op::retryOrFail(Status status) {
  if (!reused || retried || parser.started()) {
    finish(std::move(status));
    return;
  }
  retried = true;
  conn->close();
  releaseConnection(false);
  parser = http1::ResponseParser(limits);
  acquire();
}

void Op::succeed() {
  bool reusable = parser.keepAlive();
  HttpResponse response = parser.take();
  response.requestWritten = written;
  response.answerRead = Clock::now();
  releaseConnection(reusable);
  finish(std::move(response));
}

void Op::finish(StatusOr<HttpResponse> result) {
  if (finished) return;
  finished = true;
  if (queued && !core->closed) dequeued(pool());
  timer.cancel();
  if (resolver) resolver->cancel();
  if (conn) conn->close();
  releaseConnection(false);
  wire.clear();
  wire.shrink_to_fit();
  if (auto cb = std::move(done)) {
    done = nullptr;
    cb(std::move(result));
  }
}

void Op::releaseConnection(bool reusable) {
  if (!holdsSlot) return;
  holdsSlot = false;
  if (core->closed) return;
  Pool& p = pool();
  if (reusable && conn) {
    std::unique_ptr<Connection> c = std::move(conn);
    while (!p.waiters.empty()) {
      std::shared_ptr<Op> w = std::move(p.waiters.front());
      p.waiters.pop_front();
      if (w->finished) continue;
      w->dequeued(p);
      w->conn = std::move(c);
      w->holdsSlot = true;
      w->reused = true;
      asio::post(core->io, [w] {
        if (!w->finished) w->exchange();
      });
      return;
    }
    c->idleSince = Clock::now();
    p.idle.push_back(std::move(c));
    return;
  }
  // Closed, but owned by this op until its handlers in flight have run.
  if (conn) conn->close();
  if (p.total > 0) --p.total;
  while (!p.waiters.empty()) {
    std::shared_ptr<Op> w = std::move(p.waiters.front());
    p.waiters.pop_front();
    if (w->finished) continue;
    w->dequeued(p);
    ++p.total;
    w->holdsSlot = true;
    asio::post(core->io, [w] {
      if (!w->finished) w->connect();
    });
    return;
  }
}

class HttpUpstreamClient : public upstream::UpstreamClient {
 public:
  HttpUpstreamClient(asio::io_context& io, HttpClientOptions options)
      : core_(std::make_shared<Core>(io, options)) {}

  ~HttpUpstreamClient() override {
    core_->closed = true;
    for (auto& [origin, pool] : core_->pools) {
      for (auto& c : pool.idle)
        c->close();
      pool.waiters.clear();
    }
    core_->pools.clear();
  }

  void countOverflowsIn(metrics::Counter* counter) override { core_->overflows = counter; }

  std::unique_ptr<upstream::RequestHandle> send(const HttpRequest& request, Duration timeout,
                                                Callback done) override {
    http1::ParserLimits limits;
    limits.maxBodyBytes = core_->options.maxResponseBytes;
    auto op = std::make_shared<Op>(core_, limits);
    op->done = std::move(done);
    op->deadlineAt = Clock::now() + timeout;
    Status error = http1::validateRequest(request);
    if (error.isOk()) op->parts = core_->parse(request.url, error);
    if (!error.isOk()) {
      op->finished = true;
      asio::post(core_->io, [op, error = Status(StatusCode::kInvalidArgument, error.message())] {
        if (auto cb = std::move(op->done)) cb(error);
      });
      return std::make_unique<OpHandle>(op);
    }
    http1::serializeRequest(request, op->parts->target, op->parts->hostHeader, op->wire);
    op->start();
    return std::make_unique<OpHandle>(op);
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<upstream::UpstreamClient> makeHttpUpstreamClient(boost::asio::io_context& io,
                                                                 HttpClientOptions options) {
  return std::make_unique<HttpUpstreamClient>(io, options);
}

}  // namespace wps::transport
