#include "support/http_request.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <vector>

#include "common/strings.h"
#include "http/http1.h"

namespace wps::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using http::http1::ResponseParser;

namespace {

// Reads the response to a `method` request until it is complete (or the server closes the
// connection); status 0 when it is not a well-formed HTTP/1.x response.
http::HttpResponse readResponse(tcp::socket& socket, const std::string& method) {
  // Generous limits: tests may fetch large bodies.
  ResponseParser parser(http::http1::ParserLimits{1024 * 1024, 1024 * 1024 * 1024},
                        /*bodiless=*/method == "HEAD");
  ResponseParser::Result result = ResponseParser::Result::kNeedMore;
  std::vector<char> buf(65536);
  boost::system::error_code ec;
  while (result == ResponseParser::Result::kNeedMore) {
    const size_t n = socket.read_some(asio::buffer(buf), ec);
    if (n > 0) result = parser.feed(std::string_view(buf.data(), n));
    if (ec && result == ResponseParser::Result::kNeedMore) result = parser.finishOnEof();
  }
  if (result != ResponseParser::Result::kComplete) return {};
  return parser.take();
}

}  // namespace

http::HttpResponse httpRequest(uint16_t port, const std::string& method, const std::string& target,
                               const http::HttpHeaders& headers, const std::string& body) {
  http::HttpResponse res;
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return res;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n";
  bool hasLength = false;
  for (const auto& h : headers) {
    req += h.name + ": " + h.value + "\r\n";
    hasLength = hasLength || iequals(h.name, "Content-Length");
  }
  if (!hasLength && (!body.empty() || method == "POST" || method == "PUT")) {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  asio::write(socket, asio::buffer(req), ec);
  if (ec) return res;
  return readResponse(socket, method);
}

}  // namespace wps::test
