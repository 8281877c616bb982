#include "trace/tracer.h"

#include <algorithm>
#include <chrono>

namespace wps::trace {

void Tracer::publish(Event event) {
  if (!active()) return;
  event.unixMillis = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::vector<Registry::Viewer> targets;
  {
    MutexLock lock(registry_->mu);
    targets = registry_->list;
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    // The last viewer takes the event itself; the others get copies.
    bool woke = i + 1 == targets.size() ? targets[i].queue->push(std::move(event))
                                        : targets[i].queue->push(event);
    if (woke) (*targets[i].wake)();
  }
}

std::unique_ptr<Tracer::Subscription> Tracer::attach(size_t capacity, std::function<void()> wake) {
  auto queue = std::make_shared<ViewerQueue>(capacity);
  {
    MutexLock lock(registry_->mu);
    registry_->list.push_back(
        {queue, std::make_shared<const std::function<void()>>(std::move(wake))});
    registry_->viewers.store(registry_->list.size(), std::memory_order_relaxed);
  }
  return std::make_unique<Subscription>(registry_, std::move(queue));
}

Tracer::Subscription::~Subscription() {
  MutexLock lock(registry_->mu);
  const ViewerQueue* queue = queue_.get();
  std::erase_if(registry_->list,
                [queue](const Registry::Viewer& v) { return v.queue.get() == queue; });
  registry_->viewers.store(registry_->list.size(), std::memory_order_relaxed);
}

}  // namespace wps::trace
