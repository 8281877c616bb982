#include "transport/http_reply.h"

#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>

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

asio::awaitable<void> writeSimple(boost::beast::tcp_stream& stream, int status,
                                  std::string_view body, bool keepAlive,
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

asio::awaitable<void> lingeringClose(boost::beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(2));
  char sink[16384];
  size_t total = 0;
  while (total < 8 * 1024 * 1024) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (rec) break;
    total += n;
  }
}

}  // namespace wps::transport
