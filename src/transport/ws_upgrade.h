// The WebSocket upgrade of a client endpoint request: RFC 6455 checks, the core handshake (token,
// hub, connect event), the 101 answer, then a WsConnection for the new, recovered or refused
// session. Includes Beast (the request and stream types): include it only from files that
// already need Beast.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>

#include "transport/access_log.h"
#include "transport/server_context.h"
#include "transport/worker_io.h"
#include "upstream/connect_event.h"

namespace wps::transport {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Answers the upgrade request `req` for `hub` (decoded `query`) received on `stream` by worker
// `w`; runs on `w`'s thread. Afterwards the stream is closed, or its socket was handed to a
// WebSocket transport (on `w`, or on the worker of a recovered session). `buffer` holds what
// was read after the request head (the first WebSocket bytes). The answer's status, connection
// id and subprotocol go to `access`.
// Instantiated for beast::tcp_stream and beast::ssl_stream<beast::tcp_stream> (ws_upgrade.cc).
template <class Stream>
boost::asio::awaitable<void> upgradeToWebSocket(const ServerContext& ctx, WorkerIo& w,
                                                Stream& stream, boost::beast::flat_buffer& buffer,
                                                BeastRequest req, std::string hub,
                                                upstream::MultiMap query, AccessLogLine& access);

}  // namespace wps::transport
