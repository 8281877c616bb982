// Short text/plain answers written straight to a Beast stream, before the connection is closed:
// the HTTP session's 400/413 and the WebSocket upgrade's refusals. Includes Beast (tcp_stream
// only): include it only from files that already need Beast.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wps::transport {

// Writes a complete response with `status`, `body` and `extra` headers, then closes lingeringly
// (see lingeringClose). Runs on the stream's loop thread; I/O errors end it quietly.
boost::asio::awaitable<void> writeSimple(
    boost::beast::tcp_stream& stream, int status, std::string_view body, bool keepAlive,
    std::vector<std::pair<std::string, std::string>> extra = {});

// Half-closes and discards what the peer still sends (e.g. the rest of a refused body) for a
// short while, so that it reads our answer instead of a connection reset.
boost::asio::awaitable<void> lingeringClose(boost::beast::tcp_stream& stream);

}  // namespace wps::transport
