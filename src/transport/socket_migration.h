// Reconnecting a recovered (reliable) session: its upgraded socket is attached to the session,
// after being handed to the worker that owns the session when that is another one. No Beast.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>

#include "transport/admission.h"
#include "transport/server_context.h"
#include "transport/tls_handle.h"
#include "transport/worker_io.h"

namespace wps::transport {

// An upgraded client socket: plain TCP, or TCP with its established TLS session.
struct UpgradedSocket {
  boost::asio::ip::tcp::socket socket;
  SslHandle tls;  // null: plain
};

// Moves `socket` (upgraded, the 101 answer `response` not yet written) to `owner`'s thread,
// writes `response` there and attaches the socket to session `connectionId`. Called on the
// receiving worker's thread; the socket's file descriptor changes io_context. On an error the
// socket is closed. `ticket` (the client's admission) moves along with the socket.
// A TLS socket's session is taken out of its stream and wrapped in a new one on `owner`
// (tls_stream.h says what that loses).
void migrateToWorker(const ServerContext& ctx, UpgradedSocket socket, WorkerIo& owner,
                     std::string response, std::string leftover, std::string connectionId,
                     Admission::Ticket ticket);

// On `w`'s thread, where the session lives: resumes session `connectionId` over `socket`
// (`leftover`: bytes already read after the request head), or refuses the socket with 1008
// when the session is gone or cannot resume.
void attachRecovered(const ServerContext& ctx, WorkerIo& w, UpgradedSocket socket,
                     std::string leftover, const std::string& connectionId,
                     Admission::Ticket ticket);

// On `w`'s thread: the WebSocket transport of an upgraded client socket. It holds `ticket` until
// it is destroyed (after its socket closed, whichever way it ended), then releases it.
std::shared_ptr<WsConnection> makeConnection(const ServerContext& ctx, WorkerIo& w,
                                             UpgradedSocket socket, std::chrono::seconds keepAlive,
                                             Admission::Ticket ticket);

}  // namespace wps::transport
