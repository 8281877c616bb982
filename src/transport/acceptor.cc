#include "transport/acceptor.h"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "common/log.h"
#include "core/engine.h"

namespace wps::transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Acceptor::Acceptor(WorkerPool& workers, std::atomic<bool>& accepting, OnAccepted onAccepted)
    : workers_(workers),
      io_(workers.at(0).io),
      accepting_(accepting),
      onAccepted_(std::move(onAccepted)),
      backoff_(io_) {}

bool isResourceExhaustion(const boost::system::error_code& ec) {
  namespace errc = boost::system::errc;
  return ec == errc::too_many_files_open || ec == errc::too_many_files_open_in_system ||
         ec == errc::no_buffer_space || ec == errc::not_enough_memory;
}

StatusOr<uint16_t> Acceptor::listen(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
      return Status(StatusCode::kUnavailable, "cannot resolve listen host " + host);
    }
    addr = results.begin()->endpoint().address();
  }
  tcp::endpoint ep(addr, port);
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(4096, ec);
  if (ec) {
    acceptor_.reset();
    return Status(StatusCode::kUnavailable,
                  "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  return acceptor_->local_endpoint().port();
}

void Acceptor::start() {
  if (acceptor_) asio::post(io_, [this] { accept(); });
}

void Acceptor::stop() {
  asio::post(io_, [this] {
    accepting_ = false;
    backoff_.cancel();
    if (acceptor_) {
      boost::system::error_code ec;
      acceptor_->close(ec);
    }
  });
}

void Acceptor::accept() {
  if (!accepting_ || !acceptor_) return;
  WorkerIo& target = workers_.at(nextWorker_++ % workers_.size());
  acceptor_->async_accept(target.io,
                          [this, &target](const boost::system::error_code& ec, tcp::socket socket) {
                            if (ec == asio::error::operation_aborted || !accepting_) return;
                            if (ec) {
                              onAcceptError(ec);
                              return;
                            }
                            nextBackoff_ = kAcceptBackoffMin;
                            onAccepted_(target, std::move(socket));
                            accept();
                          });
}

void Acceptor::onAcceptError(const boost::system::error_code& ec) {
  if (core::Engine* engine = workers_.at(0).engine) {
    metrics::Metrics::inc(engine->worker(0).counters.acceptErrors);
  }
  logAcceptError(ec);
  if (!isResourceExhaustion(ec)) {
    accept();
    return;
  }
  backoff_.expires_after(nextBackoff_);
  nextBackoff_ = std::min(nextBackoff_ * 2, kAcceptBackoffMax);
  backoff_.async_wait([this](const boost::system::error_code& wec) {
    if (!wec) accept();
  });
}

void Acceptor::logAcceptError(const boost::system::error_code& ec) {
  auto now = std::chrono::steady_clock::now();
  if (now - lastLog_ < std::chrono::seconds(1)) {
    ++suppressedLogs_;
    return;
  }
  if (isResourceExhaustion(ec)) {
    WPS_LOG_WARN(
        "accept failed: {}; retrying after {} ms ({} accept errors since the previous "
        "message were not logged)",
        ec.message(), nextBackoff_.count(), suppressedLogs_);
  } else {
    WPS_LOG_WARN("accept failed: {} ({} accept errors since the previous message were not logged)",
                 ec.message(), suppressedLogs_);
  }
  lastLog_ = now;
  suppressedLogs_ = 0;
}

}  // namespace wps::transport
