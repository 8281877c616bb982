// The listening socket: binds, then accepts connections and deals them round-robin to the
// workers. What to do with an accepted socket is the caller's (the Runtime starts an HTTP
// session). No Beast.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "transport/workers.h"

namespace wps::transport {

// After an accept fails for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) the acceptor waits
// before it tries again: the first wait, doubled after each further failure up to the last;
// a successful accept starts again from the first. Other accept errors retry at once.
inline constexpr std::chrono::milliseconds kAcceptBackoffMin{50};
inline constexpr std::chrono::milliseconds kAcceptBackoffMax{500};

// True for the accept errors that back off (the process or system is out of a resource).
bool isResourceExhaustion(const boost::system::error_code& ec);

// Owned by the Runtime. listen() runs on the control thread before start(); from start() on the
// acceptor lives on worker 0's loop thread, where stop() posts its work.
class Acceptor {
 public:
  // Called on worker 0's thread with a socket bound to `worker`'s io_context.
  using OnAccepted = std::function<void(WorkerIo& worker, boost::asio::ip::tcp::socket socket)>;

  // `accepting` is shared with the HTTP sessions: stop() clears it.
  Acceptor(WorkerPool& workers, std::atomic<bool>& accepting, OnAccepted onAccepted);

  // Binds the listening socket. Port 0 picks a free port. Returns the bound port. Errors:
  // kUnavailable with the OS message (address in use, permission denied, bad address).
  StatusOr<uint16_t> listen(const std::string& host, uint16_t port);
  // Starts accepting (when listen() succeeded). After the workers started.
  void start();
  // Thread-safe. Stops accepting and closes the listening socket (on worker 0's thread).
  void stop();

 private:
  void accept();
  // On worker 0's thread: counts a failed accept, logs it (at most once per second, saying how
  // many were suppressed) and accepts again, after a back-off when resources ran out.
  void onAcceptError(const boost::system::error_code& ec);
  void logAcceptError(const boost::system::error_code& ec);

  WorkerPool& workers_;
  boost::asio::io_context& io_;  // worker 0's
  std::atomic<bool>& accepting_;
  OnAccepted onAccepted_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  size_t nextWorker_ = 0;
  boost::asio::steady_timer backoff_;
  std::chrono::milliseconds nextBackoff_ = kAcceptBackoffMin;
  std::chrono::steady_clock::time_point lastLog_{};
  uint64_t suppressedLogs_ = 0;  // accept errors not logged since lastLog_
};

}  // namespace wps::transport
