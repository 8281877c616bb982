#include "bench/net.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <future>

namespace wps::bench {

LoopGroup::LoopGroup(size_t threads) {
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i)
    loops_.push_back(std::make_unique<asio::io_context>(1));
}

LoopGroup::~LoopGroup() {
  stop();
}

void LoopGroup::start() {
  if (running_) return;
  running_ = true;
  for (auto& loop : loops_) {
    asio::io_context* io = loop.get();
    threads_.emplace_back([io] {
      auto guard = asio::make_work_guard(*io);
      io->run();
    });
  }
}

void LoopGroup::runAndWait(size_t i, std::function<void()> f) {
  std::promise<void> done;
  auto future = done.get_future();
  asio::post(at(i), [&] {
    f();
    done.set_value();
  });
  future.wait();
}

void LoopGroup::stop() {
  if (!running_) return;
  for (auto& loop : loops_)
    loop->stop();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  running_ = false;
}

error_code prepareSocket(tcp::socket& socket, uint32_t sourceAddressV4, bool linger0) {
  error_code ec;
  if (socket.is_open()) socket.close(ec);
  socket.open(tcp::v4(), ec);
  if (ec) return ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (linger0) socket.set_option(asio::socket_base::linger(true, 0), ec);
  if (sourceAddressV4 != 0) {
    int one = 1;
    const int fd = socket.native_handle();
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    socket.bind(tcp::endpoint(asio::ip::address_v4(sourceAddressV4), 0), ec);
    if (ec) return ec;
  }
  socket.non_blocking(true, ec);
  return ec;
}

uint32_t loopbackSource(size_t i, size_t count) {
  return (127u << 24) | static_cast<uint32_t>(2 + i % std::max<size_t>(1, count));
}

bool parseHttpUrl(const std::string& url, std::string* host, uint16_t* port) {
  const bool https = url.rfind("https://", 0) == 0;
  if (!https && url.rfind("http://", 0) != 0) return false;
  std::string rest = url.substr(https ? 8 : 7);
  auto slash = rest.find('/');
  if (slash != std::string::npos) rest = rest.substr(0, slash);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    *host = rest;
    *port = https ? 443 : 80;
    return !rest.empty();
  }
  *host = rest.substr(0, colon);
  const std::string p = rest.substr(colon + 1);
  if (p.empty() || p.size() > 5 || host->empty()) return false;
  unsigned long v = std::strtoul(p.c_str(), nullptr, 10);
  if (v == 0 || v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

void Writer::flush(const std::function<void(const error_code&)>& onError) {
  if (writing_ || pending_.empty()) return;
  if (tls_) {
    inflight_.swap(pending_);
    pending_.clear();
    writeAsync(onError);
    return;
  }
  const int fd = socket_.native_handle();
  ssize_t n = ::send(fd, pending_.data(), pending_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      pending_.clear();
      onError(error_code(errno, boost::system::system_category()));
      return;
    }
    n = 0;
  }
  if (static_cast<size_t>(n) == pending_.size()) {
    pending_.clear();
    return;
  }
  inflight_.assign(pending_, static_cast<size_t>(n), std::string::npos);
  pending_.clear();
  writeAsync(onError);
}

void Writer::writeAsync(const std::function<void(const error_code&)>& onError) {
  writing_ = true;
  auto done = [this, onError, gen = generation_](const error_code& ec, size_t) {
    if (gen != generation_) return;
    writing_ = false;
    inflight_.clear();
    if (ec) {
      if (ec != asio::error::operation_aborted) onError(ec);
      return;
    }
    flush(onError);
  };
  if (tls_) {
    asio::async_write(*tls_, asio::buffer(inflight_), std::move(done));
  } else {
    asio::async_write(socket_, asio::buffer(inflight_), std::move(done));
  }
}

std::shared_ptr<asio::ssl::context> makeClientTlsContext(const std::string& caFile) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_default_verify_paths();
  if (!caFile.empty()) ctx->load_verify_file(caFile);
  ctx->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

void startTlsHandshake(TlsSocket& tls, const std::string& host,
                       std::function<void(const error_code&)> done) {
  error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) SSL_set_tlsext_host_name(tls.native_handle(), host.c_str());
  tls.set_verify_callback(asio::ssl::host_name_verification(host));
  tls.async_handshake(asio::ssl::stream_base::client, std::move(done));
}

namespace {
// One receive buffer per loop thread, shared by all its connections.
constexpr size_t kThreadBufferBytes = 256 * 1024;
thread_local std::unique_ptr<char[]> tThreadBuffer;
char* threadBuffer() {
  if (!tThreadBuffer) tThreadBuffer = std::make_unique<char[]>(kThreadBufferBytes);
  return tThreadBuffer.get();
}
}  // namespace

void Reader::start(Consume consume, OnEnd onEnd, bool buffered) {
  consume_ = std::move(consume);
  onEnd_ = std::move(onEnd);
  tail_.clear();
  used_ = 0;
  buffered_ = buffered || tls_ != nullptr;
  ++generation_;
  if (buffered_) {
    armBuffered();
  } else {
    arm();
  }
}

void Reader::armBuffered() {
  constexpr size_t kMinRoom = 16 * 1024;
  if (tail_.size() - used_ < kMinRoom) tail_.resize(std::max(tail_.size() * 2, used_ + kMinRoom));
  auto done = [this, gen = generation_](const error_code& ec, size_t n) {
    if (gen == generation_) onRead(ec, n);
  };
  auto room = asio::buffer(tail_.data() + used_, tail_.size() - used_);
  if (tls_) {
    tls_->async_read_some(room, std::move(done));
  } else {
    socket_.async_read_some(room, std::move(done));
  }
}

void Reader::onRead(const error_code& ec, size_t n) {
  if (ec) {
    if (ec != asio::error::operation_aborted) onEnd_(ec);
    return;
  }
  used_ += n;
  const uint64_t gen = generation_;
  const ptrdiff_t consumed = consume_(tail_.data(), used_);
  if (consumed < 0 || gen != generation_) return;
  const size_t c = static_cast<size_t>(consumed);
  if (c > 0 && c < used_) std::memmove(tail_.data(), tail_.data() + c, used_ - c);
  used_ -= c;
  armBuffered();
}

void Reader::arm() {
  socket_.async_wait(tcp::socket::wait_read, [this, gen = generation_](const error_code& ec) {
    if (gen == generation_) onReadable(ec);
  });
}

void Reader::onReadable(const error_code& ec) {
  if (ec) {
    if (ec != asio::error::operation_aborted) onEnd_(ec);
    return;
  }
  const int fd = socket_.native_handle();
  // A few reads per wake-up, then yield to the other connections of this loop.
  for (int round = 0; round < 4; ++round) {
    ssize_t n;
    if (tail_.empty()) {
      char* buf = threadBuffer();
      n = ::recv(fd, buf, kThreadBufferBytes, MSG_DONTWAIT);
      if (n > 0) {
        const uint64_t gen = generation_;
        ptrdiff_t used = consume_(buf, static_cast<size_t>(n));
        if (used < 0 || gen != generation_) return;
        if (static_cast<size_t>(used) < static_cast<size_t>(n))
          tail_.assign(buf + used, static_cast<size_t>(n) - static_cast<size_t>(used));
      }
    } else {
      const size_t old = tail_.size();
      const size_t room = std::max<size_t>(64 * 1024, old);
      tail_.resize(old + room);
      n = ::recv(fd, tail_.data() + old, room, MSG_DONTWAIT);
      tail_.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
      if (n > 0) {
        const uint64_t gen = generation_;
        ptrdiff_t used = consume_(tail_.data(), tail_.size());
        if (used < 0 || gen != generation_) return;
        tail_.erase(0, static_cast<size_t>(used));
        if (tail_.empty()) std::string().swap(tail_);  // give the memory back
      }
    }
    if (n == 0) {
      onEnd_(asio::error::eof);
      return;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      onEnd_(error_code(errno, boost::system::system_category()));
      return;
    }
  }
  arm();
}

}  // namespace wps::bench
