// One worker thread's I/O: its io_context and EventLoop, its upstream HTTP client, a shared
// receive buffer for its sockets, and the list of its WebSocket connections (keep-alive sweep,
// shutdown). Owned by the Runtime; after start() used only on its own thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "asio/asio_event_loop.h"
#include "upstream/upstream_client.h"

namespace wps::core {
class Engine;
}

namespace wps::transport {

class WsConnection;
class HttpHandler;

class WorkerIo {
 public:
  explicit WorkerIo(size_t index);
  ~WorkerIo();

  size_t index;
  boost::asio::io_context io;
  asio_loop::AsioEventLoop loop;
  std::unique_ptr<upstream::UpstreamClient> upstream;
  std::vector<char> scratch;  // receive buffer shared by this worker's sockets
  core::Engine* engine = nullptr;
  HttpHandler* handler = nullptr;

  void addConnection(WsConnection* c);
  void removeConnection(WsConnection* c);
  // Thread-safe.
  size_t connectionCount() const { return count_.load(std::memory_order_relaxed); }
  // Calls fn for every connection (fn may close connections; removal is deferred).
  template <class F>
  void forEachConnection(F fn) {
    for (WsConnection* c = head_; c;) {
      WsConnection* next = nextOf(c);
      fn(*c);
      c = next;
    }
  }
  // Defers starting `c`'s write to one task posted per loop turn: frames queued by several
  // handlers that run back to back (a burst of broadcasts) leave in one writev per connection.
  void scheduleFlush(std::shared_ptr<WsConnection> c);

  // Starts the 1 s keep-alive sweep.
  void startTicker();
  void stopTicker();

  std::thread thread;

 private:
  static WsConnection* nextOf(WsConnection* c);
  void tick();
  void flushDirty();

  WsConnection* head_ = nullptr;
  std::atomic<size_t> count_{0};
  std::unique_ptr<boost::asio::steady_timer> ticker_;
  std::vector<std::shared_ptr<WsConnection>> dirty_;  // last: they unlink themselves on death
  std::vector<std::shared_ptr<WsConnection>> flushing_;
};

}  // namespace wps::transport
