#include "trace/viewer_queue.h"

#include <utility>

namespace wps::trace {

bool ViewerQueue::push(Event event) {
  MutexLock lock(mu_);
  bool wasEmpty = events_.empty() && skipped_ == 0;
  if (events_.size() >= capacity_) {
    ++skipped_;
  } else {
    events_.push_back(std::move(event));
  }
  return wasEmpty;
}

ViewerQueue::Batch ViewerQueue::take() {
  Batch b;
  MutexLock lock(mu_);
  b.skipped = std::exchange(skipped_, 0);
  b.events.swap(events_);
  return b;
}

}  // namespace wps::trace
