#include "support/http_request.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "common/strings.h"

namespace wps::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

http::HttpResponse httpRequest(uint16_t port, const std::string& method,
                                      const std::string& target,
                                      const http::HttpHeaders& headers,
                                      const std::string& body) {
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
  std::string data;
  char buf[65536];
  for (;;) {
    size_t n = socket.read_some(asio::buffer(buf), ec);
    data.append(buf, n);
    if (ec) break;
  }
  size_t headEnd = data.find("\r\n\r\n");
  if (headEnd == std::string::npos || data.compare(0, 5, "HTTP/") != 0) return res;
  auto lines = split(std::string_view(data).substr(0, headEnd), '\n');
  res.status = std::atoi(std::string(trim(lines[0]).substr(9, 3)).c_str());
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = trim(lines[i]);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    res.headers.push_back(
        {std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
  }
  res.body = data.substr(headEnd + 4);
  return res;
}

}  // namespace wps::test
