// EventLoop over a boost::asio::io_context run by one thread (a transport worker or the cluster
// thread). post() is thread-safe; schedule() is loop-thread only.
#pragma once

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <thread>

#include "common/event_loop.h"

namespace wps::asio_loop {

// Owned by whoever owns the io_context; used on the thread that runs it (see bindToCurrentThread).
class AsioEventLoop : public EventLoop {
 public:
  AsioEventLoop(boost::asio::io_context& io, size_t index) : io_(io), index_(index) {}

  void post(Task task) override;
  std::unique_ptr<Timer> schedule(Duration delay, Task task) override;
  TimePoint now() const override { return Clock::now(); }
  WallTime wallNow() const override { return WallClock::now(); }
  bool isInLoopThread() const override {
    return thread_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }
  size_t index() const override { return index_; }

  // Called by the worker thread before it runs the io_context.
  void bindToCurrentThread() { thread_.store(std::this_thread::get_id()); }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context& io_;
  size_t index_;
  std::atomic<std::thread::id> thread_{};
};

}  // namespace wps::asio_loop
