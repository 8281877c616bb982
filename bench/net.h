// The load generator's I/O: a group of event-loop threads (one io_context each) and the socket
// helpers shared by the WebSocket and HTTP clients. Everything a connection does runs on the
// thread of its io_context; objects are created and destroyed by the owner of that loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace wps::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
// --tls: a client connection's TLS layer over its own socket.
using TlsSocket = asio::ssl::stream<tcp::socket&>;

// A client context verifying the server against `caFile` (PEM; "" = the system CAs). Throws on
// an unreadable file (start-up only).
std::shared_ptr<asio::ssl::context> makeClientTlsContext(const std::string& caFile);
// Starts the client handshake on `tls` for `host` (SNI unless an IP address; the certificate
// must name it); `done` gets its outcome.
void startTlsHandshake(TlsSocket& tls, const std::string& host,
                       std::function<void(const error_code&)> done);

// N threads, each running its own io_context until stop().
class LoopGroup {
 public:
  explicit LoopGroup(size_t threads);
  ~LoopGroup();
  size_t size() const { return loops_.size(); }
  asio::io_context& at(size_t i) { return *loops_[i % loops_.size()]; }
  void start();
  // Runs `f` on loop i and waits for it to finish.
  void runAndWait(size_t i, std::function<void()> f);
  // Stops every loop (pending handlers are dropped, never run) and joins the threads.
  void stop();

 private:
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<std::thread> threads_;
  bool running_ = false;
};

// Opens `socket` for IPv4 with TCP_NODELAY. With a non-zero `source`, binds to source:0 first
// (SO_REUSEADDR + IP_BIND_ADDRESS_NO_PORT, so the port is chosen at connect time and only the
// 4-tuple must be unique). `linger0` makes close() reset the connection (no TIME_WAIT).
error_code prepareSocket(tcp::socket& socket, uint32_t sourceAddressV4, bool linger0);

// 127.0.0.(2 + i % count) as a host-order IPv4 address.
uint32_t loopbackSource(size_t i, size_t count);

// Host and port of "http[s]://HOST[:PORT][/...]"; false if malformed.
bool parseHttpUrl(const std::string& url, std::string* host, uint16_t* port);

// Output side of a connection: frames/requests are appended to buffer() and flush() sends them,
// directly with a non-blocking send() when the socket takes it, otherwise with async_write
// (further appends wait for that write and are sent together).
class Writer {
 public:
  explicit Writer(tcp::socket& socket) : socket_(socket) {}
  // From now on writes go through `tls` (null: the socket again). Over TLS every flush is one
  // async_write (no direct send()).
  void setTls(TlsSocket* tls) { tls_ = tls; }
  std::string& buffer() { return pending_; }
  // onError is called (on the loop) if the connection fails while writing.
  void flush(const std::function<void(const error_code&)>& onError);
  bool idle() const { return !writing_ && pending_.empty(); }
  // Forgets everything (the socket was closed); completions of earlier writes are ignored.
  void clear() {
    pending_.clear();
    inflight_.clear();
    writing_ = false;
    ++generation_;
  }

 private:
  void writeAsync(const std::function<void(const error_code&)>& onError);

  tcp::socket& socket_;
  TlsSocket* tls_ = nullptr;
  std::string pending_;
  std::string inflight_;
  bool writing_ = false;
  uint64_t generation_ = 0;
};

// Input side, two modes. Buffered (default): async_read_some into a buffer owned by the
// connection (Asio reads speculatively, so no epoll_ctl per read). Unbuffered (idle
// connections): waits for readability and reads with non-blocking recv() into a per-thread
// buffer, so an idle connection holds no receive buffer (each wait costs an epoll_ctl). Only an
// incomplete tail is kept. consume(data, len) returns how many bytes it used (the rest is kept),
// or -1 to stop reading (the connection is being closed).
class Reader {
 public:
  using Consume = std::function<ptrdiff_t(char* data, size_t len)>;
  using OnEnd = std::function<void(const error_code&)>;
  explicit Reader(tcp::socket& socket) : socket_(socket) {}
  // From now on reads go through `tls` (always buffered).
  void setTls(TlsSocket* tls) { tls_ = tls; }
  // Starts reading; `consume` gets every batch of bytes, `onEnd` the end of stream or an error.
  void start(Consume consume, OnEnd onEnd, bool buffered = true);
  // Forgets the tail (the socket was closed); a pending wait's completion is ignored.
  void clear() {
    std::string().swap(tail_);
    used_ = 0;
    ++generation_;
  }

 private:
  void arm();
  void onReadable(const error_code& ec);
  void armBuffered();
  void onRead(const error_code& ec, size_t n);

  tcp::socket& socket_;
  TlsSocket* tls_ = nullptr;
  Consume consume_;
  OnEnd onEnd_;
  std::string tail_;  // unbuffered: the incomplete tail; buffered: the buffer
  size_t used_ = 0;   // buffered: bytes of tail_ holding data
  bool buffered_ = true;
  uint64_t generation_ = 0;
};

// xorshift64*: fast non-cryptographic randomness for masking keys and jitter.
class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }

 private:
  uint64_t state_;
};

}  // namespace wps::bench
