#include "transport/ws_upgrade.h"

#include <openssl/ssl.h>
#include <boost/asio/write.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/errors.h"
#include "core/engine.h"
#include "protocol/websocket/handshake.h"
#include "transport/coro.h"
#include "transport/http_reply.h"
#include "transport/socket_migration.h"
#include "transport/workers.h"
#include "transport/ws_connection.h"

namespace wps::transport {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Kind = core::HandshakeResult::Kind;

// RFC 6455 §4.2.1 request checks (HTTP/1.1 or higher, Host, version, key): false when a
// refusal (400 or 426) was written.
template <class Stream>
asio::awaitable<bool> checkVersionAndKey(Stream& stream, const BeastRequest& req,
                                         AccessLogLine& access) {
  access.setStatus(400);
  if (req.version() < 11) {
    co_await writeSimple(stream, 400, "The WebSocket upgrade needs HTTP/1.1 or higher.", false);
    co_return false;
  }
  if (req.find(http::field::host) == req.end()) {
    co_await writeSimple(stream, 400, "The WebSocket upgrade needs a Host header.", false);
    co_return false;
  }
  if (req[http::field::sec_websocket_version] != "13") {
    access.setStatus(426);
    std::vector<std::pair<std::string, std::string>> extra;
    extra.emplace_back(std::string("Sec-WebSocket-Version"), std::string("13"));
    co_await writeSimple(stream, 426, "Only WebSocket version 13 is supported.", false,
                         std::move(extra));
    co_return false;
  }
  if (!ws::isValidClientKey(req[http::field::sec_websocket_key])) {
    co_await writeSimple(stream, 400, "Invalid Sec-WebSocket-Key.", false);
    co_return false;
  }
  access.setStatus(0);
  co_return true;
}

core::HandshakeRequest toHandshakeRequest(const BeastRequest& req, std::string hub,
                                          upstream::MultiMap query) {
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
  return hr;
}

// Runs the core handshake on `w` and waits for its decision.
asio::awaitable<core::HandshakeResult> handshake(const ServerContext& ctx, WorkerIo& w,
                                                 core::HandshakeRequest hr) {
  auto rv = std::make_shared<Rendezvous<core::HandshakeResult>>(w.io);
  auto pending = ctx.engine->handshake(w.index).handle(
      std::move(hr), [rv](core::HandshakeResult r) { rv->set(std::move(r)); });
  co_await rv->wait();
  pending.reset();
  co_return std::move(*rv->value);
}

std::string switchingProtocols(std::string_view key, std::string_view subprotocol) {
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

// After the 101 answer, on `w`: the transport of a new session, of a recovered session that
// lives on `w`, or one that only closes with 1008 (recovery failed).
void startTransport(const ServerContext& ctx, WorkerIo& w, UpgradedSocket socket,
                    core::HandshakeResult result, std::string leftover, Admission::Ticket ticket) {
  if (result.kind == Kind::kAccept) {
    auto conn = makeConnection(ctx, w, std::move(socket), result.session->keepAliveInterval(),
                               std::move(ticket));
    conn->attachSession(result.session);
    result.session->start(conn.get());
    conn->start(result.session, std::move(leftover));
  } else if (result.kind == Kind::kRecover) {
    attachRecovered(ctx, w, std::move(socket), std::move(leftover), result.connectionId,
                    std::move(ticket));
  } else {
    auto conn = makeConnection(ctx, w, std::move(socket), kSessionlessKeepAlive, std::move(ticket));
    conn->refuse(errors::kRecoveryFailed.code, errors::kRecoveryFailed.reason);
  }
}

// Takes the client's admission ticket, or writes the refusal of the limit it hit (503 with
// Retry-After, or 429) and returns false.
template <class Stream>
asio::awaitable<bool> admit(const ServerContext& ctx, WorkerIo& w, Stream& stream,
                            Admission::Ticket* ticket, AccessLogLine& access) {
  boost::system::error_code ec;
  tcp::endpoint peer = beast::get_lowest_layer(stream).socket().remote_endpoint(ec);
  if (ec) co_return false;  // the peer is already gone
  Admission::Verdict verdict = ctx.admission.admit(peer.address(), ticket);
  if (verdict == Admission::Verdict::kAdmitted) co_return true;
  metrics::Metrics::refused(ctx.engine->worker(w.index).counters,
                            verdict == Admission::Verdict::kServerFull
                                ? metrics::Refusal::kMaxConnections
                                : metrics::Refusal::kMaxConnectionsPerIp);
  access.setStatus(verdict == Admission::Verdict::kServerFull ? 503 : 429);
  if (verdict == Admission::Verdict::kServerFull) {
    std::vector<std::pair<std::string, std::string>> extra;
    extra.emplace_back(std::string("Retry-After"), std::string("1"));
    co_await writeSimple(stream, 503, errors::kServerFull, false, std::move(extra));
  } else {
    co_await writeSimple(stream, 429, errors::kTooManyFromAddress, false);
  }
  co_return false;
}

// The access-log fields of an upgrade: the connection and subprotocol, and what became of it.
void noteAccepted(const core::HandshakeResult& result, AccessLogLine& access) {
  if (result.kind == Kind::kAccept && result.session) {
    access.add("connection_id", result.session->connectionId());
  } else {
    access.add("connection_id", result.connectionId);
  }
  access.add("subprotocol", result.subprotocol);
  if (result.kind == Kind::kRecover) access.add("outcome", "recovered");
  if (result.kind == Kind::kRecoveryFailed) access.add("outcome", "recovery_failed");
}

UpgradedSocket takeSocket(beast::tcp_stream& stream) {
  return {stream.release_socket(), nullptr};
}

// The TLS session and the socket leave the HTTP session's stream, which is destroyed (left
// empty): the WebSocket transport builds its own stream around them (tls_stream.h).
UpgradedSocket takeSocket(beast::ssl_stream<beast::tcp_stream>& stream) {
  SSL* ssl = stream.native_handle();
  SSL_up_ref(ssl);  // survives the stream's SSL_free
  tcp::socket socket = stream.next_layer().release_socket();
  { beast::ssl_stream<beast::tcp_stream> gone(std::move(stream)); }
  return {std::move(socket), SslHandle(ssl)};
}

}  // namespace

template <class Stream>
asio::awaitable<void> upgradeToWebSocket(const ServerContext& ctx, WorkerIo& w, Stream& stream,
                                         beast::flat_buffer& buffer, BeastRequest req,
                                         std::string hub, upstream::MultiMap query,
                                         AccessLogLine& access) {
  std::string key(req[http::field::sec_websocket_key]);
  bool valid = co_await checkVersionAndKey(stream, req, access);
  if (!valid) co_return;
  Admission::Ticket ticket;  // held until the socket is gone (moves to its transport)
  bool admitted = co_await admit(ctx, w, stream, &ticket, access);
  if (!admitted) co_return;
  core::HandshakeRequest hr = toHandshakeRequest(req, std::move(hub), std::move(query));
  hr.secure = !std::is_same_v<Stream, beast::tcp_stream>;
  core::HandshakeResult result = co_await handshake(ctx, w, std::move(hr));
  access.setStatus(result.kind == Kind::kReject ? result.status : 101);
  if (result.kind == Kind::kReject) {
    co_await writeSimple(stream, result.status, result.body, false);
    co_return;
  }
  noteAccepted(result, access);
  std::string response = switchingProtocols(key, result.subprotocol);
  std::string leftover(static_cast<const char*>(buffer.data().data()), buffer.size());
  if (result.kind == Kind::kRecover && result.worker != w.index) {
    // The session lives on another worker: move the socket there.
    migrateToWorker(ctx, takeSocket(stream), ctx.workers.at(result.worker), std::move(response),
                    std::move(leftover), result.connectionId, std::move(ticket));
    co_return;
  }
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(response), kTuple);
  if (ec) {
    if (result.kind == Kind::kAccept) result.session->abandon();
    co_return;
  }
  startTransport(ctx, w, takeSocket(stream), std::move(result), std::move(leftover),
                 std::move(ticket));
}

template asio::awaitable<void> upgradeToWebSocket(const ServerContext&, WorkerIo&,
                                                  beast::tcp_stream&, beast::flat_buffer&,
                                                  BeastRequest, std::string, upstream::MultiMap,
                                                  AccessLogLine&);
template asio::awaitable<void> upgradeToWebSocket(const ServerContext&, WorkerIo&,
                                                  beast::ssl_stream<beast::tcp_stream>&,
                                                  beast::flat_buffer&, BeastRequest, std::string,
                                                  upstream::MultiMap, AccessLogLine&);

}  // namespace wps::transport
