#include "bench/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <optional>

#include <sys/socket.h>
#include <sys/time.h>

#include "common/strings.h"

namespace wps::bench {

ptrdiff_t parseHttpResponse(std::string_view data, int* status, std::string_view* body,
                            bool* close) {
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return data.size() > 64 * 1024 ? -1 : 0;
  // "HTTP/1.1 200 ..."
  if (data.size() < 12 || data.substr(0, 5) != "HTTP/") return -1;
  const size_t sp = data.find(' ');
  if (sp == std::string_view::npos || sp + 4 > end) return -1;
  int code = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    const char c = data[i];
    if (c < '0' || c > '9') return -1;
    code = code * 10 + (c - '0');
  }
  uint64_t contentLength = 0;
  bool connectionClose = false;
  size_t pos = data.find("\r\n");
  while (pos < end) {
    const size_t start = pos + 2;
    const size_t lineEnd = data.find("\r\n", start);
    std::string_view line = data.substr(start, lineEnd - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = line.substr(0, colon);
      std::string_view value = trim(line.substr(colon + 1));
      if (name.size() == 14 && iequals(name, "content-length")) {
        auto v = parseUint64(value);
        if (!v) return -1;
        contentLength = *v;
      } else if (name.size() == 10 && iequals(name, "connection")) {
        connectionClose = iequals(value, "close");
      } else if (name.size() == 17 && iequals(name, "transfer-encoding")) {
        return -1;
      }
    }
    pos = lineEnd;
  }
  if (code == 204 || code == 304 || (code >= 100 && code < 200)) contentLength = 0;
  const size_t total = end + 4 + contentLength;
  if (data.size() < total) return 0;
  *status = code;
  *body = data.substr(end + 4, contentLength);
  *close = connectionClose;
  return static_cast<ptrdiff_t>(total);
}

HttpConn::HttpConn(asio::io_context& io, HttpListener& listener)
    : socket_(io), listener_(listener), writer_(socket_), reader_(socket_) {}

HttpConn::~HttpConn() {
  error_code ec;
  socket_.close(ec);
}

void HttpConn::start(const tcp::endpoint& server) {
  close();
  error_code ec = prepareSocket(socket_, 0, false);
  connecting_ = true;
  if (ec) {
    asio::post(socket_.get_executor(), [this, gen = generation_, why = "socket: " + ec.message()] {
      if (gen == generation_) fail(why);
    });
    return;
  }
  socket_.async_connect(server, [this, gen = generation_](const error_code& e) {
    if (gen != generation_) return;
    connecting_ = false;
    if (e) {
      fail("connect: " + e.message());
      return;
    }
    open_ = true;
    reader_.start([this](char* data, size_t len) { return consume(data, len); },
                  [this](const error_code& err) {
                    fail(err == asio::error::eof ? "connection closed by the peer"
                                                 : "read: " + err.message());
                  });
    listener_.onOpen(*this);
  });
}

void HttpConn::flush() {
  writer_.flush([this](const error_code& ec) { fail("write: " + ec.message()); });
}

void HttpConn::close() {
  ++generation_;
  open_ = false;
  connecting_ = false;
  error_code ec;
  socket_.close(ec);
  writer_.clear();
  reader_.clear();
}

void HttpConn::fail(std::string_view why) {
  if (!open_ && !connecting_) return;
  close();
  listener_.onClosed(*this, why);
}

ptrdiff_t HttpConn::consume(char* data, size_t len) {
  size_t used = 0;
  const uint64_t gen = generation_;
  while (used < len) {
    int status = 0;
    std::string_view body;
    bool closeAfter = false;
    ptrdiff_t n =
        parseHttpResponse(std::string_view(data + used, len - used), &status, &body, &closeAfter);
    if (n < 0) {
      fail("malformed HTTP response");
      return -1;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
    listener_.onResponse(*this, status, body);
    if (gen != generation_) return -1;  // closed (or restarted) by the listener
    if (closeAfter) {
      fail("the server closed the connection (Connection: close)");
      return -1;
    }
  }
  return static_cast<ptrdiff_t>(used);
}

std::optional<std::string> httpGet(const std::string& host, uint16_t port,
                                   const std::string& path) {
  try {
    asio::io_context io;
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address(host), port));
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                      "\r\nConnection: close\r\n\r\n";
    asio::write(s, asio::buffer(req));
    std::string data;
    error_code ec;
    char buf[8192];
    int status = 0;
    std::string_view body;
    bool close = false;
    timeval tv{5, 0};  // never hang on a silent peer
    setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (;;) {
      const size_t n = s.read_some(asio::buffer(buf), ec);
      data.append(buf, n);
      const ptrdiff_t used = parseHttpResponse(data, &status, &body, &close);
      if (used < 0) return std::nullopt;
      if (used > 0) break;
      if (ec) return std::nullopt;
    }
    if (status != 200) return std::nullopt;
    return std::string(body);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace wps::bench
