// Short text/plain answers written straight to a Beast stream, before the connection is closed:
// the HTTP session's 400/413 and the WebSocket upgrade's refusals. Templates over the stream:
// instantiated in http_reply.cc for beast::tcp_stream and beast::ssl_stream<beast::tcp_stream>
// only. Includes Beast (tcp_stream only): include it only from files that already need Beast.
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
template <class Stream>
boost::asio::awaitable<void> writeSimple(
    Stream& stream, int status, std::string_view body, bool keepAlive,
    std::vector<std::pair<std::string, std::string>> extra = {});

// Half-closes and discards what the peer still sends (e.g. the rest of a refused body) for a
// short while, so that it reads our answer instead of a connection reset.
template <class Stream>
boost::asio::awaitable<void> lingeringClose(Stream& stream);

}  // namespace wps::transport
