// An UpstreamClient decorator that measures every request: its latency, by event class (from
// the request's ce-type) and outcome, goes to the upstream latency histogram of the owner's
// CounterBlock (webpubsubd_upstream_request_duration_seconds, docs/metrics.md).
// Owned by one worker (or the outbox thread) with the client it wraps; loop-thread only.
#pragma once

#include <memory>

#include "metrics/metrics.h"
#include "upstream/upstream_client.h"

namespace wps::upstream {

class InstrumentedUpstreamClient final : public UpstreamClient {
 public:
  explicit InstrumentedUpstreamClient(UpstreamClient& inner) : inner_(inner) {}

  // Where latencies are recorded from now on (null = nowhere). The block must outlive every
  // request sent while it is set (it belongs to the same thread's context).
  void recordInto(metrics::CounterBlock* block) { block_ = block; }

  std::unique_ptr<RequestHandle> send(const http::HttpRequest& request, Duration timeout,
                                      Callback done) override;
  void countOverflowsIn(metrics::Counter* counter) override { inner_.countOverflowsIn(counter); }

 private:
  UpstreamClient& inner_;
  metrics::CounterBlock* block_ = nullptr;
};

}  // namespace wps::upstream
