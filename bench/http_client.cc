#include "bench/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <optional>

#include <sys/socket.h>
#include <sys/time.h>

#include "common/strings.h"

namespace wps::bench {

namespace {

using http::http1::ResponseParser;

// Whether the server announced it closes the connection after this response.
bool closesConnection(const http::HttpResponse& response) {
  for (std::string_view value : http::findAllHeaders(response.headers, "Connection")) {
    for (std::string_view option : split(value, ',')) {
      if (iequals(trim(option), "close")) return true;
    }
  }
  return false;
}

}  // namespace

HttpConn::HttpConn(asio::io_context& io, HttpListener& listener)
    : socket_(io), listener_(listener), writer_(socket_), reader_(socket_) {}

HttpConn::~HttpConn() {
  error_code ec;
  socket_.close(ec);
}

void HttpConn::start(const tcp::endpoint& server, asio::ssl::context* tls,
                     const std::string& tlsHost) {
  close();
  if (tls && !tls_) {
    tls_ = std::make_unique<TlsSocket>(socket_, *tls);
    writer_.setTls(tls_.get());
    reader_.setTls(tls_.get());
  }
  error_code ec = prepareSocket(socket_, 0, false);
  connecting_ = true;
  if (ec) {
    asio::post(socket_.get_executor(), [this, gen = generation_, why = "socket: " + ec.message()] {
      if (gen == generation_) fail(why);
    });
    return;
  }
  socket_.async_connect(server, [this, tlsHost, gen = generation_](const error_code& e) {
    if (gen != generation_) return;
    if (e) {
      connecting_ = false;
      fail("connect: " + e.message());
      return;
    }
    if (!tls_) {
      opened();
      return;
    }
    startTlsHandshake(*tls_, tlsHost, [this, gen](const error_code& he) {
      if (gen != generation_) return;
      if (he) {
        connecting_ = false;
        fail("TLS handshake: " + he.message());
        return;
      }
      opened();
    });
  });
}

void HttpConn::opened() {
  connecting_ = false;
  open_ = true;
  reader_.start(
      [this](char* data, size_t len) { return consume(data, len); },
      [this](const error_code& err) {
        fail(err == asio::error::eof ? "connection closed by the peer" : "read: " + err.message());
      });
  listener_.onOpen(*this);
}

void HttpConn::flush() {
  writer_.flush([this](const error_code& ec) { fail("write: " + ec.message()); });
}

void HttpConn::close() {
  ++generation_;
  parser_ = ResponseParser();
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
  std::string_view rest(data, len);
  while (!rest.empty()) {
    const ResponseParser::Result result = parser_.feed(rest);
    if (result == ResponseParser::Result::kError) {
      fail("malformed HTTP response: " + parser_.error().message());
      return -1;
    }
    if (result == ResponseParser::Result::kNeedMore) break;  // the parser keeps the bytes
    rest = rest.substr(rest.size() - parser_.unconsumed());
    if (!deliver()) return -1;
  }
  return static_cast<ptrdiff_t>(len);
}

bool HttpConn::deliver() {
  const uint64_t gen = generation_;
  const http::HttpResponse response = parser_.take();
  parser_ = ResponseParser();
  listener_.onResponse(*this, response.status, response.body);
  if (gen != generation_) return false;  // closed (or restarted) by the listener
  if (closesConnection(response)) {
    fail("the server closed the connection (Connection: close)");
    return false;
  }
  return true;
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
    error_code ec;
    char buf[8192];
    timeval tv{5, 0};  // never hang on a silent peer
    setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ResponseParser parser;
    ResponseParser::Result result = ResponseParser::Result::kNeedMore;
    while (result == ResponseParser::Result::kNeedMore) {
      const size_t n = s.read_some(asio::buffer(buf), ec);
      if (n > 0) result = parser.feed(std::string_view(buf, n));
      if (ec && result == ResponseParser::Result::kNeedMore) {
        result = ec == asio::error::eof ? parser.finishOnEof() : ResponseParser::Result::kError;
      }
    }
    if (result != ResponseParser::Result::kComplete) return std::nullopt;
    http::HttpResponse response = parser.take();
    if (response.status != 200) return std::nullopt;
    return std::move(response.body);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace wps::bench
