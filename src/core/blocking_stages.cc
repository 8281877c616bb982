#include "core/blocking_stages.h"

namespace wps::core {

ReplyStage observeAnswerStages(metrics::CounterBlock& counters, metrics::BlockingKind kind,
                               TimePoint arrived, const upstream::DispatchOutcome& outcome,
                               const ClientTransport* transport) {
  ReplyStage reply;
  reply.invoke = kind == metrics::BlockingKind::kInvoke;
  if (transport) reply.framesBefore = transport->framesQueued();
  if (outcome.kind != upstream::DispatchOutcome::Kind::kCompleted || !outcome.response)
    return reply;
  const http::HttpResponse& r = *outcome.response;
  if (r.requestWritten == TimePoint{} || r.answerRead < r.requestWritten) return reply;
  metrics::Metrics::observeStage(counters, metrics::BlockingStage::kRequest, kind,
                                 r.requestWritten - arrived);
  metrics::Metrics::observeStage(counters, metrics::BlockingStage::kUpstream, kind,
                                 r.answerRead - r.requestWritten);
  reply.answered = r.answerRead;
  return reply;
}

void observeReplyStage(metrics::CounterBlock& counters, const ReplyStage& reply,
                       TimePoint written) {
  if (reply.answered == TimePoint{}) return;
  metrics::Metrics::observeStage(
      counters, metrics::BlockingStage::kReply,
      reply.invoke ? metrics::BlockingKind::kInvoke : metrics::BlockingKind::kEvent,
      written - reply.answered);
}

}  // namespace wps::core
