// One logical client connection: identity, permissions, groups, the upstream event pipeline of
// the connection, and (reliable subprotocols) the replay buffer that lets it outlive a single
// WebSocket transport. Owned by the Shard of its worker; loop-thread only.
#pragma once

#include <cstdint>
#include <deque>

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>
#include "common/ring_queue.h"

#include "auth/permissions.h"
#include "common/errors.h"
#include "core/blocking_stages.h"
#include "core/client_transport.h"
#include "core/group_streams.h"
#include "core/invocations.h"
#include "core/outbound_message.h"
#include "core/worker_context.h"
#include "delivery/event_outbox.h"
#include "protocol/client_kind.h"
#include "protocol/client_requests.h"
#include "upstream/cookie_jar.h"
#include "upstream/event_dispatcher.h"

namespace wps::core {

// Everything the handshake decided about a new connection.
struct SessionIdentity {
  std::string hubKey;  // lower-cased hub
  std::string connectionId;
  std::optional<std::string> userId;
  protocol::ClientKind kind = protocol::ClientKind::kSimple;
  std::string subprotocol;  // as selected (client's spelling); empty = none
  std::vector<std::string> roles;
  std::vector<std::string> initialGroups;
  // Simple clients: webpubsub_mode=sendToGroup.
  bool sendToGroupMode = false;
  std::string modeGroup;
  bool modeNoEcho = false;
  std::string origin;  // WebHook-Request-Origin for this connection's events
  std::string connectionState;
  std::shared_ptr<upstream::CookieJar> cookies;
};

class ClientSession : public std::enable_shared_from_this<ClientSession>, private StreamSink {
 public:
  // The longest a user event waits for the connection's `connected` event to be delivered
  // (after that it is sent anyway: a failing `connected` handler must not stall user events).
  static constexpr Duration kConnectedOrderWait = std::chrono::seconds(5);

  enum class State { kCreated, kOpen, kDetached, kClosing, kEnded };

  ClientSession(WorkerContext& worker, SessionIdentity identity);
  ~ClientSession();

  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // --- Transport side --------------------------------------------------------------------
  // First transport of a new connection, after the 101 went out: registers the session, joins
  // the initial groups, sends the `connected` system message (PubSub) and the upstream
  // `connected` event.
  void start(ClientTransport* transport);
  // The 101 could not be written: the connection ends before it started (the upstream still
  // gets `disconnected`, because `connect` succeeded).
  void abandon();
  // A reliable session takes a new transport (recovery): replays unacknowledged messages.
  // Returns false (transport untouched) when the session can no longer be recovered.
  bool resume(ClientTransport* transport);
  // One complete data message from the client. Over limits.max_messages_per_second the client
  // is closed (1008 `Too many messages.`); behind a blocking event the message is queued, and
  // reading pauses while the queue holds limits.inbound_queue_messages messages or
  // limits.inbound_queue_bytes payload bytes (it resumes once both are below half).
  void onMessage(bool binary, std::string_view payload);
  // The transport detected a protocol violation (bad framing, too large, invalid UTF-8).
  void onTransportError(ClientTransport* from, uint16_t code, std::string_view reason);
  // A control frame (pong, keep-alive ping) did not fit the transport's outbound limits: the
  // client is closed as a slow client, as for a data frame that overflows (1008, counted in
  // slowClientsClosed). Ignored unless `from` is the current transport.
  void onTransportOverflow(ClientTransport* from);
  // The transport dropped `count` data frames whose TTL passed before they were written (spec
  // 1.1 §5): counted in messagesExpired. Ignored unless `from` is the current transport.
  void onFramesExpired(ClientTransport* from, size_t count);
  // `from` is gone and must not be used again. Ignored unless `from` is the current transport
  // (a transport replaced by a recovery reports its end too).
  void onTransportClosed(ClientTransport* from, const TransportEnd& end);
  // The frame this session asked `from` to watch (the reply of a blocking event) was written:
  // its reply stage is observed (core/blocking_stages.h). Ignored unless `from` is the
  // current transport.
  void onWatchedFrameWritten(ClientTransport* from);

  // --- Routing side ------------------------------------------------------------------------
  // Queues a data message (group/server) for this client.
  void deliver(const OutboundMessage& message);
  // Closes the connection as the application server (REST), ending a reliable session for good.
  void closeByAppServer(std::string_view reason);
  // Closes the connection because the server is shutting down.
  void closeForShutdown();
  // The shutdown drain ran out: what the session still waits for (the client's closing
  // handshake, its recovery, a blocking event in flight) will not come, so its `disconnected`
  // event is accepted now (reason: its close reason, else "The server is shutting down.") and
  // reaches the outbox before it stops. Idempotent.
  void endForShutdown();

  // --- Queries -------------------------------------------------------------------------------
  const std::string& hubKey() const { return id_.hubKey; }
  const std::string& connectionId() const { return id_.connectionId; }
  const std::optional<std::string>& userId() const { return id_.userId; }
  protocol::ClientKind kind() const { return id_.kind; }
  const std::string& subprotocol() const { return id_.subprotocol; }
  const std::vector<std::string>& groups() const { return groups_; }
  State state() const { return state_; }
  bool isReliable() const { return protocol::isReliable(id_.kind); }
  auth::PermissionSet& permissions() { return permissions_; }
  std::chrono::seconds keepAliveInterval() const;
  size_t bufferedMessages() const { return replay_.size(); }

  // Group list maintenance, called only by Shard::join/leave.
  bool addGroupLocal(const std::string& group);
  bool removeGroupLocal(const std::string& group);
  // Called by the Shard after each real membership change (never for a repeated join or the
  // leave of a group not joined): hands a group presence event (joined / left) to the outbox
  // when a handler of the hub takes it for `group` (client-protocols-1.1.md §2.3); no ce-id is
  // taken otherwise.
  void onGroupMembershipChanged(const std::string& group, bool joined);

  bool inGroup(std::string_view group) const;
  // False when joining `group` would exceed limits.max_groups_per_connection (a group the
  // session is already in can always be "joined" again).
  bool canJoin(std::string_view group) const;

 private:
  struct Inbound {
    bool binary;
    std::string payload;
    TimePoint arrived;  // blocking-latency histogram
  };

  void process(bool binary, std::string_view payload);
  void processSimple(bool binary, std::string_view payload);
  void processPubSub(bool binary, std::string_view payload);
  // Dispatches a decoded PubSub request to its handler (one per request type).
  void handleRequest(protocol::ClientRequest request);
  void handleJoinLeave(const std::string& group, std::optional<uint64_t> ackId, bool join);
  void handleSendToGroup(protocol::SendToGroupRequest request);
  void handleEvent(protocol::EventRequest request);
  void handleSequenceAck(uint64_t sequenceId);
  // Invocations (client-protocols-1.1.md §1, core/invocations.h): not blocking; the answer is
  // sent only if a transport is attached when it arrives, never buffered or replayed.
  void handleInvoke(protocol::InvokeRequest request);
  void dispatchInvocation(Invocations::Held call);
  // When the request being processed arrived: the queued message's arrival inside drain(),
  // else now (it is processed as it arrives).
  TimePoint arrivalOfCurrent() const;
  // Records the latency of a client request of `kind` that arrived at `arrived`, now that its
  // answer was queued (webpubsubd_blocking_event_duration_seconds).
  void observeBlocking(metrics::BlockingKind kind, TimePoint arrived);
  void onInvocationDone(const std::string& invocationId, uint64_t token, TimePoint arrived,
                        upstream::DispatchOutcome outcome);
  // Group streams (client-protocols-1.1.md §3, core/group_streams.h): every PubSub subprotocol
  // (ack, nack and streamClosed in the client's encoding, §3.2). Stream state survives a
  // reliable session's detach; its timer keeps running.
  void handleStream(protocol::StreamRequest request);
  // Schedules onStreamTimer at streams_.nextDeadline() unless a timer runs at or before it.
  void armStreamTimer();
  void onStreamTimer();
  // StreamSink.
  void publishStream(const std::string& group, bool noEcho, protocol::StreamInfo info,
                     protocol::Payload payload) override;
  void sendStreamAck(const std::string& streamId, uint64_t expected) override;
  void sendStreamNack(const std::string& streamId, uint64_t expected,
                      const protocol::AckError& error) override;
  void sendStreamClosed(const std::string& streamId,
                        const std::optional<protocol::AckError>& error) override;
  bool maySendTo(const std::string& group) const override;
  // Preview requests, answered without doing anything.
  void handleGroupState(const protocol::GroupStateRequest& request);
  // When `ackId` belongs to an already successful request: answers the Duplicate ack and
  // returns true (the request is then dropped).
  bool answerDuplicateAck(std::optional<uint64_t> ackId);
  void drain();
  // Inbound queue with its byte count; queueInbound pauses reading at either cap.
  void queueInbound(bool binary, std::string_view payload);
  void clearInbound();
  bool inboundBelowResumeMark() const;
  // Token bucket of limits.max_messages_per_second / max_message_burst: takes one token, or
  // returns false when the bucket is empty. Always true when the limit is off.
  bool takeMessageToken();

  // Blocking user events. A user event of a connection whose `connected` event has not settled
  // yet (delivered or dropped by the outbox) waits for it, at most kConnectedOrderWait, so the
  // upstream sees `connected` first; the messages behind it queue as behind any blocking event.
  void startUserEvent(upstream::UpstreamEvent event, std::optional<uint64_t> ackId);
  void dispatchUserEvent(upstream::UpstreamEvent event, std::string ceId,
                         std::optional<uint64_t> ackId);
  void onUserEventDone(upstream::DispatchOutcome outcome, std::optional<uint64_t> ackId);
  // A successful answer: applies its connection state and sets the reply to send, if any.
  // Returns false (logged) when the answer is invalid.
  bool acceptUserEventAnswer(const http::HttpResponse& response, bool simple,
                             std::optional<protocol::Payload>* reply);
  void logUserEventFailure(const upstream::DispatchOutcome& outcome) const;
  // The event handler's reply to a user event: a raw frame (simple) or a server data message.
  void sendUserEventReply(protocol::Payload reply, bool simple);

  // Output.
  void sendData(const OutboundMessage& message);
  void sendControl(std::string jsonText, std::string protobufBytes);
  // Reliable: drops the replay entries whose TTL passed (their ids are not reused: the client
  // sees a gap), counting them in messagesExpired. Run at resume and when the buffer is full.
  void purgeExpiredReplay();
  void sendAck(uint64_t ackId, std::optional<protocol::AckError> error);
  void sendFrame(protocol::OutFrame frame);

  // Ends.
  void closeWith(uint16_t code, std::string_view closeReason, std::string upstreamReason,
                 bool discardQueued, bool systemMessage);
  void closeWithSpec(const errors::CloseSpec& spec, bool discardQueued);
  void detach();
  // A detached session that must end (its replay buffer overflowed): ends it from a fresh loop
  // task, never inside the caller (a publish visiting the shard's members); refuses recovery
  // from now on.
  void endDetachedSoon(std::string reason);
  void finish(std::string reason);
  void sendDisconnectedEvent(std::string reason);
  // Hands a connected/disconnected/presence event to the outbox when a handler takes it; its ce-id
  // is taken either way. A `connected` event no handler takes still records the connection
  // (EventOutbox::recordConnection) when a handler takes `disconnected`.
  // `group`: the group of a presence event (matched against the handlers' group filters).
  void acceptUnblockingEvent(cloudevents::EventKind kind, std::string body,
                             std::string_view group = {});
  // Stores the Set-Cookie values of the event's 2xx answer into this connection's jar (on this
  // worker's loop). `settled` (may be null) goes with the hook.
  struct SettledSignal;
  delivery::EventOutbox::SetCookieHook cookieHook(std::shared_ptr<SettledSignal> settled) const;
  // The connected event is being accepted: user events wait until the returned signal (kept by
  // its hook) is destroyed or kConnectedOrderWait passed, whichever comes first.
  std::shared_ptr<SettledSignal> awaitConnected();
  void onConnectedSettled();
  // Asks the transport to report when the last frame queued since `reply` was taken (the
  // reply of a blocking event) is written, for its reply stage; nothing when none was queued.
  void watchReply(const ReplyStage& reply);

  // Ack ids (idempotency): the last 1000 successful ones.
  bool ackSeen(uint64_t ackId) const;
  void rememberAck(uint64_t ackId);

  std::string nextCeId();

  WorkerContext& worker_;
  SessionIdentity id_;
  auth::PermissionSet permissions_;
  upstream::EventContext ctx_;  // identity of every event; built once, state kept current
  State state_ = State::kCreated;
  ClientTransport* transport_ = nullptr;
  std::vector<std::string> groups_;  // sorted
  uint64_t nextCeId_ = 0;

  // Inbound pipeline.
  RingQueue<Inbound> inbound_;
  size_t inboundBytes_ = 0;  // payload bytes in inbound_
  std::unique_ptr<upstream::RequestHandle> blocking_;
  bool blockingActive_ = false;
  bool draining_ = false;
  bool readingPaused_ = false;
  bool replyInvoke_ = false;   // the watched reply answers an invoke (else a user event)
  TimePoint replyAnswered_{};  // the watched reply's answer was read then; zero: none watched
  std::optional<TimePoint> drainedArrival_;       // arrival of the queued message drain() processes
  TimePoint blockingArrived_{};                   // arrival of the blocking event's message
  std::optional<std::string> pendingDisconnect_;  // ended while an event was in flight
  struct HeldEvent {
    upstream::UpstreamEvent event;
    std::string ceId;
    std::optional<uint64_t> ackId;
  };
  bool connectedPending_ = false;         // the connected event has not settled yet
  std::unique_ptr<Timer> connectedWait_;  // bounds the wait (kConnectedOrderWait)
  std::unique_ptr<HeldEvent> held_;       // the user event waiting for it
  Invocations invocations_;               // pending invocations (not blocking)
  double messageTokens_ = 0;              // token bucket (limit on: filled at start)
  TimePoint messageTokensAt_{};

  // Acks.
  struct AckCache {
    std::unordered_set<uint64_t> ids;
    std::deque<uint64_t> order;
  };
  std::unique_ptr<AckCache> acks_;

  // Reliable.
  uint64_t lastSequenceId_ = 0;
  uint64_t lastAckedSequenceId_ = 0;
  RingQueue<protocol::OutFrame> replay_;
  size_t replayBytes_ = 0;
  std::unique_ptr<Timer> recoveryTimer_;
  bool detachedEndPending_ = false;               // endDetachedSoon ran
  std::optional<std::string> reconnectionToken_;  // re-sent in `connected` after a recovery

  // Group streams this connection publishes, with the timer of their deadlines: made by the
  // first stream frame, so idle connections do not pay for them.
  struct Streams {
    GroupStreams table;
    std::unique_ptr<Timer> timer;
    TimePoint timerAt{};
  };
  std::unique_ptr<Streams> streams_;

  std::string endReason_;  // set when a service-initiated close starts
  // This connection's webpubsubd_hub_connections gauge (hub slot, protocol), set by start().
  metrics::Gauge* hubConnections_ = nullptr;
};

using SessionPtr = std::shared_ptr<ClientSession>;

}  // namespace wps::core
