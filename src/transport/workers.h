// The worker threads: one WorkerIo (io_context, EventLoop, upstream HTTP client, WebSocket
// connections) per thread. No Beast.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/settings.h"
#include "transport/worker_io.h"

namespace wps::transport {

// The exit status of the process after an exception escaped a worker's event loop.
inline constexpr int kWorkerCrashExitCode = 70;  // EX_SOFTWARE

// Runs `io` on the calling thread (worker `workerId`) until it is stopped. An exception that
// escapes a handler (e.g. std::bad_alloc) is fatal: it is logged at critical level naming the
// worker and the exception, the log is flushed and the process ends at once with
// kWorkerCrashExitCode (std::_Exit: no destructors, no unwinding of other threads).
void runWorkerLoop(boost::asio::io_context& io, size_t workerId);

// Owned by the Runtime and driven by the control thread (create, attach, start, stop); each
// WorkerIo is used only on its own thread once start() ran. Besides the workers it holds the
// outbox thread's WorkerIo (event loop and upstream client, no WebSocket connections), started
// separately by startOutbox().
class WorkerPool {
 public:
  // Creates `settings.workers` workers (0 = number of cores) and the outbox thread's WorkerIo,
  // each with its upstream client.
  explicit WorkerPool(const config::ServerSettings& settings);
  // Stops and joins the threads (see stop()).
  ~WorkerPool();

  size_t size() const { return workers_.size(); }
  // Worker `i` (< size()).
  WorkerIo& at(size_t i) { return *workers_[i]; }
  // The outbox thread's I/O (its index is size()).
  WorkerIo& outbox() { return *outbox_; }

  // Gives every worker the engine and the HTTP handler. Before start().
  void attach(core::Engine& engine, HttpHandler& handler);
  // Starts each worker's keep-alive ticker and thread.
  void start();
  // Starts the outbox thread (no ticker). Once, before or after start().
  void startOutbox();
  // Thread-safe. Open WebSocket transports on all workers.
  size_t openWebSockets() const;
  // Thread-safe, idempotent. Stops every loop (the outbox thread's too) and joins the threads;
  // pending work is dropped.
  void stop();

 private:
  static void startThread(WorkerIo& w, std::string name);

  std::vector<std::unique_ptr<WorkerIo>> workers_;
  std::unique_ptr<WorkerIo> outbox_;
  std::once_flag stopOnce_;
};

}  // namespace wps::transport
