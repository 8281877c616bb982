#include "server/trace_viewer.h"

#include <utility>

#include "trace/format.h"

namespace wps::server {

std::shared_ptr<TraceViewer> TraceViewer::attach(trace::Tracer& tracer, EventLoop& loop,
                                                 size_t capacity) {
  auto viewer = std::make_shared<TraceViewer>(tracer);
  std::weak_ptr<TraceViewer> weak = viewer;
  viewer->subscription_ = tracer.attach(capacity, [weak, &loop] {
    loop.post([weak] {
      if (auto v = weak.lock()) v->onWake();
    });
  });
  return viewer;
}

void TraceViewer::next(std::function<void(std::string)> deliver) {
  if (cancelled_) {
    deliver(std::string());
    return;
  }
  if (!greeted_) {
    greeted_ = true;
    // An SSE comment line of padding first: some proxies buffer a stream's first bytes.
    deliver(": " + std::string(512, ' ') + "\n\n" +
            trace::sseMessage("{\"category\":\"trace\",\"event\":\"connected\"}"));
    return;
  }
  std::string chunk = takeChunk();
  if (!chunk.empty()) {
    deliver(std::move(chunk));
    return;
  }
  pending_ = std::move(deliver);
}

void TraceViewer::cancel() {
  cancelled_ = true;
  subscription_.reset();  // no more events; the tracer goes quiet if this was the last viewer
  if (auto deliver = std::exchange(pending_, nullptr)) deliver(std::string());
}

void TraceViewer::onWake() {
  if (!pending_ || cancelled_) return;
  std::string chunk = takeChunk();
  if (chunk.empty()) return;
  std::exchange(pending_, nullptr)(std::move(chunk));
}

std::string TraceViewer::takeChunk() {
  if (!subscription_) return std::string();
  trace::ViewerQueue::Batch batch = subscription_->queue().take();
  std::string out;
  if (batch.skipped > 0) out += trace::sseMessage(trace::skippedJson(batch.skipped));
  for (const trace::Event& e : batch.events)
    out += trace::sseMessage(trace::eventJson(e, tracer_.includePayloads()));
  return out;
}

}  // namespace wps::server
