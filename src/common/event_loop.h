// The only door between threads. Each worker owns one EventLoop; objects owned by a worker are
// touched only from its loop thread, and other threads reach them by post().
// Implementations: asio/asio_event_loop (production), tests/fakes/manual_event_loop (tests,
// manual time).
#pragma once

#include <functional>
#include <memory>

#include "common/time.h"

namespace wps {

// A pending timer. Destroying it or calling cancel() guarantees the callback will not run
// (when done on the loop thread). Owned by whoever scheduled it; loop-thread only.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void cancel() = 0;
};

class EventLoop {
 public:
  using Task = std::function<void()>;

  virtual ~EventLoop() = default;

  // Thread-safe. Queues `task` to run on the loop thread. Tasks posted from one thread run in
  // the order they were posted. Tasks posted after shutdown may be dropped.
  virtual void post(Task task) = 0;

  // Loop thread only. Runs `task` on the loop thread once `delay` has passed, unless the
  // returned Timer is cancelled or destroyed first.
  virtual std::unique_ptr<Timer> schedule(Duration delay, Task task) = 0;

  // Thread-safe. Monotonic time and wall time as seen by this loop (fakes control both).
  virtual TimePoint now() const = 0;
  virtual WallTime wallNow() const = 0;

  // Thread-safe. True when called from this loop's thread.
  virtual bool isInLoopThread() const = 0;

  // Index of the worker that owns this loop (0..N-1).
  virtual size_t index() const = 0;
};

}  // namespace wps
