// The group streams one PubSub connection publishes (client-protocols-1.1.md §3): per stream
// its group, noEcho, idle timeout and the next expected sequence id; the ack/nack rules of
// §3.3, the idle timeout of §3.4, the terminations of §3.5 and the remembered streamClosed of
// the last closed ids (§3.7). Pure state machine: no I/O, no timers; what it decides goes to a
// StreamSink, and the owner calls tick() at nextDeadline(). Owned by the session's worker
// (loop) thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/event_loop.h"
#include "metrics/metrics.h"
#include "protocol/client_requests.h"
#include "protocol/service_messages.h"

namespace wps::core {

// Where GroupStreams sends what it decides. Implemented by the session (and by tests).
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Publishes one in-order fragment (stream info set) or terminal message (endOfStream) to
  // `group`'s current members, the publisher excluded when `noEcho`.
  virtual void publishStream(const std::string& group, bool noEcho, protocol::StreamInfo info,
                             protocol::Payload payload) = 0;
  virtual void sendStreamAck(const std::string& streamId, uint64_t expected) = 0;
  virtual void sendStreamNack(const std::string& streamId, uint64_t expected,
                              const protocol::AckError& error) = 0;
  // `error` empty: the stream ended normally.
  virtual void sendStreamClosed(const std::string& streamId,
                                const std::optional<protocol::AckError>& error) = 0;
  // Whether the publisher may (still) send to `group`; asked for every in-order fragment.
  virtual bool maySendTo(const std::string& group) const = 0;
};

class GroupStreams {
 public:
  struct Limits {
    size_t maxStreams = 100;          // limits.max_streams_per_connection
    uint64_t defaultIdleMs = 300000;  // a start without idleTimeoutMs
    uint64_t maxIdleMs = 3600000;     // limits.stream_idle_timeout_max_ms (clamp)
  };
  static constexpr uint64_t kAckEvery = 16;  // ack at least every 16 fragments ...
  static constexpr Duration kAckDelay = std::chrono::milliseconds(100);  // ... or 100 ms
  static constexpr Duration kGapLimit = std::chrono::seconds(10);  // unfilled gap ends a stream
  static constexpr size_t kRememberedClosed = 100;
  static constexpr uint64_t kDefaultIdleMs = 300000;  // a start without idleTimeoutMs

  // `counters` (may be null): the owner thread's block, where starts, ends by reason, published
  // fragments and the active-streams gauge are counted.
  GroupStreams(StreamSink& sink, Limits limits, metrics::CounterBlock* counters = nullptr)
      : sink_(sink), limits_(limits), counters_(counters) {}

  // A stream start the caller decoded; `permitted`: the connection may send to its group.
  // Answers streamAck 1 (accepted, or a repeated start with no fragment yet) or streamClosed
  // (Forbidden, BadRequest for an invalid start, a full table or a conflicting start).
  void start(TimePoint now, const protocol::StreamRequest& request, bool permitted);
  // A streamData (fragment or keep-alive). The sink's maySendTo is asked per in-order fragment:
  // a revoked permission ends the stream with Forbidden.
  void data(TimePoint now, protocol::StreamRequest request);
  // A streamEnd: the terminal message (UserError when the client sent an error), then
  // streamClosed without error.
  void end(TimePoint now, const protocol::StreamRequest& request);
  // Runs what is due at `now`: batched acks, idle timeouts, gaps unfilled for kGapLimit.
  void tick(TimePoint now);
  // The earliest moment tick() has something to do; none when there is no active stream.
  std::optional<TimePoint> nextDeadline() const;
  // The publisher's session ended: every active stream ends with Cancelled (no streamClosed).
  void cancelAll();
  // A reliable session resumed on a new transport: re-sends (via the sink) the streamClosed
  // frames sent since the previous resume (on the dropped transport or while detached).
  void resendClosedSinceLastResume();

  size_t activeCount() const { return active_.size(); }

 private:
  struct Stream {
    std::string group;
    bool noEcho = false;
    Duration idle{};
    uint64_t expected = 1;
    uint64_t ackedUpTo = 1;  // the last expectedSequenceId acked
    TimePoint lastActivity{};
    std::optional<TimePoint> ackDue;    // unacked fragments: ack by then
    std::optional<TimePoint> gapSince;  // first nack of the current gap
  };
  struct Closed {
    std::string streamId;
    std::optional<protocol::AckError> error;
    uint64_t epoch = 0;  // resumes counted when it was sent
  };

  void acceptFragment(TimePoint now, const std::string& id, Stream& s, protocol::Payload payload);
  void flushAck(const std::string& id, Stream& s);
  // Ends an active stream (counted as `reason`): the terminal message to subscribers
  // (`subscriberError` as its stream.error), then, when `sendClosed`, streamClosed
  // (`closedError`) to the publisher.
  void finish(std::map<std::string, Stream>::iterator it, metrics::StreamEndReason reason,
              std::optional<protocol::StreamErrorInfo> subscriberError, bool sendClosed,
              std::optional<protocol::AckError> closedError);
  // streamClosed for an id that is not (or no longer) active; remembered.
  void close(const std::string& id, std::optional<protocol::AckError> error);
  // Frames for an unknown id: the remembered streamClosed, else StreamNotFound.
  void answerUnknown(const std::string& id);

  StreamSink& sink_;
  Limits limits_;
  metrics::CounterBlock* counters_;
  std::map<std::string, Stream> active_;
  // The last kRememberedClosed, oldest first. A vector, not a deque: libstdc++'s deque allocates
  // ~600 bytes when constructed, which every idle connection would pay.
  std::vector<Closed> closed_;
  uint64_t epoch_ = 0;
};

}  // namespace wps::core
