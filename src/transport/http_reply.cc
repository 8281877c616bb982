#include "transport/http_reply.h"

#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "transport/coro.h"

namespace wps::transport {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

std::string statusLine(int status) {
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
}

}  // namespace

template <class Stream>
asio::awaitable<void> writeSimple(Stream& stream, int status, std::string_view body, bool keepAlive,
                                  std::vector<std::pair<std::string, std::string>> extra) {
  std::string out = statusLine(status);
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  for (const auto& [k, v] : extra)
    out += k + ": " + v + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  out += body;
  co_await asio::async_write(stream, asio::buffer(out), kTuple);
  co_await lingeringClose(stream);
}

template <class Stream>
asio::awaitable<void> lingeringClose(Stream& stream) {
  boost::system::error_code ec;
  auto& lowest = boost::beast::get_lowest_layer(stream);
  lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
  lowest.expires_after(std::chrono::seconds(2));
  char sink[16384];
  size_t total = 0;
  while (total < 8 * 1024 * 1024) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (rec) break;
    total += n;
  }
}

using TcpStream = boost::beast::tcp_stream;
using BeastTls = boost::beast::ssl_stream<boost::beast::tcp_stream>;
template asio::awaitable<void> writeSimple(TcpStream&, int, std::string_view, bool,
                                           std::vector<std::pair<std::string, std::string>>);
template asio::awaitable<void> writeSimple(BeastTls&, int, std::string_view, bool,
                                           std::vector<std::pair<std::string, std::string>>);
template asio::awaitable<void> lingeringClose(TcpStream&);
template asio::awaitable<void> lingeringClose(BeastTls&);

}  // namespace wps::transport
