// One viewer of the live trace: the Server-Sent Events body of GET /trace/events, fed by the
// engine's Tracer through a bounded queue (trace/viewer_queue.h). Producers wake it by posting
// to its worker's loop; a slow viewer gets {"event":"skipped","count":N} instead of the events
// that did not fit. Owned (shared) by the HTTP session that streams it; loop-thread only (the
// worker that received the request), except the wake callback it registers.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/event_loop.h"
#include "trace/tracer.h"
#include "transport/http_handler.h"

namespace wps::server {

class TraceViewer final : public transport::HttpEventStream,
                          public std::enable_shared_from_this<TraceViewer> {
 public:
  // Attaches a new viewer with a queue of `capacity` events to `tracer`, woken on `loop` (which
  // must outlive the viewer's posted tasks: the worker's loop).
  static std::shared_ptr<TraceViewer> attach(trace::Tracer& tracer, EventLoop& loop,
                                             size_t capacity);

  // The first chunk greets ({"category":"trace","event":"connected"}); later ones carry the
  // queued events (one SSE message each), delivered as soon as there are any.
  void next(std::function<void(std::string)> deliver) override;
  void cancel() override;

  explicit TraceViewer(trace::Tracer& tracer) : tracer_(tracer) {}

 private:
  void onWake();
  // The queued events as SSE messages; "" when none.
  std::string takeChunk();

  trace::Tracer& tracer_;
  std::unique_ptr<trace::Tracer::Subscription> subscription_;
  std::function<void(std::string)> pending_;
  bool greeted_ = false;
  bool cancelled_ = false;
};

}  // namespace wps::server
