// The HTTP/1.1 server side of one accepted TCP connection: the keep-alive loop (Beast parser,
// timeouts, 100-continue, 413), client endpoint requests handed to the WebSocket upgrade, every
// other request answered by the HttpHandler. This header has no Beast.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "transport/server_context.h"
#include "transport/tls_context.h"
#include "transport/worker_io.h"

namespace wps::transport {

// Thread-safe. Starts serving `socket` (bound to `w`'s io_context) as a coroutine on `w`'s
// thread, which owns it until the connection closes or becomes a WebSocket transport.
void startHttpSession(const ServerContext& ctx, WorkerIo& w, boost::asio::ip::tcp::socket socket);

// Thread-safe. The same over TLS with `ssl` (the context current at the accept): https and wss.
void startHttpsSession(const ServerContext& ctx, WorkerIo& w, boost::asio::ip::tcp::socket socket,
                       SslContextPtr ssl);

}  // namespace wps::transport
