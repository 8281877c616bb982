#include "delivery/outbox.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cloudevents/group_presence.h"
#include "cloudevents/signature.h"
#include "cloudevents/url_template.h"
#include "common/log.h"
#include "common/mutex.h"
#include "common/strings.h"
#include "delivery/retry_policy.h"
#include "upstream/event_dispatcher.h"
#include "upstream/handler_selector.h"
#include "upstream/instrumented_client.h"

namespace wps::delivery {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Verdict = AttemptVerdict;

constexpr Duration kTick = 1s;
// Expired events removed per tick at most (a long outage expires them over a few ticks).
constexpr size_t kExpireBatch = 100000;
constexpr Duration kBacklogWarningInterval = 60s;
constexpr Duration kStoreErrorLogInterval = 10s;

int64_t toMs(WallTime t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

std::string_view eventName(cloudevents::EventKind kind) {
  return cloudevents::ceEventName(kind, "");
}

// The handler that takes `event` under the current settings (nullptr: none any more). A group
// presence event is matched with its group (from its body) against the group filters.
const config::EventHandlerSettings* handlerOf(const config::ServerSettings& settings,
                                              const PendingEvent& event) {
  std::string group;
  if (cloudevents::isGroupPresence(event.kind)) {
    auto parsed = cloudevents::groupOfPresenceBody(event.body);
    if (!parsed) return nullptr;
    group = std::move(*parsed);
  }
  return upstream::selectHandler(config::hubSettings(settings, event.hub), event.kind, group);
}

// The handler as logs name it: scheme, host and port only (never a path, query or userinfo,
// which may carry credentials).
std::string handlerName(const config::EventHandlerSettings& handler, std::string_view hub,
                        cloudevents::EventKind kind) {
  auto parts = cloudevents::parseHttpUrl(handler.urlTemplate.resolve(hub, eventName(kind)));
  return parts ? parts->origin : std::string("(invalid URL)");
}

// A short description of an attempt's outcome for logs: the status or the error.
std::string describe(const upstream::DispatchOutcome& o) {
  if (o.kind == upstream::DispatchOutcome::Kind::kValidationFailed) {
    return "abuse protection validation failed";
  }
  if (!o.response) return o.response.status().toString();
  return "HTTP " + std::to_string(o.response->status);
}

// The `disconnected` event the outbox makes for a connection it no longer holds.
PendingEvent recoveredDisconnected(const ConnectionRecord& record, std::string_view reason,
                                   int64_t nowMs) {
  PendingEvent e;
  e.kind = cloudevents::EventKind::kDisconnected;
  e.hub = record.hub;
  e.connectionId = record.connectionId;
  e.userId = record.userId;
  e.subprotocol = record.subprotocol;
  e.connectionState = record.connectionState;
  e.origin = record.origin;
  e.ceId = std::string(kRecoveredCeId);
  e.timeMs = nowMs;
  e.contentType = "application/json";
  e.body = "{\"reason\":";
  appendJsonString(e.body, reason);
  e.body += "}";
  return e;
}

// The host part of WebHook-Request-Origin when nothing is configured: the events of the outbox
// have no handshake Host of their own, so the listen address stands in (a wildcard as
// 127.0.0.1, as the connection string does).
std::string fallbackOriginHost(const config::ServerSettings& settings) {
  const std::string& h = settings.listenHost;
  if (h.empty() || h == "0.0.0.0" || h == "::") return "127.0.0.1";
  return h.find(':') != std::string::npos ? "[" + h + "]" : h;
}

}  // namespace

// Thread: accept(), record(), updateState() and requestFlush() on any thread (the inbox is under
// mu_); everything else on the outbox thread (loop_).
class Outbox::Impl {
 public:
  Impl(Outbox& owner, config::SettingsPtr settings, EventLoop& loop,
       upstream::UpstreamClient& client, upstream::AbuseProtection& abuse,
       std::unique_ptr<OutboxStore> store, metrics::Metrics& metrics)
      : owner_(owner),
        settings_(settings),
        loop_(loop),
        client_(client),
        dispatcher_(settings, loop, client_, abuse, {}),
        store_(std::move(store)),
        policy_(settings->delivery.maxRetryDelay),
        counters_(metrics) {
    client_.recordInto(&counters_);
  }

  ~Impl() {
    *alive_ = false;
    metrics::Metrics::set(counters_.deliveryPendingEvents, 0);
    metrics::Metrics::set(counters_.deliveryPendingBytes, 0);
    metrics::Metrics::set(counters_.deliveryOldestPendingSeconds, 0);
  }

  void traceInto(trace::Tracer* tracer) { dispatcher_.traceInto(tracer); }

  // Any thread: the outbox thread takes `settings` when it runs the posted task.
  void setSettings(config::SettingsPtr settings) {
    loop_.post([this, alive = alive_, settings = std::move(settings)]() mutable {
      if (!*alive) return;
      dispatcher_.setSettings(settings);
      settings_ = std::move(settings);
    });
  }

  // Any thread.
  void accept(PendingEvent event, SetCookieHook hook) EXCLUDES(mu_);
  void record(ConnectionRecord record) EXCLUDES(mu_);
  void updateState(std::string connectionId, std::string state) EXCLUDES(mu_);

  // Outbox thread.
  Status start();
  uint64_t stop();

 private:
  enum class Phase { kIdle, kRunning, kStopped };
  struct Inbox {
    std::vector<ConnectionRecord> records;
    std::vector<PendingEvent> events;
    std::vector<SetCookieHook> hooks;  // parallel to events
    std::vector<OutboxStore::StateUpdate> states;
  };
  struct InFlight {
    PendingEvent event;
    std::unique_ptr<upstream::RequestHandle> handle;
  };
  enum class DropReason { kExpired, kGone, kRejected, kOverflow };

  void requestFlush() EXCLUDES(mu_);
  void takeInbox() EXCLUDES(mu_);
  void flush();
  bool applyBatch();
  // Removes and returns the hook of `seq` (empty when it has none).
  SetCookieHook takeHook(uint64_t seq);
  // Drops every hook of `connectionId`'s pending events (its disconnected event was accepted).
  void releaseHooksOf(const std::string& connectionId);
  void startDue();
  void startAttempt(PendingEvent event);
  upstream::EventContext contextOf(const PendingEvent& event) const;
  void onOutcome(uint64_t seq, upstream::DispatchOutcome outcome);
  void delivered(const PendingEvent& event, const http::HttpResponse& response);
  void retry(const PendingEvent& event, const upstream::DispatchOutcome& outcome);
  void dropAttempted(const PendingEvent& event, DropReason reason, const std::string& why);
  void forget(uint64_t seq, DropReason reason, size_t count);
  void tick();
  void dropFromStore(bool expired);
  void armWakeup();
  void updateGauges();
  void warnBacklog();
  void logStoreError(std::string_view what, const Status& status);
  int64_t nowMs() const { return toMs(loop_.wallNow()); }

  Outbox& owner_;
  config::SettingsPtr settings_;  // outbox thread: the current generation
  EventLoop& loop_;
  upstream::InstrumentedUpstreamClient client_;  // measures the dispatcher's requests
  upstream::EventDispatcher dispatcher_;         // no retries of its own: one attempt per dispatch
  std::unique_ptr<OutboxStore> store_;
  RetryPolicy policy_;
  metrics::CounterBlock counters_;
  // Tasks posted to the loop check it: the loop may outlive the outbox.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  Mutex mu_;
  Inbox inbox_ GUARDED_BY(mu_);
  bool flushPosted_ GUARDED_BY(mu_) = false;

  // Outbox thread only.
  Phase phase_ = Phase::kIdle;
  OutboxStore::Batch batch_;               // the next transaction (kept while apply() fails)
  std::vector<SetCookieHook> batchHooks_;  // parallel to batch_.appended
  // Hooks by seq, until the event is delivered or dropped, or its connection's disconnected
  // event is accepted (the connection is over: neither its cookies nor its signals matter, and
  // what a hook holds must not outlive it while a backlog waits for the upstream).
  struct HookEntry {
    std::string connectionId;
    SetCookieHook hook;
  };
  std::unordered_map<uint64_t, HookEntry> hooks_;
  std::unordered_map<std::string, std::vector<uint64_t>> hookedSeqs_;  // by connection id
  std::unordered_map<uint64_t, InFlight> inFlight_;                    // by seq
  // The latest failure per hub (handler origin and outcome), for the backlog warning.
  std::unordered_map<std::string, std::string> failing_;
  std::unique_ptr<Timer> tick_;
  std::unique_ptr<Timer> wakeup_;
  std::optional<int64_t> wakeupAtMs_;
  std::optional<TimePoint> lastBacklogWarning_;
  std::optional<TimePoint> lastStoreErrorLog_;
  uint64_t storeErrorsUnlogged_ = 0;
};

void Outbox::traceInto(trace::Tracer* tracer) {
  impl_->traceInto(tracer);
}

void Outbox::Impl::accept(PendingEvent event, SetCookieHook hook) {
  owner_.pending_.fetch_add(1, std::memory_order_relaxed);
  {
    MutexLock lock(mu_);
    inbox_.events.push_back(std::move(event));
    inbox_.hooks.push_back(std::move(hook));
  }
  requestFlush();
}

void Outbox::Impl::record(ConnectionRecord record) {
  {
    MutexLock lock(mu_);
    inbox_.records.push_back(std::move(record));
  }
  requestFlush();
}

void Outbox::Impl::updateState(std::string connectionId, std::string state) {
  {
    MutexLock lock(mu_);
    inbox_.states.push_back({std::move(connectionId), std::move(state)});
  }
  requestFlush();
}

void Outbox::Impl::requestFlush() {
  {
    MutexLock lock(mu_);
    if (flushPosted_) return;
    flushPosted_ = true;
  }
  loop_.post([this, alive = alive_] {
    if (*alive) flush();
  });
}

void Outbox::Impl::takeInbox() {
  Inbox in;
  {
    MutexLock lock(mu_);
    std::swap(in, inbox_);
    flushPosted_ = false;
  }
  for (auto& r : in.records)
    batch_.recorded.push_back(std::move(r));
  int64_t now = nowMs();
  for (size_t i = 0; i < in.events.size(); ++i) {
    PendingEvent& e = in.events[i];
    e.attempts = 0;
    e.dueMs = now;
    batch_.appended.push_back(std::move(e));
    batchHooks_.push_back(std::move(in.hooks[i]));
  }
  for (auto& s : in.states)
    batch_.stateUpdates.push_back(std::move(s));
}

// One loop turn's work: the inbox and the finished attempts in one transaction, then the
// overflow cap, then new attempts for the due heads.
void Outbox::Impl::flush() {
  if (phase_ == Phase::kIdle) return;  // start() flushes
  takeInbox();
  bool appended = !batch_.appended.empty();
  if (!applyBatch()) return;  // kept for the next tick
  if (appended) dropFromStore(false);
  startDue();
  updateGauges();
}

Outbox::SetCookieHook Outbox::Impl::takeHook(uint64_t seq) {
  auto it = hooks_.find(seq);
  if (it == hooks_.end()) return {};
  SetCookieHook hook = std::move(it->second.hook);
  auto seqs = hookedSeqs_.find(it->second.connectionId);
  if (seqs != hookedSeqs_.end()) {
    std::erase(seqs->second, seq);
    if (seqs->second.empty()) hookedSeqs_.erase(seqs);
  }
  hooks_.erase(it);
  return hook;
}

void Outbox::Impl::releaseHooksOf(const std::string& connectionId) {
  auto seqs = hookedSeqs_.find(connectionId);
  if (seqs == hookedSeqs_.end()) return;
  for (uint64_t seq : seqs->second)
    hooks_.erase(seq);
  hookedSeqs_.erase(seqs);
}

bool Outbox::Impl::applyBatch() {
  if (batch_.empty()) return true;
  batch_.nowMs = nowMs();
  Status s = store_->apply(batch_);
  if (!s.isOk()) {
    logStoreError("apply", s);
    return false;
  }
  for (size_t i = 0; i < batch_.appended.size(); ++i) {
    const PendingEvent& ev = batch_.appended[i];
    if (ev.kind == cloudevents::EventKind::kDisconnected) {
      releaseHooksOf(ev.connectionId);
    } else if (batchHooks_[i]) {
      hooks_[ev.seq] = HookEntry{ev.connectionId, std::move(batchHooks_[i])};
      hookedSeqs_[ev.connectionId].push_back(ev.seq);
    }
  }
  batch_ = OutboxStore::Batch{};
  batchHooks_.clear();
  return true;
}

void Outbox::Impl::startDue() {
  if (phase_ != Phase::kRunning) return;
  size_t cap = std::max<size_t>(settings_->delivery.maxInFlight, 1);
  if (inFlight_.size() < cap) {
    auto due = store_->takeDue(nowMs(), cap - inFlight_.size());
    if (!due) {
      logStoreError("takeDue", due.status());
    } else {
      for (auto& e : *due)
        startAttempt(std::move(e));
    }
  }
  armWakeup();
}

upstream::EventContext Outbox::Impl::contextOf(const PendingEvent& event) const {
  upstream::EventContext ctx;
  ctx.hub = event.hub;
  ctx.connectionId = event.connectionId;
  ctx.userId = event.userId;
  ctx.subprotocol = event.subprotocol;
  ctx.connectionState = event.connectionState;
  // Recomputed per attempt: the keys may have rotated since the event was accepted.
  ctx.signature = cloudevents::computeSignature(settings_->accessKeys, event.connectionId);
  ctx.keysGeneration = dispatcher_.keysGeneration();
  // The connection's own origin (from its handshake's Host) when the producer knew it.
  ctx.origin = event.origin.empty()
                   ? upstream::webhookRequestOrigin(*settings_, fallbackOriginHost(*settings_))
                   : event.origin;
  return ctx;
}

void Outbox::Impl::startAttempt(PendingEvent event) {
  if (!handlerOf(*settings_, event)) {
    WPS_LOG_WARN(
        "outbox: {} event of connection {} dropped: hub '{}' has no handler for it any "
        "more",
        eventName(event.kind), event.connectionId, event.hub);
    batch_.removed.push_back(event.seq);
    forget(event.seq, DropReason::kRejected, 1);
    requestFlush();
    return;
  }
  upstream::EventContext ctx = contextOf(event);
  upstream::UpstreamEvent request;
  request.kind = event.kind;
  if (cloudevents::isGroupPresence(event.kind)) {  // the dispatcher matches the group filters
    request.userEventName = cloudevents::groupOfPresenceBody(event.body).value_or("");
  }
  request.contentType = event.contentType;
  request.body = event.body;
  request.extraHeaders = event.extraHeaders;
  request.time = WallTime(milliseconds(event.timeMs));  // the same ce-time on every attempt
  uint64_t seq = event.seq;
  std::string ceId = event.ceId;
  inFlight_.insert_or_assign(seq, InFlight{std::move(event), nullptr});
  auto handle = dispatcher_.dispatch(
      ctx, std::move(request), std::move(ceId), nullptr,
      [this, seq](upstream::DispatchOutcome o) { onOutcome(seq, std::move(o)); });
  // A cached validation failure completes inside dispatch(): the entry is gone then.
  auto it = inFlight_.find(seq);
  if (it != inFlight_.end()) it->second.handle = std::move(handle);
}

void Outbox::Impl::onOutcome(uint64_t seq, upstream::DispatchOutcome outcome) {
  auto it = inFlight_.find(seq);
  if (it == inFlight_.end()) return;
  InFlight done = std::move(it->second);  // its handle is destroyed on return (allowed)
  inFlight_.erase(it);
  Verdict verdict = Verdict::kRejected;  // kNoHandler: the settings changed meanwhile
  if (outcome.kind == upstream::DispatchOutcome::Kind::kCompleted) {
    verdict = classifyAttempt(outcome.response);
  } else if (outcome.kind == upstream::DispatchOutcome::Kind::kValidationFailed) {
    verdict = Verdict::kRetry;
  }
  switch (verdict) {
    case Verdict::kDelivered:
      delivered(done.event, *outcome.response);
      break;
    case Verdict::kRetry:
      retry(done.event, outcome);
      break;
    case Verdict::kGone:
      dropAttempted(done.event, DropReason::kGone, describe(outcome));
      break;
    case Verdict::kRejected:
      dropAttempted(done.event, DropReason::kRejected, describe(outcome));
      break;
  }
  requestFlush();  // one transaction for every result of this turn
}

void Outbox::Impl::delivered(const PendingEvent& event, const http::HttpResponse& response) {
  metrics::Metrics::inc(counters_.deliveryAttemptsOk);
  failing_.erase(event.hub);
  batch_.removed.push_back(event.seq);
  owner_.pending_.fetch_sub(1, std::memory_order_relaxed);
  SetCookieHook onSetCookie = takeHook(event.seq);
  if (!onSetCookie) return;
  std::vector<std::string> cookies;
  for (auto sc : http::findAllHeaders(response.headers, "Set-Cookie"))
    cookies.emplace_back(sc);
  const auto* handler = handlerOf(*settings_, event);
  if (cookies.empty() || !handler) return;
  onSetCookie(std::move(cookies), handler->urlTemplate.resolve(event.hub, eventName(event.kind)));
}

void Outbox::Impl::retry(const PendingEvent& event, const upstream::DispatchOutcome& outcome) {
  metrics::Metrics::inc(counters_.deliveryAttemptsRetry);
  uint32_t attempts = event.attempts + 1;
  milliseconds delay = policy_.retryDelay(attempts, outcome.response, loop_.wallNow());
  batch_.rescheduled.push_back({event.seq, attempts, nowMs() + delay.count()});
  if (const auto* handler = handlerOf(*settings_, event)) {
    failing_[event.hub] = handlerName(*handler, event.hub, event.kind) + ": " + describe(outcome);
  }
  WPS_LOG_DEBUG("outbox: {} event of connection {} failed ({}), attempt {}, next in {} ms",
                eventName(event.kind), event.connectionId, describe(outcome), attempts,
                delay.count());
}

void Outbox::Impl::dropAttempted(const PendingEvent& event, DropReason reason,
                                 const std::string& why) {
  metrics::Metrics::inc(counters_.deliveryAttemptsDropped);
  batch_.removed.push_back(event.seq);
  forget(event.seq, reason, 1);
  WPS_LOG_WARN("outbox: {} event of connection {} (hub '{}') dropped after {} attempts: {}",
               eventName(event.kind), event.connectionId, event.hub, event.attempts + 1, why);
}

// Accounts for `count` events dropped for `reason` (`seq` names one of them, or 0).
void Outbox::Impl::forget(uint64_t seq, DropReason reason, size_t count) {
  if (seq != 0) takeHook(seq);
  owner_.pending_.fetch_sub(count, std::memory_order_relaxed);
  switch (reason) {
    case DropReason::kExpired:
      metrics::Metrics::inc(counters_.deliveryDroppedExpired, count);
      break;
    case DropReason::kGone:
      metrics::Metrics::inc(counters_.deliveryDroppedGone, count);
      break;
    case DropReason::kRejected:
      metrics::Metrics::inc(counters_.deliveryDroppedRejected, count);
      break;
    case DropReason::kOverflow:
      metrics::Metrics::inc(counters_.deliveryDroppedOverflow, count);
      break;
  }
}

void Outbox::Impl::tick() {
  tick_ = loop_.schedule(kTick, [this, alive = alive_] {
    if (*alive) tick();
  });
  takeInbox();
  if (applyBatch()) {
    dropFromStore(true);
    dropFromStore(false);
    startDue();
  }
  updateGauges();
  warnBacklog();
}

// Drops expired events (`expired`) or the overflow beyond the caps, logged once per call.
void Outbox::Impl::dropFromStore(bool expired) {
  const auto& d = settings_->delivery;
  int64_t now = nowMs();
  auto dropped = expired ? store_->dropExpired(
                               now - std::chrono::duration_cast<milliseconds>(d.retention).count(),
                               now, kExpireBatch)
                         : store_->dropOverflow(d.maxPendingEvents, d.maxPendingBytes, now);
  if (!dropped) {
    logStoreError(expired ? "dropExpired" : "dropOverflow", dropped.status());
    return;
  }
  if (dropped->empty()) return;
  uint64_t bytes = 0;
  for (const EventRef& ref : *dropped) {
    bytes += ref.bytes;
    takeHook(ref.seq);
  }
  forget(0, expired ? DropReason::kExpired : DropReason::kOverflow, dropped->size());
  WPS_LOG_WARN(
      "outbox: dropped {} pending events ({} bytes, first: {} of connection {} in hub "
      "'{}'): {}",
      dropped->size(), bytes, eventName(dropped->front().kind), dropped->front().connectionId,
      dropped->front().hub,
      expired ? "older than delivery.retention_seconds"
              : "over delivery.max_pending_events or max_pending_bytes");
}

// Schedules a wake-up at the earliest due head, so a retry (or Retry-After) is not rounded up
// to the next tick.
void Outbox::Impl::armWakeup() {
  if (phase_ != Phase::kRunning) return;
  if (inFlight_.size() >= std::max<size_t>(settings_->delivery.maxInFlight, 1)) return;
  std::optional<int64_t> next = store_->nextDueMs();
  if (!next) return;
  if (wakeup_ && wakeupAtMs_ && *wakeupAtMs_ <= *next) return;
  wakeupAtMs_ = *next;
  wakeup_ =
      loop_.schedule(milliseconds(std::max<int64_t>(0, *next - nowMs())), [this, alive = alive_] {
        if (!*alive) return;
        wakeupAtMs_.reset();
        wakeup_.reset();  // safe: the loop moved the task out first
        flush();
      });
}

void Outbox::Impl::updateGauges() {
  StoreStats st = store_->stats();
  int64_t oldest = st.oldestTimeMs ? std::max<int64_t>(0, (nowMs() - *st.oldestTimeMs) / 1000) : 0;
  metrics::Metrics::set(counters_.deliveryPendingEvents, static_cast<int64_t>(st.events));
  metrics::Metrics::set(counters_.deliveryPendingBytes, static_cast<int64_t>(st.bytes));
  metrics::Metrics::set(counters_.deliveryOldestPendingSeconds, oldest);
}

// At most once a minute while the oldest pending event has waited longer than one retry cycle.
void Outbox::Impl::warnBacklog() {
  StoreStats st = store_->stats();
  if (!st.oldestTimeMs) return;
  milliseconds age(nowMs() - *st.oldestTimeMs);
  if (age <= settings_->delivery.maxRetryDelay) return;
  TimePoint now = loop_.now();
  if (lastBacklogWarning_ && now - *lastBacklogWarning_ < kBacklogWarningInterval) return;
  lastBacklogWarning_ = now;
  std::string handlers;
  for (const auto& [hub, failure] : failing_) {
    if (!handlers.empty()) handlers += "; ";
    handlers += "hub '" + hub + "' → " + failure;
  }
  WPS_LOG_WARN("outbox: {} events ({} bytes) pending, the oldest for {} s; failing handlers: {}",
               st.events, st.bytes, age.count() / 1000, handlers.empty() ? "none" : handlers);
}

void Outbox::Impl::logStoreError(std::string_view what, const Status& status) {
  TimePoint now = loop_.now();
  if (lastStoreErrorLog_ && now - *lastStoreErrorLog_ < kStoreErrorLogInterval) {
    ++storeErrorsUnlogged_;
    return;
  }
  lastStoreErrorLog_ = now;
  WPS_LOG_ERROR("outbox: store {} failed: {} ({} more failures since the last report); retrying",
                what, status.toString(), storeErrorsUnlogged_);
  storeErrorsUnlogged_ = 0;
}

Status Outbox::Impl::start() {
  auto orphans = store_->orphanedConnections();
  if (!orphans) return orphans.status();
  // The events an earlier process left in a durable store are pending too.
  owner_.pending_.fetch_add(store_->stats().events, std::memory_order_relaxed);
  int64_t now = nowMs();
  for (const ConnectionRecord& record : *orphans)
    accept(recoveredDisconnected(record, kReasonServerRestarted, now), {});
  if (!orphans->empty()) {
    WPS_LOG_INFO("outbox: {} connections of an earlier process get a disconnected event ({})",
                 orphans->size(), kReasonServerRestarted);
  }
  phase_ = Phase::kRunning;
  flush();
  tick_ = loop_.schedule(kTick, [this, alive = alive_] {
    if (*alive) tick();
  });
  WPS_LOG_INFO("outbox: started, {} events pending{}", owner_.pendingEvents(),
               store_->durable() ? "" : " (in memory: lost on restart)");
  return Status();
}

uint64_t Outbox::Impl::stop() {
  takeInbox();
  if (!applyBatch()) {
    WPS_LOG_ERROR("outbox: {} accepted events could not be stored at shutdown",
                  batch_.appended.size());
  }
  phase_ = Phase::kStopped;
  inFlight_.clear();  // cancels the attempts: their events stay pending (leases are not kept)
  tick_.reset();
  wakeup_.reset();
  wakeupAtMs_.reset();
  updateGauges();
  return owner_.pendingEvents();
}

Outbox::Outbox(config::SettingsPtr settings, EventLoop& loop, upstream::UpstreamClient& client,
               upstream::AbuseProtection& abuse, std::unique_ptr<OutboxStore> store,
               metrics::Metrics& metrics)
    : impl_(std::make_unique<Impl>(*this, std::move(settings), loop, client, abuse,
                                   std::move(store), metrics)) {}

void Outbox::setSettings(config::SettingsPtr settings) {
  impl_->setSettings(std::move(settings));
}

Outbox::~Outbox() = default;

Status Outbox::start() {
  return impl_->start();
}

void Outbox::accept(PendingEvent event, SetCookieHook onSetCookie) {
  impl_->accept(std::move(event), std::move(onSetCookie));
}

void Outbox::recordConnection(ConnectionRecord record) {
  impl_->record(std::move(record));
}

void Outbox::updateConnectionState(std::string connectionId, std::string state) {
  impl_->updateState(std::move(connectionId), std::move(state));
}

uint64_t Outbox::stop() {
  return impl_->stop();
}

}  // namespace wps::delivery
