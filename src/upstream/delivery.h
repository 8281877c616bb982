// Sends one upstream request with the retry policy of upstream-cloudevents.md §7.3: 408, 5xx
// and transport failures are retried after each configured delay (1 s, 3 s, 5 s by default),
// all within a deadline; every attempt sends the identical request (same ce-id).
// Owned by one worker; loop-thread only.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "common/event_loop.h"
#include "trace/tracer.h"
#include "upstream/upstream_client.h"

namespace wps::upstream {

// True for outcomes worth another attempt: HTTP 408, any 5xx, kUnavailable.
bool isRetryable(const StatusOr<http::HttpResponse>& outcome);

class Delivery {
 public:
  Delivery(EventLoop& loop, UpstreamClient& client,
           std::vector<std::chrono::milliseconds> retryDelays)
      : loop_(loop), client_(client), retryDelays_(std::move(retryDelays)) {}

  // Sends `request` until a non-retryable outcome, the last attempt, or `deadline`. `done`
  // receives the final outcome (kDeadlineExceeded when the deadline passed first) on the loop
  // thread, exactly once, unless the returned handle is destroyed first (cancellation).
  std::unique_ptr<RequestHandle> send(http::HttpRequest request, TimePoint deadline,
                                      UpstreamClient::Callback done);

  // Loop thread (a reload): the delay schedule of requests sent from now on; attempts in flight
  // read it when they retry.
  void setRetryDelays(std::vector<std::chrono::milliseconds> delays) {
    retryDelays_ = std::move(delays);
  }

  EventLoop& loop() { return loop_; }
  UpstreamClient& client() { return client_; }
  // Every attempt becomes a live-trace event while `tracer` has viewers (null = never).
  void traceInto(trace::Tracer* tracer) { tracer_ = tracer; }

  class Attempt;  // implementation detail (delivery.cc)

 private:
  EventLoop& loop_;
  UpstreamClient& client_;
  std::vector<std::chrono::milliseconds> retryDelays_;
  trace::Tracer* tracer_ = nullptr;
};

}  // namespace wps::upstream
