// The bounded queue of one live-trace viewer. Producers (any worker or the outbox thread) push;
// the viewer's own thread takes. When the queue is full, events are counted as skipped instead
// of stored, so a slow viewer costs at most `capacity` events of memory; the next take() reports
// how many were skipped. Thread-safe (one mutex, held for a push or a swap only).
#pragma once

#include <cstddef>
#include <vector>

#include "common/mutex.h"
#include "trace/event.h"

namespace wps::trace {

class ViewerQueue {
 public:
  // `capacity` >= 1: the most events held at once.
  explicit ViewerQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Adds `event`, or counts it as skipped when the queue holds `capacity` events. Returns true
  // when the queue was empty before (the consumer should be woken), false otherwise.
  bool push(Event event) EXCLUDES(mu_);

  struct Batch {
    size_t skipped = 0;  // events dropped since the previous take(), before `events`
    std::vector<Event> events;
  };
  // Everything queued (in push order) and the skipped count; both reset.
  Batch take() EXCLUDES(mu_);

  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  Mutex mu_;
  std::vector<Event> events_ GUARDED_BY(mu_);
  size_t skipped_ GUARDED_BY(mu_) = 0;
};

}  // namespace wps::trace
