// A minimal keep-alive HTTP/1.1 client connection for the load generator (REST calls, the
// direct baseline): the caller writes request text into out() and flush()es; responses are
// parsed with the project's HTTP/1.1 client codec (wps::http::http1::ResponseParser) and delivered
// in order. Pipelining works: several requests may be written before their answers. Used only on
// its loop's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/net.h"
#include "http/http1.h"

namespace wps::bench {

class HttpConn;

class HttpListener {
 public:
  virtual ~HttpListener() = default;
  virtual void onOpen(HttpConn& conn) = 0;
  virtual void onResponse(HttpConn& conn, int status, std::string_view body) = 0;
  // Connection failed or ended. Not called after close().
  virtual void onClosed(HttpConn& conn, std::string_view why) = 0;
};

class HttpConn {
 public:
  HttpConn(asio::io_context& io, HttpListener& listener);
  ~HttpConn();
  // `tls` (--tls): https with this context, verifying the certificate for `tlsHost`. Over TLS
  // a connection is started once only.
  void start(const tcp::endpoint& server, asio::ssl::context* tls = nullptr,
             const std::string& tlsHost = "");
  std::string& out() { return writer_.buffer(); }
  void flush();
  void close();
  bool isOpen() const { return open_; }

  uint64_t tag = 0;
  uint64_t outstanding = 0;  // free for the owner

 private:
  ptrdiff_t consume(char* data, size_t len);
  // Delivers the response the parser has completed; false when the connection ended meanwhile.
  bool deliver();
  void opened();
  void fail(std::string_view why);

  tcp::socket socket_;
  std::unique_ptr<TlsSocket> tls_;
  HttpListener& listener_;
  Writer writer_;
  Reader reader_;
  http::http1::ResponseParser parser_;  // the response being received
  bool open_ = false;
  bool connecting_ = false;
  uint64_t generation_ = 0;
};

// Blocking one-shot GET (Connection: close) for control requests such as the upstream's
// /stats. Returns the body of a 200 answer; nullopt on any failure.
std::optional<std::string> httpGet(const std::string& host, uint16_t port, const std::string& path);

}  // namespace wps::bench
