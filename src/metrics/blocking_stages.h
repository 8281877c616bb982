// The stages of a blocking event (a user event the client waits for: a simple client's message,
// a PubSub `event` request, an `invoke`), each a latency histogram by BlockingKind: client
// frame read → upstream request written → upstream answer read → reply frame written to the
// client's socket (docs/metrics.md, "Blocking event stages"). Their buckets are finer than the
// other latency histograms' (from 50 µs), because on a fast handler every stage is well below
// a millisecond. Constants and pure functions only.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <string_view>

#include "metrics/histogram.h"

namespace wps::metrics {

enum class BlockingStage : size_t {
  kRequest,   // the client's frame read → the upstream request written (waiting behind an
              // earlier blocking event, signing, a pooled connection, earlier failed attempts)
  kUpstream,  // the request written → the answer read completely (network and handler)
  kReply,     // the answer read → the reply frame (message, ack, invokeResponse) written
  kCount,
};
inline constexpr size_t kBlockingStages = static_cast<size_t>(BlockingStage::kCount);

// Upper bounds (seconds) of the stage buckets; as many as kLatencyBounds, so a stage uses the
// same Histogram layout, plus +Inf.
inline constexpr std::array<double, 13> kStageBounds = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.25, 1.0, 10.0};
static_assert(kStageBounds.size() == kLatencyBounds.size());

// The stage bucket of an observation of `d` (negative: the first).
size_t stageBucket(std::chrono::nanoseconds d);

// The metric family of a stage, e.g. webpubsubd_blocking_stage_request_duration_seconds, and
// its HELP text.
std::string_view metricNameOf(BlockingStage s);
std::string_view helpOf(BlockingStage s);

}  // namespace wps::metrics
