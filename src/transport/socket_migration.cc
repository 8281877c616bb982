#include "transport/socket_migration.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "core/engine.h"
#include "core/shard.h"
#include "transport/coro.h"
#include "transport/tls_stream.h"
#include "transport/ws_connection.h"

namespace wps::transport {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// On the owner's thread: writes `response` (the 101 answer), through the socket's TLS session
// when it has one. False on a write error.
asio::awaitable<bool> writeResponse(UpgradedSocket& socket, const std::string& response) {
  if (!socket.tls) {
    auto [ec, n] = co_await asio::async_write(socket.socket, asio::buffer(response), kTuple);
    co_return !ec;
  }
  TlsStream tls(socket.socket.native_handle(), std::move(socket.tls));
  size_t sent = 0;
  bool ok = true;
  while (ok && sent < response.size()) {
    TlsStream::Result r = tls.write(response.data() + sent, response.size() - sent);
    sent += r.bytes;
    if (r.io == TlsStream::Io::kDone) continue;
    ok = r.io == TlsStream::Io::kWantWrite || r.io == TlsStream::Io::kWantRead;
    if (!ok) break;
    auto wait =
        r.io == TlsStream::Io::kWantWrite ? tcp::socket::wait_write : tcp::socket::wait_read;
    auto [ec] = co_await socket.socket.async_wait(wait, kTuple);
    ok = !ec;
  }
  socket.tls = tls.release();  // the transport attaches it again
  co_return ok;
}

// On the owner's thread: writes the 101 answer, then attaches.
asio::awaitable<void> finishRecovery(const ServerContext& ctx, WorkerIo& w, UpgradedSocket socket,
                                     std::string response, std::string leftover,
                                     std::string connectionId, Admission::Ticket ticket) {
  bool written = co_await writeResponse(socket, response);
  if (!written) co_return;
  attachRecovered(ctx, w, std::move(socket), std::move(leftover), connectionId, std::move(ticket));
}

}  // namespace

// Not a coroutine: GCC 12 mishandles init-captures of lambdas inside coroutines.
void migrateToWorker(const ServerContext& ctx, UpgradedSocket socket, WorkerIo& owner,
                     std::string response, std::string leftover, std::string connectionId,
                     Admission::Ticket ticket) {
  boost::system::error_code ec;
  auto protocol = socket.socket.local_endpoint(ec).protocol();
  if (ec) return;
  int fd = socket.socket.release(ec);
  if (ec) return;
  WPS_LOG_DEBUG("recovery: moving connection {} to worker {}{}", connectionId, owner.index,
                socket.tls ? " (TLS)" : "");
  asio::post(owner.io, [&ctx, &owner, fd, protocol, tls = std::move(socket.tls),
                        response = std::move(response), leftover = std::move(leftover),
                        id = std::move(connectionId), ticket = std::move(ticket)]() mutable {
    tcp::socket moved(owner.io);
    boost::system::error_code aec;
    moved.assign(protocol, fd, aec);
    if (aec) {
      ::close(fd);
      return;
    }
    asio::co_spawn(
        owner.io,
        finishRecovery(ctx, owner, UpgradedSocket{std::move(moved), std::move(tls)},
                       std::move(response), std::move(leftover), std::move(id), std::move(ticket)),
        asio::detached);
  });
}

void attachRecovered(const ServerContext& ctx, WorkerIo& w, UpgradedSocket socket,
                     std::string leftover, const std::string& connectionId,
                     Admission::Ticket ticket) {
  auto session = ctx.engine->shard(w.index).find(connectionId);
  std::chrono::seconds keepAlive = session ? session->keepAliveInterval() : kSessionlessKeepAlive;
  auto conn = makeConnection(ctx, w, std::move(socket), keepAlive, std::move(ticket));
  if (!session || !session->resume(conn.get())) {
    conn->refuse(errors::kRecoveryFailed.code, errors::kRecoveryFailed.reason);
    return;
  }
  conn->attachSession(session);
  conn->start(session, std::move(leftover));
}

std::shared_ptr<WsConnection> makeConnection(const ServerContext& ctx, WorkerIo& w,
                                             UpgradedSocket socket, std::chrono::seconds keepAlive,
                                             Admission::Ticket ticket) {
  // A shared_ptr deleter must be copyable: the move-only ticket rides in a shared holder.
  auto held = std::make_shared<Admission::Ticket>(std::move(ticket));
  return std::shared_ptr<WsConnection>(
      new WsConnection(w, std::move(socket.socket), ctx.wsLimitsOn(w.index), keepAlive,
                       std::move(socket.tls)),
      [held](WsConnection* c) {
        delete c;
        held->release();  // now, not when the last weak_ptr lets the control block go
      });
}

}  // namespace wps::transport
