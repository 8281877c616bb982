// Sends CloudEvents to a hub's event handler: selects the handler, passes abuse protection,
// builds the binary-mode request and delivers it with retries within the event's timeout.
// Owned by one worker; loop-thread only. One instance per worker.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cloudevents/event_types.h"
#include "config/generation.h"
#include "http/message.h"
#include "metrics/metrics.h"
#include "upstream/abuse_protection.h"
#include "upstream/cookie_jar.h"
#include "upstream/delivery.h"

namespace wps::upstream {

// The WebHook-Request-Origin of events of a connection whose handshake carried Host `host`:
// upstream.request_origin when set, else public_endpoint's host when set, else `host` without
// its port. The client-controlled Host is used only when no origin is configured. Pure.
std::string webhookRequestOrigin(const config::ServerSettings& settings, std::string_view host);

// The identity every event of one connection carries. Plain value, owned by the connection's
// worker.
struct EventContext {
  std::string hub;  // lower-cased
  std::string connectionId;
  std::optional<std::string> userId;
  std::string subprotocol;      // empty = none
  std::string connectionState;  // empty = none
  std::string signature;        // precomputed ce-signature ("" without keys)
  // The dispatcher's keysGeneration() when `signature` was computed; after a key rotation the
  // dispatcher computes the signature with the current keys instead.
  uint64_t keysGeneration = 0;
  std::string origin;  // WebHook-Request-Origin
};

// One event to send: its kind, content and metadata headers. Plain value, moved into dispatch().
struct UpstreamEvent {
  cloudevents::EventKind kind = cloudevents::EventKind::kUser;
  std::string userEventName;  // user events; the group of a group presence event
  std::string contentType;
  std::string body;
  http::HttpHeaders extraHeaders;  // X-WebPubSub-Metadata-*
  // ce-time; empty = the loop's wall clock when the request is built. The outbox fixes it at
  // acceptance so that every attempt of an event is byte-identical.
  std::optional<WallTime> time;
};

// How a dispatch ended, handed to its callback. Plain value, delivered on the loop thread.
struct DispatchOutcome {
  enum class Kind {
    kNoHandler,         // no handler matched: nothing was sent
    kValidationFailed,  // abuse protection failed for the handler's URL
    kCompleted,         // `response` holds the final answer or transport error
  };
  Kind kind = Kind::kNoHandler;
  StatusOr<http::HttpResponse> response = Status(StatusCode::kInternal, "not sent");

  // True when the handler was reached and answered 2xx.
  bool succeeded() const { return kind == Kind::kCompleted && response && response->isSuccess(); }
};

// Owned by one worker; every method is called on that worker's loop thread.
class EventDispatcher {
 public:
  using Callback = std::function<void(DispatchOutcome)>;

  // `loop`, `client` and `abuseProtection` must outlive the dispatcher (and `settings`, in the
  // overloads taking a reference). Delivery retries follow settings.upstream.retryDelays.
  EventDispatcher(config::SettingsPtr settings, EventLoop& loop, UpstreamClient& client,
                  AbuseProtection& abuseProtection);
  EventDispatcher(const config::ServerSettings& settings, EventLoop& loop, UpstreamClient& client,
                  AbuseProtection& abuseProtection)
      : EventDispatcher(config::unownedSettings(settings), loop, client, abuseProtection) {}
  // The same with its own retry delays (none: one attempt per dispatch, as the outbox, which
  // schedules retries itself, wants); setSettings() keeps them.
  EventDispatcher(config::SettingsPtr settings, EventLoop& loop, UpstreamClient& client,
                  AbuseProtection& abuseProtection, std::vector<milliseconds> retryDelays);
  EventDispatcher(const config::ServerSettings& settings, EventLoop& loop, UpstreamClient& client,
                  AbuseProtection& abuseProtection, std::vector<milliseconds> retryDelays)
      : EventDispatcher(config::unownedSettings(settings), loop, client, abuseProtection,
                        std::move(retryDelays)) {}

  // Loop thread (a reload). Events dispatched from now on use `settings`: its handlers,
  // timeouts, retry delays and the access keys of ce-signature; requests already built keep
  // their own copies. Increments keysGeneration() when the access keys differ.
  void setSettings(config::SettingsPtr settings);
  uint64_t keysGeneration() const { return keysGeneration_; }

  // True if an event of this kind/name would be sent for `hubKey` (a handler matches).
  bool hasHandler(std::string_view hubKey, cloudevents::EventKind kind,
                  std::string_view userEventName) const;

  // Sends `event` for `ctx` with ce-id `ceId`. `done` gets the outcome on the loop thread
  // (synchronously for kNoHandler and for a cached validation failure). The event's timeout
  // (handler's, else upstream.timeout_seconds) starts with its first attempt, after validation.
  // Set-Cookie of 2xx answers are stored into `cookies` (may be null). Destroying the returned
  // handle cancels (no callback); it is null when `done` was already called.
  std::unique_ptr<RequestHandle> dispatch(const EventContext& ctx, UpstreamEvent event,
                                          std::string ceId, std::shared_ptr<CookieJar> cookies,
                                          Callback done);

  // Fire-and-forget (connected, disconnected): the dispatcher keeps the request alive itself
  // until it completes; failures are logged. Drained on shutdown. When
  // upstream.max_pending_requests_per_origin detached requests to the handler's origin are
  // still in flight, the event fails at once (logged, counted) instead, as on a timeout.
  void dispatchDetached(const EventContext& ctx, UpstreamEvent event, std::string ceId,
                        std::shared_ptr<CookieJar> cookies);

  // Detached requests still in flight.
  size_t detachedInFlight() const { return detached_.size(); }
  // Cancels every detached request (shutdown deadline).
  void cancelDetached() {
    detached_.clear();
    detachedPerOrigin_.clear();
  }

  // Counts events failed at once by a bound on waiting requests (detached requests, validation
  // waiters, and the client's own: forwarded to it) in `counter`, this worker's counter.
  void countOverflowsIn(metrics::Counter* counter);
  // Every upstream attempt becomes a live-trace event while `tracer` has viewers (null = never).
  void traceInto(trace::Tracer* tracer) { delivery_.traceInto(tracer); }

  // The worker's loop, on which every callback runs.
  EventLoop& loop() { return loop_; }

 private:
  const config::ServerSettings& settings() const { return *settings_; }
  // The ce-signature of `ctx`'s connection with the current access keys (used when
  // ctx.keysGeneration is older than keysGeneration_).
  std::string signatureWithCurrentKeys(const EventContext& ctx) const;

  config::SettingsPtr settings_;
  bool ownRetryDelays_ = false;  // constructed with explicit retry delays: reloads keep them
  uint64_t keysGeneration_ = 0;
  EventLoop& loop_;
  Delivery delivery_;
  AbuseProtection& abuseProtection_;
  struct Detached {
    std::unique_ptr<RequestHandle> handle;
    std::string origin;  // "scheme://host:port" of its URL
  };
  // The origin of the URL `event` would be sent to; nullopt when no handler matches.
  std::optional<std::string> handlerOrigin(const EventContext& ctx,
                                           const UpstreamEvent& event) const;
  // Fails a detached event at once (the bound was reached), as a timeout would.
  void overflowDetached(const EventContext& ctx, const UpstreamEvent& event,
                        const std::string& origin);
  void forgetDetached(uint64_t id);

  metrics::Counter* overflows_ = nullptr;
  uint64_t nextDetachedId_ = 0;
  std::unordered_map<uint64_t, Detached> detached_;
  std::unordered_map<std::string, size_t> detachedPerOrigin_;
};

}  // namespace wps::upstream
