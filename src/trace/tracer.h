// The live-trace switchboard (docs/operations.md, Live trace). Producers on any thread call
// active() before building an event; it is one relaxed atomic load, false while nobody watches,
// so tracing costs nothing measurable without a viewer. With viewers, publish() hands the event
// to each viewer's bounded queue and wakes a viewer whose queue was empty through its `wake`
// callback (which posts to the viewer's own loop). Thread-safe; owned by the Engine and outlives
// every producer. Viewers' subscriptions share its registry, so they may outlive it.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "common/mutex.h"
#include "trace/event.h"
#include "trace/viewer_queue.h"

namespace wps::trace {

class Tracer {
 public:
  explicit Tracer(bool includePayloads = false)
      : includePayloads_(includePayloads), registry_(std::make_shared<Registry>()) {}

  // True while at least one viewer is attached. Any thread; a relaxed load: an event produced
  // just as the first viewer attaches may be missed, which a live view tolerates.
  bool active() const {
    return __builtin_expect(registry_->viewers.load(std::memory_order_relaxed) != 0, 0);
  }
  // trace.include_payloads: producers attach message payloads only when true.
  bool includePayloads() const { return includePayloads_; }

  // Stamps `event` with the wall time and queues it for every attached viewer. Any thread;
  // does nothing (no lock) without viewers.
  void publish(Event event);

  // A viewer's registration: detaches on destruction. Owned by the viewer's thread.
  struct Registry;
  class Subscription {
   public:
    Subscription(std::shared_ptr<Registry> registry, std::shared_ptr<ViewerQueue> queue)
        : registry_(std::move(registry)), queue_(std::move(queue)) {}
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ViewerQueue& queue() { return *queue_; }

   private:
    std::shared_ptr<Registry> registry_;
    std::shared_ptr<ViewerQueue> queue_;
  };

  // Attaches a viewer with a queue of `capacity` events. `wake` is called on the producing
  // thread, outside any lock of the tracer, when the queue goes from empty to non-empty; it must
  // be thread-safe and cheap (post to the viewer's loop). Any thread.
  std::unique_ptr<Subscription> attach(size_t capacity, std::function<void()> wake);

  size_t viewerCount() const { return registry_->viewers.load(std::memory_order_relaxed); }

  // The attached viewers (shared with their subscriptions). Thread-safe.
  struct Registry {
    struct Viewer {
      std::shared_ptr<ViewerQueue> queue;
      std::shared_ptr<const std::function<void()>> wake;
    };
    std::atomic<size_t> viewers{0};  // list.size(), readable without the lock
    Mutex mu;
    std::vector<Viewer> list GUARDED_BY(mu);
  };

 private:
  const bool includePayloads_;
  const std::shared_ptr<Registry> registry_;
};

}  // namespace wps::trace
