#include "core/group_streams.h"

#include <algorithm>

#include "common/errors.h"

namespace wps::core {
namespace {

using metrics::StreamEndReason;

protocol::AckError ackError(std::string_view name, std::string message) {
  return protocol::AckError{std::string(name), std::move(message)};
}

protocol::StreamErrorInfo subscriberError(std::string_view name, std::string message) {
  return protocol::StreamErrorInfo{std::string(name), std::move(message), std::nullopt};
}

}  // namespace

void GroupStreams::start(TimePoint now, const protocol::StreamRequest& r, bool permitted) {
  auto it = active_.find(r.streamId);
  bool valid = !r.problem && permitted;
  if (valid && it != active_.end() && it->second.expected == 1 && it->second.group == r.group) {
    it->second.lastActivity = now;  // the start ack was lost: ack it again
    sink_.sendStreamAck(r.streamId, 1);
    return;
  }
  std::optional<protocol::AckError> refusal;
  if (r.problem) {
    refusal = ackError(errors::kAckBadRequest, errors::invalidStreamMessage(*r.problem));
  } else if (!permitted) {
    refusal = ackError(errors::kAckForbidden, errors::forbiddenGroupMessage("send to", r.group));
  } else if (it != active_.end()) {
    refusal = ackError(errors::kAckBadRequest, std::string(errors::kStreamConflictMessage));
  } else if (active_.size() >= limits_.maxStreams) {
    refusal = ackError(errors::kAckBadRequest, std::string(errors::kStreamTooManyMessage));
  }
  if (refusal) {
    if (it != active_.end()) {
      StreamEndReason reason = r.problem    ? StreamEndReason::kInvalid
                               : !permitted ? StreamEndReason::kForbidden
                                            : StreamEndReason::kConflict;
      finish(
          it, reason,
          subscriberError(errors::kStreamCancelled, std::string(errors::kStreamCancelledMessage)),
          true, std::move(refusal));
    } else {
      close(r.streamId, std::move(refusal));
    }
    return;
  }
  Stream s;
  s.group = r.group;
  s.noEcho = r.noEcho;
  uint64_t idleMs = std::min(r.idleTimeoutMs.value_or(limits_.defaultIdleMs), limits_.maxIdleMs);
  s.idle = std::chrono::milliseconds(idleMs);
  s.lastActivity = now;
  active_.emplace(r.streamId, std::move(s));
  std::erase_if(closed_, [&](const Closed& c) { return c.streamId == r.streamId; });
  if (counters_) {
    metrics::Metrics::inc(counters_->streamsStarted);
    metrics::Metrics::add(counters_->streamsActive, 1);
  }
  sink_.sendStreamAck(r.streamId, 1);
}

void GroupStreams::data(TimePoint now, protocol::StreamRequest r) {
  auto it = active_.find(r.streamId);
  if (it == active_.end()) {
    answerUnknown(r.streamId);
    return;
  }
  Stream& s = it->second;
  if (r.problem) {
    finish(it, StreamEndReason::kInvalid,
           subscriberError(errors::kStreamCancelled, std::string(errors::kStreamCancelledMessage)),
           true, ackError(errors::kAckBadRequest, errors::invalidStreamMessage(*r.problem)));
    return;
  }
  if (!r.sequenceId || *r.sequenceId < s.expected) {  // keep-alive or duplicate
    s.lastActivity = now;
    if (r.sequenceId) {
      s.ackedUpTo = s.expected;
      s.ackDue.reset();
      sink_.sendStreamAck(r.streamId, s.expected);
    }
    return;
  }
  if (*r.sequenceId > s.expected) {  // a gap: not published, not an activity
    if (!s.gapSince) s.gapSince = now;
    sink_.sendStreamNack(
        r.streamId, s.expected,
        ackError(errors::kStreamInvalidSequenceId, errors::streamExpectedMessage(s.expected)));
    return;
  }
  if (!sink_.maySendTo(s.group)) {
    std::string message = errors::forbiddenGroupMessage("send to", s.group);
    finish(it, StreamEndReason::kForbidden, subscriberError(errors::kAckForbidden, message), true,
           ackError(errors::kAckForbidden, message));
    return;
  }
  acceptFragment(now, r.streamId, s, std::move(*r.payload));
}

void GroupStreams::acceptFragment(TimePoint now, const std::string& id, Stream& s,
                                  protocol::Payload payload) {
  protocol::StreamInfo info;
  info.streamId = id;
  info.sequenceId = s.expected;
  sink_.publishStream(s.group, s.noEcho, std::move(info), std::move(payload));
  if (counters_) metrics::Metrics::inc(counters_->streamFragments);
  ++s.expected;
  s.lastActivity = now;
  s.gapSince.reset();
  if (s.expected - s.ackedUpTo >= kAckEvery) {
    flushAck(id, s);
  } else if (!s.ackDue) {
    s.ackDue = now + kAckDelay;
  }
}

void GroupStreams::flushAck(const std::string& id, Stream& s) {
  s.ackDue.reset();
  if (s.expected <= s.ackedUpTo) return;
  s.ackedUpTo = s.expected;
  sink_.sendStreamAck(id, s.expected);
}

void GroupStreams::end(TimePoint, const protocol::StreamRequest& r) {
  auto it = active_.find(r.streamId);
  if (it == active_.end()) {
    answerUnknown(r.streamId);
    return;
  }
  if (r.problem) {
    finish(it, StreamEndReason::kInvalid,
           subscriberError(errors::kStreamCancelled, std::string(errors::kStreamCancelledMessage)),
           true, ackError(errors::kAckBadRequest, errors::invalidStreamMessage(*r.problem)));
    return;
  }
  flushAck(it->first, it->second);
  std::optional<protocol::StreamErrorInfo> error;
  if (r.error) {
    error = protocol::StreamErrorInfo{std::string(errors::kStreamUserError), r.error->message,
                                      r.error->userErrorCode};
  }
  StreamEndReason reason = r.error ? StreamEndReason::kAborted : StreamEndReason::kCompleted;
  finish(it, reason, std::move(error), true, std::nullopt);
}

void GroupStreams::tick(TimePoint now) {
  for (auto it = active_.begin(); it != active_.end();) {
    auto cur = it++;
    Stream& s = cur->second;
    if (s.lastActivity + s.idle <= now) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(s.idle).count();
      std::string message = errors::streamIdleMessage(static_cast<uint64_t>(ms));
      finish(cur, StreamEndReason::kIdleTimeout,
             subscriberError(errors::kStreamIdleTimeout, message), true,
             ackError(errors::kStreamIdleTimeout, message));
    } else if (s.gapSince && *s.gapSince + kGapLimit <= now) {
      finish(
          cur, StreamEndReason::kSequenceGap,
          subscriberError(errors::kStreamCancelled, std::string(errors::kStreamCancelledMessage)),
          true, ackError(errors::kAckBadRequest, std::string(errors::kStreamGapMessage)));
    } else if (s.ackDue && *s.ackDue <= now) {
      flushAck(cur->first, s);
    }
  }
}

std::optional<TimePoint> GroupStreams::nextDeadline() const {
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& [id, s] : active_) {
    consider(s.lastActivity + s.idle);
    if (s.gapSince) consider(*s.gapSince + kGapLimit);
    if (s.ackDue) consider(*s.ackDue);
  }
  return next;
}

void GroupStreams::cancelAll() {
  while (!active_.empty()) {
    finish(active_.begin(), StreamEndReason::kSessionEnd,
           subscriberError(errors::kStreamCancelled, std::string(errors::kStreamCancelledMessage)),
           false, std::nullopt);
  }
}

void GroupStreams::finish(std::map<std::string, Stream>::iterator it, StreamEndReason reason,
                          std::optional<protocol::StreamErrorInfo> subscriberError, bool sendClosed,
                          std::optional<protocol::AckError> closedError) {
  if (counters_) {
    metrics::Metrics::inc(counters_->streamsEnded[static_cast<size_t>(reason)]);
    metrics::Metrics::add(counters_->streamsActive, -1);
  }
  std::string id = it->first;
  Stream s = std::move(it->second);
  active_.erase(it);
  protocol::StreamInfo info;
  info.streamId = id;
  info.sequenceId = s.expected;
  info.endOfStream = true;
  info.error = std::move(subscriberError);
  protocol::Payload empty;
  empty.type = protocol::DataType::kText;
  sink_.publishStream(s.group, s.noEcho, std::move(info), std::move(empty));
  if (sendClosed) close(id, std::move(closedError));
}

void GroupStreams::close(const std::string& id, std::optional<protocol::AckError> error) {
  sink_.sendStreamClosed(id, error);
  std::erase_if(closed_, [&](const Closed& c) { return c.streamId == id; });
  closed_.push_back(Closed{id, std::move(error), epoch_});
  if (closed_.size() > kRememberedClosed) closed_.erase(closed_.begin());
}

void GroupStreams::answerUnknown(const std::string& id) {
  for (auto it = closed_.rbegin(); it != closed_.rend(); ++it) {
    if (it->streamId != id) continue;
    it->epoch = epoch_;
    sink_.sendStreamClosed(id, it->error);
    return;
  }
  sink_.sendStreamClosed(
      id, ackError(errors::kStreamNotFound, std::string(errors::kStreamNotFoundMessage)));
}

void GroupStreams::resendClosedSinceLastResume() {
  uint64_t previous = epoch_++;
  for (const Closed& c : closed_) {
    // Resent once: a streamClosed lost again is answered when the client resends its frame.
    if (c.epoch == previous) sink_.sendStreamClosed(c.streamId, c.error);
  }
}

}  // namespace wps::core
