// The stage histograms of blocking events (metrics/blocking_stages.h) as a session sees them:
// the request and upstream stages are known when the answer arrives (the upstream client
// stamps it), the reply stage when the transport reports the reply frame written.
// Free functions on the session's worker (loop thread).
#pragma once

#include <cstdint>

#include "common/time.h"
#include "core/client_transport.h"
#include "metrics/metrics.h"
#include "upstream/event_dispatcher.h"

namespace wps::core {

// What the reply stage of one answered blocking event needs.
struct ReplyStage {
  bool invoke = false;        // BlockingKind::kInvoke, else kEvent
  TimePoint answered{};       // the answer read; zero: not measured (no stage is observed)
  uint64_t framesBefore = 0;  // the transport's framesQueued() before the reply
};

// Observes the request stage (frame read at `arrived` → request written) and the upstream
// stage (→ answer read) of a blocking event that got an HTTP answer with timing, into
// `counters`; returns what its reply stage needs (answered zero when nothing was observed).
ReplyStage observeAnswerStages(metrics::CounterBlock& counters, metrics::BlockingKind kind,
                               TimePoint arrived, const upstream::DispatchOutcome& outcome,
                               const ClientTransport* transport);

// Observes the reply stage: from the answer read to `written`.
void observeReplyStage(metrics::CounterBlock& counters, const ReplyStage& reply, TimePoint written);

}  // namespace wps::core
