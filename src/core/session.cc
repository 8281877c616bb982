#include "core/session.h"

#include <algorithm>

#include "cloudevents/group_presence.h"
#include "cloudevents/signature.h"
#include "common/log.h"
#include "common/strings.h"
#include "core/broker.h"
#include "core/close_reasons.h"
#include "core/connection_directory.h"
#include "core/message_ttl.h"
#include "core/reconnection_tokens.h"
#include "core/session_trace.h"
#include "core/shard.h"
#include "delivery/event_outbox.h"
#include "metrics/metrics.h"
#include "protocol/frames.h"
#include "protocol/request_decoder.h"
#include "protocol/service_messages.h"
#include "upstream/connect_event.h"
#include "upstream/handler_selector.h"
#include "upstream/user_event.h"

namespace wps::core {

// webpubsubd_hub_connections takes the protocol label from the client kind.
static_assert(static_cast<size_t>(protocol::ClientKind::kSimple) ==
              static_cast<size_t>(metrics::ClientProtocol::kSimple));
static_assert(static_cast<size_t>(protocol::ClientKind::kProtobufReliable) ==
              static_cast<size_t>(metrics::ClientProtocol::kProtobufReliable));

using protocol::ClientKind;
using upstream::DispatchOutcome;

namespace {
constexpr size_t kMaxRememberedAcks = 1000;
constexpr std::string_view kGroupStateNotSupported = "Group state is not supported by this server.";

// Size of the message token bucket: max_message_burst, or one second's worth when it is 0.
size_t messageBurst(const config::LimitSettings& limits) {
  return limits.maxMessageBurst ? limits.maxMessageBurst : limits.maxMessagesPerSecond;
}

// An overload set of lambdas, for std::visit.
template <typename... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};
template <typename... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

std::vector<std::string> logSkipped(const std::vector<std::string>& roles,
                                    const std::string& connectionId, auth::PermissionSet* out) {
  std::vector<std::string> skipped;
  *out = auth::PermissionSet::fromRoles(roles, &skipped);
  for (const auto& s : skipped) {
    WPS_LOG_WARN("connection {}: ignored role or permission entry: {}", connectionId, s);
  }
  return skipped;
}
}  // namespace

ClientSession::ClientSession(WorkerContext& worker, SessionIdentity identity)
    : worker_(worker), id_(std::move(identity)) {
  logSkipped(id_.roles, id_.connectionId, &permissions_);
  ctx_.hub = id_.hubKey;
  ctx_.connectionId = id_.connectionId;
  ctx_.userId = id_.userId;
  ctx_.subprotocol = id_.subprotocol;
  ctx_.connectionState = id_.connectionState;
  ctx_.signature = cloudevents::computeSignature(worker_.settings().accessKeys, id_.connectionId);
  ctx_.keysGeneration = worker_.dispatcher.keysGeneration();
  ctx_.origin = id_.origin;
  if (!id_.cookies) id_.cookies = std::make_shared<upstream::CookieJar>();
}

ClientSession::~ClientSession() = default;

std::chrono::seconds ClientSession::keepAliveInterval() const {
  return config::hubSettings(worker_.settings(), id_.hubKey).keepAliveInterval;
}

std::string ClientSession::nextCeId() {
  return std::to_string(nextCeId_++);
}

bool ClientSession::inGroup(std::string_view group) const {
  return std::binary_search(groups_.begin(), groups_.end(), group,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

bool ClientSession::canJoin(std::string_view group) const {
  return groups_.size() < worker_.settings().limits.maxGroupsPerConnection || inGroup(group);
}

bool ClientSession::addGroupLocal(const std::string& group) {
  auto it = std::lower_bound(groups_.begin(), groups_.end(), group);
  if (it != groups_.end() && *it == group) return false;
  groups_.insert(it, group);
  return true;
}

bool ClientSession::removeGroupLocal(const std::string& group) {
  auto it = std::lower_bound(groups_.begin(), groups_.end(), group);
  if (it == groups_.end() || *it != group) return false;
  groups_.erase(it);
  return true;
}

// --- Lifecycle -------------------------------------------------------------------------------

void ClientSession::start(ClientTransport* transport) {
  if (state_ != State::kCreated) return;
  transport_ = transport;
  state_ = State::kOpen;
  nextCeId_ = std::max<uint64_t>(nextCeId_, 1);  // ce-id 0 was the connect event
  messageTokens_ = static_cast<double>(messageBurst(worker_.settings().limits));
  messageTokensAt_ = worker_.loop.now();
  if (!worker_.directory.insert(id_.connectionId,
                                {id_.hubKey, worker_.index, id_.subprotocol, isReliable()})) {
    WPS_LOG_ERROR("connection id collision: {}", id_.connectionId);
  }
  worker_.shard.add(shared_from_this());
  metrics::Metrics::add(worker_.counters.connections, 1);
  metrics::Metrics::inc(worker_.counters.connectionsOpened);
  hubConnections_ = &metrics::Metrics::hubConnections(
      worker_.counters, worker_.metrics.hubLabels.slotOf(id_.hubKey),
      static_cast<metrics::ClientProtocol>(id_.kind));
  metrics::Metrics::add(*hubConnections_, 1);
  if (worker_.tracer.active()) traceConnectivity(worker_.tracer, id_, "opened", "");
  if (protocol::isPubSub(id_.kind)) {
    std::optional<std::string> token;
    if (isReliable()) token = worker_.tokens.issue(id_.connectionId, worker_.loop.wallNow());
    reconnectionToken_ = token;
    sendControl(protocol::encodeJsonConnected(id_.connectionId, id_.userId, token),
                protocol::encodeProtobufConnected(id_.connectionId, id_.userId, token));
  }
  acceptUnblockingEvent(cloudevents::EventKind::kConnected, "{}");
  // After `connected`, so that their `joined` events follow it (nothing runs in between).
  for (const auto& g : id_.initialGroups)
    worker_.shard.join(*this, g);
}

void ClientSession::abandon() {
  if (state_ != State::kCreated) return;
  state_ = State::kEnded;
  nextCeId_ = std::max<uint64_t>(nextCeId_, 1);  // ce-id 0 was the connect event
  worker_.directory.erase(id_.connectionId);
  sendDisconnectedEvent(std::string(errors::kConnectionEnded));
}

bool ClientSession::resume(ClientTransport* transport) {
  if (state_ != State::kDetached && state_ != State::kOpen) return false;
  if (detachedEndPending_) return false;  // messages were lost: the session is ending
  if (transport_) {
    // An old transport is still attached: detach it quietly and close it.
    ClientTransport* old = transport_;
    transport_ = nullptr;
    metrics::Metrics::closed(worker_.counters, metrics::CloseReason::kReplaced,
                             errors::kCloseGoingAway);
    old->close(errors::kCloseGoingAway, "Replaced by a recovered connection.", std::nullopt, true);
  }
  recoveryTimer_.reset();
  transport_ = transport;
  if (worker_.tracer.active()) traceConnectivity(worker_.tracer, id_, "recovered", "");
  if (state_ == State::kDetached) metrics::Metrics::add(worker_.counters.detachedSessions, -1);
  state_ = State::kOpen;
  // Expired messages are skipped, even if written before the drop: the client sees a gap.
  purgeExpiredReplay();
  // Spec 1.1 §3.7: the streamClosed frames the client may have missed, then `connected` (with
  // the current reconnection token), which 1.1.0 clients need to resume their streams.
  if (streams_) streams_->table.resendClosedSinceLastResume();
  sendControl(protocol::encodeJsonConnected(id_.connectionId, id_.userId, reconnectionToken_),
              protocol::encodeProtobufConnected(id_.connectionId, id_.userId, reconnectionToken_));
  if (state_ != State::kOpen) return true;  // the frames above overflowed the transport
  for (size_t i = 0; i < replay_.size(); ++i) {
    if (transport_->send(replay_[i]) == SendStatus::kOverflow) {
      closeWithSpec(errors::kOutboundQueueFull, true);
      return true;
    }
  }
  drain();
  return true;
}

void ClientSession::onTransportError(ClientTransport* from, uint16_t code,
                                     std::string_view reason) {
  if (from != transport_ || state_ != State::kOpen) return;
  closeWith(code, reason, std::string(reason), false, true);
}

void ClientSession::onTransportOverflow(ClientTransport* from) {
  if (from != transport_ || state_ != State::kOpen) return;
  metrics::Metrics::inc(worker_.counters.slowClientsClosed);
  closeWithSpec(errors::kOutboundQueueFull, true);
}

void ClientSession::onTransportClosed(ClientTransport* from, const TransportEnd& end) {
  if (from != transport_) return;
  transport_ = nullptr;
  if (readingPaused_) readingPaused_ = false;
  if (state_ == State::kClosing || state_ == State::kEnded) {
    if (state_ == State::kClosing) finish(endReason_);
    return;
  }
  if (state_ != State::kOpen) return;
  std::string reason;
  switch (end.cause) {
    case TransportEnd::Cause::kClientClose:
      reason = end.reason.empty() ? std::string(errors::kClientClosed) : end.reason;
      break;
    case TransportEnd::Cause::kServiceClose:
      reason = end.reason;
      break;
    case TransportEnd::Cause::kLost:
      reason = std::string(errors::kConnectionEnded);
      break;
  }
  bool finalClose = end.cause == TransportEnd::Cause::kClientClose &&
                    (end.code == errors::kCloseNormal ||
                     (!end.code && worker_.settings().reliable.closeWithoutStatusEndsSession));
  if (isReliable() && !finalClose && end.cause != TransportEnd::Cause::kServiceClose) {
    detach();
    return;
  }
  finish(std::move(reason));
}

void ClientSession::detach() {
  state_ = State::kDetached;
  metrics::Metrics::add(worker_.counters.detachedSessions, 1);
  if (worker_.tracer.active()) {
    traceConnectivity(worker_.tracer, id_, "detached", "waiting for the client to recover");
  }
  clearInbound();
  std::weak_ptr<ClientSession> weak = weak_from_this();
  recoveryTimer_ = worker_.loop.schedule(worker_.settings().reliable.recoveryWindow, [weak] {
    if (auto self = weak.lock()) {
      if (self->state_ == State::kDetached) {
        self->finish(std::string(errors::kRecoveryTimeout));
      }
    }
  });
}

void ClientSession::endDetachedSoon(std::string reason) {
  if (detachedEndPending_) return;
  detachedEndPending_ = true;
  metrics::Metrics::closed(worker_.counters, metrics::CloseReason::kReliableBufferFull,
                           errors::kReliableBufferFull.code);
  std::weak_ptr<ClientSession> weak = weak_from_this();
  worker_.loop.post([weak, reason = std::move(reason)] {
    if (auto self = weak.lock()) {
      if (self->state_ == State::kDetached) self->finish(reason);
    }
  });
}

void ClientSession::closeWith(uint16_t code, std::string_view closeReason,
                              std::string upstreamReason, bool discardQueued, bool systemMessage) {
  if (state_ == State::kClosing || state_ == State::kEnded || state_ == State::kCreated) return;
  metrics::Metrics::closed(worker_.counters, closeReasonOf(code, closeReason), code);
  clearInbound();
  if (state_ == State::kDetached || !transport_) {
    finish(std::move(upstreamReason));
    return;
  }
  if (readingPaused_) {
    // The client's close frame must still be read; data messages are dropped from now on.
    readingPaused_ = false;
    transport_->pauseReading(false);
  }
  state_ = State::kClosing;
  endReason_ = std::move(upstreamReason);
  std::optional<protocol::OutFrame> finalFrame;
  if (systemMessage && protocol::isPubSub(id_.kind)) {
    if (protocol::isJsonFamily(id_.kind)) {
      finalFrame = protocol::makeTextFrame(protocol::encodeJsonDisconnected(endReason_));
    } else {
      finalFrame = protocol::makeBinaryFrame(protocol::encodeProtobufDisconnected(endReason_));
    }
  }
  transport_->close(code, closeReason, std::move(finalFrame), discardQueued);
}

void ClientSession::closeWithSpec(const errors::CloseSpec& spec, bool discardQueued) {
  closeWith(spec.code, spec.reason, std::string(spec.reason), discardQueued, true);
}

void ClientSession::closeByAppServer(std::string_view reason) {
  closeWith(errors::kCloseNormal, "", errors::appServerClosedMessage(reason), false, true);
}

void ClientSession::closeForShutdown() {
  closeWithSpec(errors::kServerShutdown, false);
}

void ClientSession::endForShutdown() {
  if (state_ == State::kEnded) {
    if (!pendingDisconnect_) return;  // already accepted
    std::string reason = std::move(*pendingDisconnect_);
    pendingDisconnect_.reset();
    sendDisconnectedEvent(std::move(reason));
    return;
  }
  std::string reason = state_ == State::kClosing && !endReason_.empty()
                           ? endReason_
                           : std::string(errors::kServerShutdown.reason);
  blockingActive_ = false;  // its answer will not come: the runtime stops after the outbox
  finish(std::move(reason));
}

void ClientSession::finish(std::string reason) {
  if (state_ == State::kEnded) return;
  auto self = shared_from_this();
  bool registered = state_ != State::kCreated;
  if (state_ == State::kDetached) metrics::Metrics::add(worker_.counters.detachedSessions, -1);
  state_ = State::kEnded;
  clearInbound();
  replay_.clear();
  replayBytes_ = 0;
  recoveryTimer_.reset();
  invocations_.clear();  // pending invocations end with the session (§1.6)
  if (streams_) {
    streams_->table.cancelAll();  // subscribers get Cancelled (§3.5)
    streams_->timer.reset();
  }
  worker_.directory.erase(id_.connectionId);
  if (registered && worker_.tracer.active()) {
    traceConnectivity(worker_.tracer, id_, "closed", reason.empty() ? "(none)" : reason);
  }
  if (registered) {
    metrics::Metrics::add(worker_.counters.connections, -1);
    metrics::Metrics::add(*hubConnections_, -1);
    worker_.shard.remove(*this);
  }
  if (blockingActive_) {
    // Sent once the in-flight event completes; the shard owns the session until then.
    pendingDisconnect_ = std::move(reason);
    worker_.shard.keepDraining(self);
    return;
  }
  sendDisconnectedEvent(std::move(reason));
}

void ClientSession::sendDisconnectedEvent(std::string reason) {
  std::string body = "{\"reason\":";
  appendJsonString(body, reason);
  body += "}";
  acceptUnblockingEvent(cloudevents::EventKind::kDisconnected, std::move(body));
}

void ClientSession::onGroupMembershipChanged(const std::string& group, bool joined) {
  using cloudevents::EventKind;
  EventKind kind = joined ? EventKind::kGroupJoined : EventKind::kGroupLeft;
  const config::HubSettings& hub = config::hubSettings(worker_.settings(), id_.hubKey);
  if (!upstream::selectHandler(hub, kind, group)) return;  // opt-in: no ce-id taken
  acceptUnblockingEvent(kind, cloudevents::groupPresenceBody(group), group);
}

void ClientSession::acceptUnblockingEvent(cloudevents::EventKind kind, std::string body,
                                          std::string_view group) {
  std::string ceId = nextCeId();  // taken with or without a handler, as for every event
  const config::HubSettings& hub = config::hubSettings(worker_.settings(), id_.hubKey);
  const config::EventHandlerSettings* handler = upstream::selectHandler(hub, kind, group);
  if (!handler) {
    // Without a `connected` event, the connection is still recorded when a `disconnected`
    // event will be made for it, so that a crash does not lose that event.
    if (kind == cloudevents::EventKind::kConnected &&
        upstream::selectHandler(hub, cloudevents::EventKind::kDisconnected, {})) {
      worker_.outbox.recordConnection({id_.hubKey, id_.connectionId, id_.userId, id_.subprotocol,
                                       id_.connectionState, id_.origin});
    }
    return;
  }
  WallTime now = worker_.loop.wallNow();
  delivery::PendingEvent ev;
  ev.kind = kind;
  ev.hub = id_.hubKey;
  ev.connectionId = id_.connectionId;
  ev.userId = id_.userId;
  ev.subprotocol = id_.subprotocol;
  ev.connectionState = id_.connectionState;
  ev.origin = id_.origin;  // the handshake's, so every attempt is validated as it was
  ev.ceId = std::move(ceId);
  ev.timeMs = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  ev.contentType = "application/json";
  ev.body = std::move(body);
  // The cookies the connection holds now for the handler's URL (fixed at acceptance).
  std::string url = handler->urlTemplate.resolve(id_.hubKey, cloudevents::ceEventName(kind, {}));
  std::string cookie = id_.cookies->headerFor(url, now);
  if (!cookie.empty()) ev.extraHeaders.push_back({"Cookie", std::move(cookie)});
  std::shared_ptr<SettledSignal> settled;
  if (kind == cloudevents::EventKind::kConnected) settled = awaitConnected();
  worker_.outbox.accept(std::move(ev), cookieHook(std::move(settled)));
}

// Posts onConnectedSettled() to the session's loop when the last copy of the connected event's
// hook goes (the outbox drops it once the event is delivered or dropped, or when it stops).
struct ClientSession::SettledSignal {
  SettledSignal(EventLoop* l, std::weak_ptr<ClientSession> s) : loop(l), session(std::move(s)) {}
  SettledSignal(const SettledSignal&) = delete;
  SettledSignal& operator=(const SettledSignal&) = delete;
  EventLoop* loop;
  std::weak_ptr<ClientSession> session;
  ~SettledSignal() {
    loop->post([weak = std::move(session)] {
      if (auto self = weak.lock()) self->onConnectedSettled();
    });
  }
};

std::shared_ptr<ClientSession::SettledSignal> ClientSession::awaitConnected() {
  connectedPending_ = true;
  std::weak_ptr<ClientSession> weak = weak_from_this();
  connectedWait_ = worker_.loop.schedule(kConnectedOrderWait, [weak] {
    if (auto self = weak.lock()) self->onConnectedSettled();
  });
  return std::make_shared<SettledSignal>(&worker_.loop, std::move(weak));
}

void ClientSession::onConnectedSettled() {
  if (!connectedPending_) return;
  connectedPending_ = false;
  connectedWait_.reset();
  for (auto& call : invocations_.takeHeld())  // none once the session ended
    dispatchInvocation(std::move(call));
  if (!held_) return;
  HeldEvent held = std::move(*held_);
  held_.reset();
  if (state_ == State::kEnded) {  // never sent: the disconnected event follows now
    onUserEventDone(DispatchOutcome{}, std::nullopt);
    return;
  }
  dispatchUserEvent(std::move(held.event), std::move(held.ceId), held.ackId);
}

delivery::EventOutbox::SetCookieHook ClientSession::cookieHook(
    std::shared_ptr<SettledSignal> settled) const {
  // The jar is kept alive by the hook and touched only on this worker's loop.
  EventLoop* loop = &worker_.loop;
  std::shared_ptr<upstream::CookieJar> jar = id_.cookies;
  return [loop, jar, settled = std::move(settled)](std::vector<std::string> setCookies,
                                                   std::string requestUrl) {
    if (setCookies.empty()) return;
    loop->post([loop, jar, setCookies = std::move(setCookies), url = std::move(requestUrl)] {
      WallTime now = loop->wallNow();
      for (const auto& value : setCookies)
        jar->store(value, url, now);
    });
  };
}

// --- Inbound ---------------------------------------------------------------------------------

void ClientSession::onMessage(bool binary, std::string_view payload) {
  if (state_ != State::kOpen) return;
  if (!takeMessageToken()) {
    metrics::Metrics::inc(worker_.counters.rateLimitedClientsClosed);
    closeWithSpec(errors::kTooManyMessages, false);
    return;
  }
  metrics::Metrics::inc(worker_.counters.messagesReceived);
  if (blockingActive_ || !inbound_.empty()) {
    queueInbound(binary, payload);
    return;
  }
  process(binary, payload);
}

bool ClientSession::takeMessageToken() {
  const config::LimitSettings& limits = worker_.settings().limits;
  if (limits.maxMessagesPerSecond == 0) return true;
  TimePoint now = worker_.loop.now();
  double elapsed = std::chrono::duration<double>(now - messageTokensAt_).count();
  messageTokensAt_ = now;
  messageTokens_ =
      std::min(static_cast<double>(messageBurst(limits)),
               messageTokens_ + elapsed * static_cast<double>(limits.maxMessagesPerSecond));
  if (messageTokens_ < 1) return false;
  messageTokens_ -= 1;
  return true;
}

void ClientSession::queueInbound(bool binary, std::string_view payload) {
  inboundBytes_ += payload.size();
  inbound_.push_back({binary, std::string(payload), worker_.loop.now()});
  const config::LimitSettings& limits = worker_.settings().limits;
  bool full =
      inbound_.size() >= limits.inboundQueueMessages || inboundBytes_ >= limits.inboundQueueBytes;
  if (full && transport_ && !readingPaused_) {
    metrics::Metrics::inc(worker_.counters.inboundQueueFull);
    readingPaused_ = true;
    transport_->pauseReading(true);
  }
}

void ClientSession::clearInbound() {
  inbound_.clear();
  inboundBytes_ = 0;
}

bool ClientSession::inboundBelowResumeMark() const {
  const config::LimitSettings& limits = worker_.settings().limits;
  return inbound_.size() < limits.inboundQueueMessages / 2 + 1 &&
         inboundBytes_ < limits.inboundQueueBytes / 2 + 1;
}

void ClientSession::drain() {
  if (draining_) return;
  draining_ = true;
  while (state_ == State::kOpen && !blockingActive_ && !inbound_.empty()) {
    Inbound next = std::move(inbound_.front());
    inbound_.pop_front();
    inboundBytes_ -= next.payload.size();
    drainedArrival_ = next.arrived;
    process(next.binary, next.payload);
    drainedArrival_.reset();
  }
  inbound_.shrink();
  draining_ = false;
  if (readingPaused_ && transport_ && inboundBelowResumeMark()) {
    readingPaused_ = false;
    transport_->pauseReading(false);
  }
}

void ClientSession::process(bool binary, std::string_view payload) {
  if (protocol::isPubSub(id_.kind)) {
    processPubSub(binary, payload);
  } else {
    processSimple(binary, payload);
  }
}

void ClientSession::processSimple(bool binary, std::string_view payload) {
  if (id_.sendToGroupMode) {
    if (!permissions_.allows(auth::Permission::kSendToGroup, id_.modeGroup)) {
      closeWithSpec(errors::kSendToGroupForbidden, false);
      return;
    }
    protocol::DataMessage m;
    m.from = protocol::MessageSource::kGroup;
    m.group = id_.modeGroup;
    m.fromUserId = id_.userId;
    m.payload.type = binary ? protocol::DataType::kBinary : protocol::DataType::kText;
    m.payload.data = std::string(payload);
    if (worker_.tracer.active()) {
      traceMessage(worker_.tracer, id_,
                   {"sendToGroup", "group", id_.modeGroup, protocol::dataTypeName(m.payload.type),
                    m.payload.data});
    }
    Target target = Target::group(id_.modeGroup);
    if (id_.modeNoEcho) target.excluded.push_back(id_.connectionId);
    worker_.broker.publish(id_.hubKey, target, OutboundMessage::make(std::move(m)));
    return;
  }
  upstream::UpstreamEvent ev;
  ev.kind = cloudevents::EventKind::kUser;
  ev.userEventName = std::string(cloudevents::kEventMessage);
  ev.contentType = binary ? "application/octet-stream" : "text/plain";
  ev.body = std::string(payload);
  startUserEvent(std::move(ev), std::nullopt);
}

void ClientSession::processPubSub(bool binary, std::string_view payload) {
  bool json = protocol::isJsonFamily(id_.kind);
  if (!json && !binary) {
    closeWithSpec(errors::kProtobufRequiresBinary, false);
    return;
  }
  // JSON in binary frames is accepted (UTF-8 JSON; docs allow it).
  auto request =
      json ? protocol::decodeJsonRequest(payload) : protocol::decodeProtobufRequest(payload);
  if (!request) {
    WPS_LOG_DEBUG("connection {}: invalid client message: {}", id_.connectionId,
                  request.status().message());
    closeWithSpec(json ? errors::kInvalidJsonMessage : errors::kInvalidProtobufMessage, false);
    return;
  }
  handleRequest(std::move(request.value()));
}

// Every request type has its own handler below: a new alternative of protocol::ClientRequest
// does not compile until it gets one (no catch-all on purpose).
void ClientSession::handleRequest(protocol::ClientRequest request) {
  using namespace protocol;
  std::visit(Overloaded{
                 [this](JoinGroupRequest& r) { handleJoinLeave(r.group, r.ackId, true); },
                 [this](LeaveGroupRequest& r) { handleJoinLeave(r.group, r.ackId, false); },
                 [this](SendToGroupRequest& r) { handleSendToGroup(std::move(r)); },
                 [this](EventRequest& r) { handleEvent(std::move(r)); },
                 [this](PingRequest&) { sendControl(encodeJsonPong(), encodeProtobufPong()); },
                 [this](SequenceAckRequest& r) { handleSequenceAck(r.sequenceId); },
                 [this](InvokeRequest& r) { handleInvoke(std::move(r)); },
                 [this](CancelInvocationRequest& r) { invocations_.cancel(r.invocationId); },
                 [this](StreamRequest& r) { handleStream(std::move(r)); },
                 [this](GroupStateRequest& r) { handleGroupState(r); },
             },
             request);
}

bool ClientSession::answerDuplicateAck(std::optional<uint64_t> ackId) {
  if (!ackId || !ackSeen(*ackId)) return false;
  sendAck(*ackId, protocol::AckError{std::string(errors::kAckDuplicate),
                                     errors::duplicateAckMessage(*ackId)});
  return true;
}

void ClientSession::handleJoinLeave(const std::string& group, std::optional<uint64_t> ackId,
                                    bool join) {
  if (answerDuplicateAck(ackId)) return;
  if (!permissions_.allows(auth::Permission::kJoinLeaveGroup, group)) {
    if (ackId) {
      sendAck(*ackId,
              protocol::AckError{std::string(errors::kAckForbidden),
                                 errors::forbiddenGroupMessage(join ? "join" : "leave", group)});
    }
    return;
  }
  if (join && !canJoin(group)) {
    metrics::Metrics::inc(worker_.counters.groupLimitHits);
    if (ackId) {
      sendAck(*ackId, protocol::AckError{std::string(errors::kAckBadRequest),
                                         errors::groupLimitMessage(
                                             worker_.settings().limits.maxGroupsPerConnection)});
    }
    return;
  }
  if (join) {
    worker_.shard.join(*this, group);
  } else {
    worker_.shard.leave(*this, group);
  }
  if (ackId) {
    rememberAck(*ackId);
    sendAck(*ackId, std::nullopt);
  }
}

void ClientSession::handleSendToGroup(protocol::SendToGroupRequest r) {
  if (answerDuplicateAck(r.ackId)) return;
  if (!permissions_.allows(auth::Permission::kSendToGroup, r.group)) {
    if (r.ackId) {
      sendAck(*r.ackId, protocol::AckError{std::string(errors::kAckForbidden),
                                           errors::forbiddenGroupMessage("send to", r.group)});
    }
    return;
  }
  protocol::DataMessage m;
  m.from = protocol::MessageSource::kGroup;
  m.group = r.group;
  m.fromUserId = id_.userId;
  m.payload = std::move(r.payload);
  m.metadata = std::move(r.metadata);
  if (worker_.tracer.active()) {
    traceMessage(
        worker_.tracer, id_,
        {"sendToGroup", "group", r.group, protocol::dataTypeName(m.payload.type), m.payload.data});
  }
  Target target = Target::group(std::move(r.group));
  if (r.noEcho) target.excluded.push_back(id_.connectionId);
  TimePoint deadline = ttlDeadline(worker_.loop.now(), r.ttlSeconds);
  worker_.broker.publish(id_.hubKey, target, OutboundMessage::make(std::move(m), deadline));
  if (r.ackId) {
    rememberAck(*r.ackId);
    sendAck(*r.ackId, std::nullopt);
  }
}

void ClientSession::handleEvent(protocol::EventRequest r) {
  if (answerDuplicateAck(r.ackId)) return;
  upstream::UpstreamEvent ev;
  ev.kind = cloudevents::EventKind::kUser;
  ev.userEventName = std::move(r.event);
  if (r.hasData) {
    ev.contentType = std::string(upstream::contentTypeFor(r.payload.type));
    ev.body = std::move(r.payload.data);
  } else {
    ev.contentType = "text/plain";
  }
  for (auto& [k, v] : r.metadata) {
    ev.extraHeaders.push_back({"X-WebPubSub-Metadata-" + toLowerAscii(k), v});
  }
  startUserEvent(std::move(ev), r.ackId);
}

void ClientSession::handleInvoke(protocol::InvokeRequest r) {
  auto refuse = [&](std::string_view name, std::string message) {
    protocol::AckError error{std::string(name), std::move(message)};
    sendFrame(protocol::makeTextFrame(protocol::encodeJsonInvokeResponse(r.invocationId, error)));
  };
  if (r.problem) {
    refuse(errors::kAckBadRequest, errors::invalidInvocationMessage(*r.problem));
    return;
  }
  uint64_t token = 0;
  switch (
      invocations_.admit(r.invocationId, worker_.settings().limits.maxPendingInvocations, &token)) {
    case Invocations::Admission::kDuplicate:  // the pending call's answer serves both
      WPS_LOG_INFO("connection {}: ignored invoke: invocation id already pending",
                   id_.connectionId);
      return;
    case Invocations::Admission::kTooMany:
      metrics::Metrics::inc(worker_.counters.invocationLimitHits);
      refuse(errors::kInvokeTooManyRequests, std::string(errors::kInvokeTooManyMessage));
      return;
    case Invocations::Admission::kAccepted:
      break;
  }
  metrics::Metrics::inc(worker_.counters.upstreamRequests);
  std::string id = r.invocationId;
  Invocations::Held call{
      id, token, makeInvokeEvent(std::move(r), worker_.settings().upstream.invocationIdHeader),
      nextCeId(), arrivalOfCurrent()};
  if (worker_.tracer.active()) {
    traceMessage(
        worker_.tracer, id_,
        {"invoke", "upstream", call.event.userEventName, call.event.contentType, call.event.body});
  }
  if (connectedPending_) {  // sent once the connected event settled, as user events
    invocations_.hold(id, token, std::move(call.event), std::move(call.ceId), call.arrived);
    return;
  }
  dispatchInvocation(std::move(call));
}

void ClientSession::dispatchInvocation(Invocations::Held call) {
  std::weak_ptr<ClientSession> weak = weak_from_this();
  auto done = [weak, id = call.invocationId, token = call.token,
               arrived = call.arrived](DispatchOutcome outcome) {
    if (auto self = weak.lock()) self->onInvocationDone(id, token, arrived, std::move(outcome));
  };
  auto request = worker_.dispatcher.dispatch(ctx_, std::move(call.event), std::move(call.ceId),
                                             id_.cookies, std::move(done));
  invocations_.setRequest(call.invocationId, call.token, std::move(request));
}

void ClientSession::onInvocationDone(const std::string& invocationId, uint64_t token,
                                     TimePoint arrived, DispatchOutcome outcome) {
  std::unique_ptr<upstream::RequestHandle> finished;  // released when this function returns
  if (!invocations_.complete(invocationId, token, &finished)) return;  // cancelled: dropped
  const ReplyStage stages = observeAnswerStages(worker_.counters, metrics::BlockingKind::kInvoke,
                                                arrived, outcome, transport_);
  // The invokeResponse below is queued at once (on this loop turn).
  observeBlocking(metrics::BlockingKind::kInvoke, arrived);
  InvocationAnswer answer = answerFor(outcome, worker_.settings().upstream.maxConnectionStateBytes);
  if (answer.error) {
    metrics::Metrics::inc(worker_.counters.upstreamFailures);
    logUserEventFailure(outcome);
    sendFrame(
        protocol::makeTextFrame(protocol::encodeJsonInvokeResponse(invocationId, *answer.error)));
    watchReply(stages);
    return;
  }
  if (answer.connectionState) {
    id_.connectionState = std::move(*answer.connectionState);
    ctx_.connectionState = id_.connectionState;
    worker_.outbox.updateConnectionState(id_.connectionId, id_.connectionState);
  }
  sendFrame(protocol::makeTextFrame(protocol::encodeJsonInvokeResult(invocationId, answer.data)));
  watchReply(stages);
}

void ClientSession::watchReply(const ReplyStage& reply) {
  if (!transport_ || reply.answered == TimePoint{}) return;
  const uint64_t queued = transport_->framesQueued();
  if (queued <= reply.framesBefore) return;  // no reply frame
  transport_->watchFrame(queued - 1);
  replyInvoke_ = reply.invoke;
  replyAnswered_ = reply.answered;
}

void ClientSession::onWatchedFrameWritten(ClientTransport* from) {
  if (from != transport_ || replyAnswered_ == TimePoint{}) return;
  observeReplyStage(worker_.counters, ReplyStage{replyInvoke_, replyAnswered_, 0},
                    worker_.loop.now());
  replyAnswered_ = TimePoint{};
}

TimePoint ClientSession::arrivalOfCurrent() const {
  return drainedArrival_ ? *drainedArrival_ : worker_.loop.now();
}

void ClientSession::observeBlocking(metrics::BlockingKind kind, TimePoint arrived) {
  metrics::Metrics::observe(worker_.counters.blockingLatency[static_cast<size_t>(kind)],
                            worker_.loop.now() - arrived);
}

void ClientSession::handleStream(protocol::StreamRequest r) {
  TimePoint now = worker_.loop.now();
  if (!streams_) {
    const auto& limits = worker_.settings().limits;
    StreamSink& sink = *this;  // a private base: converted here, not inside make_unique
    streams_ = std::make_unique<Streams>(Streams{
        GroupStreams(
            sink,
            GroupStreams::Limits{limits.maxStreamsPerConnection, GroupStreams::kDefaultIdleMs,
                                 limits.streamIdleTimeoutMaxMs},
            &worker_.counters),
        nullptr, TimePoint{}});
  }
  switch (r.kind) {
    case protocol::StreamRequest::Kind::kStart:
      streams_->table.start(now, r, r.problem || maySendTo(r.group));
      break;
    case protocol::StreamRequest::Kind::kData:
      streams_->table.data(now, std::move(r));
      break;
    case protocol::StreamRequest::Kind::kEnd:
      streams_->table.end(now, r);
      break;
  }
  armStreamTimer();
}

void ClientSession::armStreamTimer() {
  if (!streams_) return;  // no stream was ever started
  std::optional<TimePoint> next = streams_->table.nextDeadline();
  if (!next || state_ == State::kEnded) {
    streams_->timer.reset();
    return;
  }
  if (streams_->timer && streams_->timerAt <= *next) return;
  TimePoint now = worker_.loop.now();
  streams_->timerAt = *next;
  std::weak_ptr<ClientSession> weak = weak_from_this();
  streams_->timer = worker_.loop.schedule(*next > now ? *next - now : Duration::zero(), [weak] {
    if (auto self = weak.lock()) self->onStreamTimer();
  });
}

void ClientSession::onStreamTimer() {
  // The timer is released when this returns.
  std::unique_ptr<Timer> fired = std::move(streams_->timer);
  if (state_ == State::kEnded) return;
  streams_->table.tick(worker_.loop.now());
  armStreamTimer();
}

void ClientSession::publishStream(const std::string& group, bool noEcho, protocol::StreamInfo info,
                                  protocol::Payload payload) {
  protocol::DataMessage m;
  m.from = protocol::MessageSource::kGroup;
  m.group = group;
  m.fromUserId = id_.userId;
  m.payload = std::move(payload);
  m.stream = std::move(info);
  Target target = Target::group(group);
  if (noEcho) target.excluded.push_back(id_.connectionId);
  worker_.broker.publish(id_.hubKey, target, OutboundMessage::make(std::move(m)));
}

void ClientSession::sendStreamAck(const std::string& streamId, uint64_t expected) {
  sendControl(protocol::encodeJsonStreamAck(streamId, expected),
              protocol::encodeProtobufStreamAck(streamId, expected));
}

void ClientSession::sendStreamNack(const std::string& streamId, uint64_t expected,
                                   const protocol::AckError& error) {
  sendControl(protocol::encodeJsonStreamNack(streamId, expected, error),
              protocol::encodeProtobufStreamNack(streamId, expected, error));
}

void ClientSession::sendStreamClosed(const std::string& streamId,
                                     const std::optional<protocol::AckError>& error) {
  sendControl(error ? protocol::encodeJsonStreamClosed(streamId, *error)
                    : protocol::encodeJsonStreamClosed(streamId),
              protocol::encodeProtobufStreamClosed(streamId, error));
}

bool ClientSession::maySendTo(const std::string& group) const {
  return permissions_.allows(auth::Permission::kSendToGroup, group);
}

void ClientSession::handleGroupState(const protocol::GroupStateRequest& r) {
  if (!r.ackId) return;
  sendAck(*r.ackId, protocol::AckError{std::string(errors::kAckBadRequest),
                                       std::string(kGroupStateNotSupported)});
}

void ClientSession::handleSequenceAck(uint64_t sequenceId) {
  if (!isReliable()) return;
  if (sequenceId > lastSequenceId_ || sequenceId < lastAckedSequenceId_) return;
  lastAckedSequenceId_ = sequenceId;
  while (!replay_.empty() && replay_.front().sequenceId <= sequenceId) {
    replayBytes_ -= replay_.front().size();
    replay_.pop_front();
  }
  replay_.shrink();
}

void ClientSession::startUserEvent(upstream::UpstreamEvent event, std::optional<uint64_t> ackId) {
  metrics::Metrics::inc(worker_.counters.upstreamRequests);
  if (worker_.tracer.active()) {
    traceMessage(worker_.tracer, id_,
                 {protocol::isPubSub(id_.kind) ? "event" : "message", "upstream",
                  event.userEventName, event.contentType, event.body});
  }
  blockingActive_ = true;
  blockingArrived_ = arrivalOfCurrent();
  std::string ceId = nextCeId();
  if (connectedPending_) {  // sent once the connected event settled (see session.h)
    held_ = std::make_unique<HeldEvent>(HeldEvent{std::move(event), std::move(ceId), ackId});
    return;
  }
  dispatchUserEvent(std::move(event), std::move(ceId), ackId);
}

void ClientSession::dispatchUserEvent(upstream::UpstreamEvent event, std::string ceId,
                                      std::optional<uint64_t> ackId) {
  // Held weakly: the shard owns the session (also while it drains), the session owns the
  // request; no cycle survives the engine.
  std::weak_ptr<ClientSession> weak = weak_from_this();
  auto handle = worker_.dispatcher.dispatch(ctx_, std::move(event), std::move(ceId), id_.cookies,
                                            [weak, ackId](DispatchOutcome outcome) {
                                              if (auto self = weak.lock())
                                                self->onUserEventDone(std::move(outcome), ackId);
                                            });
  if (blockingActive_) blocking_ = std::move(handle);
}

void ClientSession::onUserEventDone(DispatchOutcome outcome, std::optional<uint64_t> ackId) {
  auto finished = std::move(blocking_);  // released when this function returns
  blockingActive_ = false;
  if (state_ == State::kEnded) {
    if (pendingDisconnect_) {
      std::string reason = std::move(*pendingDisconnect_);
      pendingDisconnect_.reset();
      sendDisconnectedEvent(std::move(reason));
    }
    worker_.shard.releaseDraining(this);  // the caller holds a reference for this call
    return;
  }
  // The reply, ack or close below is queued at once (on this loop turn).
  observeBlocking(metrics::BlockingKind::kEvent, blockingArrived_);
  const ReplyStage stages = observeAnswerStages(worker_.counters, metrics::BlockingKind::kEvent,
                                                blockingArrived_, outcome, transport_);
  bool simple = !protocol::isPubSub(id_.kind);
  std::optional<protocol::Payload> reply;
  bool ok = false;
  if (outcome.succeeded()) {
    ok = acceptUserEventAnswer(*outcome.response, simple, &reply);
  } else {
    logUserEventFailure(outcome);
  }
  if (!ok) {
    metrics::Metrics::inc(worker_.counters.upstreamFailures);
    if (simple) {
      closeWithSpec(errors::kUpstreamFailed, false);
      return;
    }
    if (ackId) {
      sendAck(*ackId, protocol::AckError{std::string(errors::kAckInternalServerError),
                                         std::string(errors::kAckInternalServerErrorMessage)});
    }
  } else {
    if (reply) sendUserEventReply(std::move(*reply), simple);
    if (ackId) {
      rememberAck(*ackId);
      sendAck(*ackId, std::nullopt);
    }
  }
  watchReply(stages);
  drain();
}

bool ClientSession::acceptUserEventAnswer(const http::HttpResponse& response, bool simple,
                                          std::optional<protocol::Payload>* reply) {
  auto state = upstream::connectionStateUpdate(response,
                                               worker_.settings().upstream.maxConnectionStateBytes);
  auto answer = upstream::interpretUserEventAnswer(response, simple);
  if (!state || !answer) {
    WPS_LOG_WARN("connection {}: invalid event handler answer: {}", id_.connectionId,
                 (!state ? state.status() : answer.status()).message());
    return false;
  }
  if (*state) {
    id_.connectionState = std::move(**state);
    ctx_.connectionState = id_.connectionState;
    worker_.outbox.updateConnectionState(id_.connectionId, id_.connectionState);
  }
  *reply = std::move(answer.value());
  return true;
}

void ClientSession::logUserEventFailure(const DispatchOutcome& outcome) const {
  if (outcome.kind == DispatchOutcome::Kind::kCompleted) {
    if (outcome.response) {
      WPS_LOG_WARN("connection {}: event handler answered {}", id_.connectionId,
                   outcome.response->status);
    } else {
      WPS_LOG_WARN("connection {}: event failed: {}", id_.connectionId,
                   outcome.response.status().toString());
    }
  } else if (outcome.kind == DispatchOutcome::Kind::kValidationFailed) {
    WPS_LOG_WARN("connection {}: event dropped: abuse protection validation failed",
                 id_.connectionId);
  }
}

void ClientSession::sendUserEventReply(protocol::Payload reply, bool simple) {
  if (simple) {
    bool binary = !protocol::isTextFrameFor(reply.type);
    sendFrame(protocol::makeSharedFrame(
        binary, std::make_shared<const std::string>(std::move(reply.data))));
    return;
  }
  protocol::DataMessage m;
  m.from = protocol::MessageSource::kServer;
  m.payload = std::move(reply);
  sendData(OutboundMessage(std::move(m)));
}

// --- Outbound --------------------------------------------------------------------------------

void ClientSession::deliver(const OutboundMessage& message) {
  if (state_ != State::kOpen && state_ != State::kDetached) return;
  // Simple clients get a raw frame per stream fragment and no terminal frame (spec 1.1 §3.6).
  const auto& stream = message.message().stream;
  if (stream && stream->endOfStream && id_.kind == protocol::ClientKind::kSimple) return;
  sendData(message);
}

void ClientSession::sendData(const OutboundMessage& message) {
  metrics::Metrics::inc(worker_.counters.messagesDelivered);
  if (!isReliable()) {
    sendFrame(message.frameFor(id_.kind, std::nullopt));
    return;
  }
  protocol::OutFrame frame = message.frameFor(id_.kind, ++lastSequenceId_);
  const auto& limits = worker_.settings().reliable;
  auto full = [&] {
    return replay_.size() + 1 > limits.bufferMessages ||
           replayBytes_ + frame.size() > limits.bufferBytes;
  };
  if (full() && (purgeExpiredReplay(), full())) {
    if (state_ == State::kDetached) {
      // Not now: this may run inside a group publish's visit of the members, which finish()
      // would modify (Shard::remove).
      endDetachedSoon(std::string(errors::kReliableBufferFull.reason));
      return;
    }
    closeWithSpec(errors::kReliableBufferFull, true);
    return;
  }
  replayBytes_ += frame.size();
  replay_.push_back(frame);
  if (state_ == State::kOpen) sendFrame(std::move(frame));
}

void ClientSession::purgeExpiredReplay() {
  size_t n = purgeExpired(replay_, worker_.loop.now(), &replayBytes_);
  if (n) metrics::Metrics::inc(worker_.counters.messagesExpired, n);
}

void ClientSession::onFramesExpired(ClientTransport* from, size_t count) {
  if (from != transport_) return;
  metrics::Metrics::inc(worker_.counters.messagesExpired, count);
}

void ClientSession::sendControl(std::string jsonText, std::string protobufBytes) {
  if (protocol::isJsonFamily(id_.kind)) {
    sendFrame(protocol::makeTextFrame(std::move(jsonText)));
  } else {
    sendFrame(protocol::makeBinaryFrame(std::move(protobufBytes)));
  }
}

void ClientSession::sendAck(uint64_t ackId, std::optional<protocol::AckError> error) {
  sendControl(protocol::encodeJsonAck(ackId, error), protocol::encodeProtobufAck(ackId, error));
}

void ClientSession::sendFrame(protocol::OutFrame frame) {
  if (!transport_ || state_ != State::kOpen) return;
  if (transport_->send(std::move(frame)) == SendStatus::kOverflow) {
    metrics::Metrics::inc(worker_.counters.slowClientsClosed);
    closeWithSpec(errors::kOutboundQueueFull, true);
  }
}

// --- Acks ------------------------------------------------------------------------------------

bool ClientSession::ackSeen(uint64_t ackId) const {
  return acks_ && acks_->ids.count(ackId) > 0;
}

void ClientSession::rememberAck(uint64_t ackId) {
  if (!acks_) acks_ = std::make_unique<AckCache>();
  if (!acks_->ids.insert(ackId).second) return;
  acks_->order.push_back(ackId);
  if (acks_->order.size() > kMaxRememberedAcks) {
    acks_->ids.erase(acks_->order.front());
    acks_->order.pop_front();
  }
}

}  // namespace wps::core
