#include "transport/http_session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include "common/strings.h"
#include "protocol/websocket/handshake.h"
#include "transport/access_log.h"
#include "transport/coro.h"
#include "transport/http_handler.h"
#include "transport/http_reply.h"
#include "transport/ws_upgrade.h"

namespace wps::transport {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using BeastResponse = http::response<http::string_body>;

constexpr std::string_view kTooLarge = "The request body is too large.";
constexpr std::string_view kUriTooLong = "The request target is too long.";
constexpr std::string_view kHeadTooLarge = "The request header fields are too large.";
constexpr std::string_view kTooManyParams = "Too many query parameters: at most 100 are allowed.";
static_assert(kMaxQueryParameters == 100, "kTooManyParams names the limit");

struct ParsedTarget {
  std::string path;   // raw (undecoded) path
  std::string query;  // raw query (without '?')
};

ParsedTarget splitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {std::string(target), {}};
  return {std::string(target.substr(0, q)), std::string(target.substr(q + 1))};
}

// Query parameters grouped by name, in first-appearance order (malformed escapes: empty). Linear:
// a hash index finds a name's group.
upstream::MultiMap parseQuery(std::string_view query) {
  upstream::MultiMap out;
  std::unordered_map<std::string, size_t> index;
  for (auto& [key, value] :
       parseQueryString(query).value_or(std::vector<std::pair<std::string, std::string>>{})) {
    auto [it, inserted] = index.try_emplace(key, out.size());
    if (inserted) {
      out.push_back({std::move(key), {std::move(value)}});
    } else {
      out[it->second].second.push_back(std::move(value));
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

bool isWebSocketUpgrade(const BeastRequest& req) {
  return req.method() == http::verb::get &&
         ws::headerHasToken(req[http::field::upgrade], "websocket") &&
         ws::headerHasToken(req[http::field::connection], "upgrade");
}

// The answer to a request head over `limit` bytes: 414 when the request line alone is over the
// limit, else 431. The parser consumes the request line once it is complete (`startLineParsed`);
// before that `buffer` starts with it.
template <class Stream>
asio::awaitable<void> refuseLargeHead(Stream& stream, const beast::flat_buffer& buffer,
                                      bool startLineParsed, size_t limit) {
  std::string_view head(static_cast<const char*>(buffer.data().data()), buffer.size());
  bool lineFits = startLineParsed || head.substr(0, limit).find("\r\n") != std::string_view::npos;
  if (lineFits) {
    co_await writeSimple(stream, 431, kHeadTooLarge, false);
  } else {
    co_await writeSimple(stream, 414, kUriTooLong, false);
  }
}

// Reads one request, head then body (answering 100-continue). nullopt: the connection is done
// (a read error; a head over the limit, answered 414 or 431; a body over the limit, answered 413).
template <class Stream>
asio::awaitable<std::optional<BeastRequest>> readRequest(const config::LimitSettings& limits,
                                                         Stream& stream,
                                                         beast::flat_buffer& buffer) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.maxRequestHeadBytes));
  parser.body_limit(limits.maxRestBodyBytes);
  auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
  if (hec == http::error::header_limit) {
    bool startLineParsed = !parser.get().target().empty();
    co_await refuseLargeHead(stream, buffer, startLineParsed, limits.maxRequestHeadBytes);
    co_return std::nullopt;
  }
  if (hec == http::error::body_limit) {  // Content-Length above the limit
    co_await writeSimple(stream, 413, kTooLarge, false);
    co_return std::nullopt;
  }
  if (hec) co_return std::nullopt;
  if (auto len = parser.content_length(); len && *len > limits.maxRestBodyBytes) {
    co_await writeSimple(stream, 413, kTooLarge, false);
    co_return std::nullopt;
  }
  if (iequals(parser.get()[http::field::expect], "100-continue")) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [cec, cn] = co_await asio::async_write(stream, asio::buffer(kContinue), kTuple);
    if (cec) co_return std::nullopt;
  }
  if (!parser.is_done()) {
    auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (bec == http::error::body_limit) {
      co_await writeSimple(stream, 413, kTooLarge, false);
      co_return std::nullopt;
    }
    if (bec) co_return std::nullopt;
  }
  co_return parser.release();
}

HttpServerRequest toServerRequest(BeastRequest& req, size_t worker, bool secure) {
  HttpServerRequest hreq;
  hreq.secure = secure;
  hreq.method = std::string(req.method_string());
  hreq.target = std::string(req.target());
  for (const auto& f : req) {
    hreq.headers.push_back({std::string(f.name_string()), std::string(f.value())});
  }
  hreq.host = std::string(req[http::field::host]);
  hreq.body = std::move(req.body());
  hreq.worker = worker;
  return hreq;
}

BeastResponse toBeastResponse(HttpServerResponse r) {
  BeastResponse res;
  res.version(11);
  res.result(static_cast<unsigned>(r.status));
  for (const auto& h : r.headers)
    res.insert(h.name, h.value);
  res.body() = std::move(r.body);
  return res;
}

// Writes `res` (HEAD: the head only, with the body's Content-Length). False on an I/O error.
template <class Stream>
asio::awaitable<bool> writeResponse(Stream& stream, BeastResponse& res, bool headRequest) {
  if (headRequest) {
    res.content_length(res.body().size());
    res.body().clear();
    http::response_serializer<http::string_body> sr(res);
    sr.split(true);
    auto [wec, wn] = co_await http::async_write_header(stream, sr, kTuple);
    co_return !wec;
  }
  res.prepare_payload();
  auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
  co_return !wec;
}

// The client's IP address, "" when the socket has none (the peer is gone).
template <class Stream>
std::string remoteAddress(Stream& stream) {
  boost::system::error_code ec;
  tcp::endpoint peer = beast::get_lowest_layer(stream).socket().remote_endpoint(ec);
  return ec ? std::string() : peer.address().to_string();
}

// What the keep-alive loop does after a request.
enum class Next {
  kRead,     // read the next request
  kClose,    // half-close (answered without keep-alive)
  kRelease,  // drop the stream as it is: closed, or its socket became a WebSocket transport
};

// Writes the head of `r` and then its event stream's chunks until an empty one, a write error or
// the peer closing the connection (a read completing; the peer sends nothing after the request).
// Over TLS the probe read goes through the SSL stream (which allows one read and one write in
// flight at once), so it sees the peer's close_notify or the TCP close alike.
template <class Stream>
asio::awaitable<void> streamEvents(asio::io_context& io, Stream& stream, HttpServerResponse r) {
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " OK\r\n";
  for (const auto& h : r.headers)
    head += h.name + ": " + h.value + "\r\n";
  head += "Connection: close\r\n\r\n";
  auto [hec, hn] = co_await asio::async_write(stream, asio::buffer(head), kTuple);
  auto readerDone = std::make_shared<Rendezvous<bool>>(io);
  auto probe = std::make_shared<std::array<char, 256>>();
  stream.async_read_some(asio::buffer(*probe),
                         [readerDone, probe, events = r.events](boost::system::error_code, size_t) {
                           events->cancel();
                           readerDone->set(true);
                         });
  for (bool open = !hec; open;) {
    auto chunk = std::make_shared<Rendezvous<std::string>>(io);
    r.events->next([chunk](std::string c) { chunk->set(std::move(c)); });
    co_await chunk->wait();
    if (chunk->value->empty()) break;
    auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(*chunk->value), kTuple);
    open = !wec;
  }
  boost::system::error_code ec;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(stream).socket().close(ec);
  co_await readerDone->wait();
}

// A request for the HttpHandler (REST API, health, metrics), answered on `stream`.
template <class Stream>
asio::awaitable<Next> answer(const ServerContext& ctx, WorkerIo& w, Stream& stream,
                             BeastRequest req, AccessLogLine& access) {
  bool keepAlive = req.keep_alive();
  auto rv = std::make_shared<Rendezvous<HttpServerResponse>>(w.io);
  constexpr bool kSecure = !std::is_same_v<Stream, beast::tcp_stream>;
  ctx.handler->handle(toServerRequest(req, w.index, kSecure),
                      [rv](HttpServerResponse r) { rv->set(std::move(r)); });
  co_await rv->wait();
  access.setStatus(rv->value->status);
  if (rv->value->events) {
    co_await streamEvents(w.io, stream, std::move(*rv->value));
    co_return Next::kRelease;
  }
  BeastResponse res = toBeastResponse(std::move(*rv->value));
  res.keep_alive(keepAlive && ctx.accepting);
  bool written = co_await writeResponse(stream, res, req.method() == http::verb::head);
  if (!written) co_return Next::kRelease;
  if (!res.keep_alive()) co_return Next::kClose;
  co_return Next::kRead;
}

// Routes one request: client endpoints upgrade to WebSocket, the rest goes to the HttpHandler.
template <class Stream>
asio::awaitable<Next> serve(const ServerContext& ctx, WorkerIo& w, Stream& stream,
                            beast::flat_buffer& buffer, BeastRequest req,
                            const config::ServerSettings& settings) {
  AccessLogLine access(settings, "http request", req.method_string(), req.target(),
                       AccessLogLine::enabled(settings) ? remoteAddress(stream) : "");
  ParsedTarget target = splitTarget(req.target());
  if (countQueryParameters(target.query) > kMaxQueryParameters) {
    access.setStatus(400);
    co_await writeSimple(stream, 400, kTooManyParams, false);
    co_return Next::kRelease;
  }
  upstream::MultiMap query = parseQuery(target.query);
  bool isClientPath = false;
  auto hub = clientHub(target, query, &isClientPath);
  if (!isClientPath) {
    Next next = co_await answer(ctx, w, stream, std::move(req), access);
    co_return next;
  }
  access.setKind("websocket handshake");
  if (!isWebSocketUpgrade(req)) {
    access.setStatus(400);
    co_await writeSimple(stream, 400, "The client endpoint needs a WebSocket upgrade.", false);
    co_return Next::kRelease;
  }
  access.add("hub", *hub);
  co_await upgradeToWebSocket(ctx, w, stream, buffer, std::move(req), std::move(*hub),
                              std::move(query), access);
  co_return Next::kRelease;
}

// The keep-alive loop: the first request must arrive within the handshake timeout (which the
// TLS handshake shares), later ones within the idle timeout; no keep-alive once the server stops
// accepting. `deadlineSet`: the first request's deadline runs already (the TLS handshake's).
// False when the stream is released (closed, or now a WebSocket transport).
template <class Stream>
asio::awaitable<bool> keepAlive(const ServerContext& ctx, WorkerIo& w, Stream& stream,
                                bool deadlineSet) {
  beast::flat_buffer buffer;
  bool first = true;
  while (ctx.accepting) {
    // Each request reads the worker's current generation, held while the request is served.
    const config::SettingsPtr settings = ctx.settingsOn(w.index);
    const config::LimitSettings& limits = settings->limits;
    auto& tcpStream = beast::get_lowest_layer(stream);
    if (!deadlineSet) {
      tcpStream.expires_after(first ? limits.handshakeTimeout : limits.httpIdleTimeout);
    }
    deadlineSet = first = false;
    std::optional<BeastRequest> req = co_await readRequest(limits, stream, buffer);
    if (!req) co_return false;
    tcpStream.expires_never();
    Next next = co_await serve(ctx, w, stream, buffer, std::move(*req), *settings);
    if (next == Next::kRelease) co_return false;
    if (next == Next::kClose) break;
  }
  co_return true;
}

asio::awaitable<void> httpSession(const ServerContext& ctx, WorkerIo& w, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  bool open = co_await keepAlive(ctx, w, stream, false);
  if (!open) co_return;
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

// HTTPS: the TLS handshake and the first request head must both arrive within
// limits.handshake_timeout of the accept.
asio::awaitable<void> httpsSession(const ServerContext& ctx, WorkerIo& w, tcp::socket socket,
                                   SslContextPtr ssl) {
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *ssl);
  stream.next_layer().expires_after(ctx.settingsOn(w.index)->limits.handshakeTimeout);
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
  if (hec) co_return;  // refused, silent or too slow: closed
  bool open = co_await keepAlive(ctx, w, stream, true);
  if (!open) co_return;
  stream.next_layer().expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(kTuple);  // close_notify, then wait briefly for the peer's
}

}  // namespace

void startHttpSession(const ServerContext& ctx, WorkerIo& w, tcp::socket socket) {
  asio::co_spawn(w.io, httpSession(ctx, w, std::move(socket)), asio::detached);
}

void startHttpsSession(const ServerContext& ctx, WorkerIo& w, tcp::socket socket,
                       SslContextPtr ssl) {
  asio::co_spawn(w.io, httpsSession(ctx, w, std::move(socket), std::move(ssl)), asio::detached);
}

}  // namespace wps::transport
