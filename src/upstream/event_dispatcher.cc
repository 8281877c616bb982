#include "upstream/event_dispatcher.h"

#include "cloudevents/request_builder.h"
#include "cloudevents/signature.h"
#include "cloudevents/url_template.h"
#include "common/log.h"
#include "upstream/handler_selector.h"

namespace wps::upstream {
namespace {

// A dispatch in progress: waiting for validation, then for the delivery.
struct Pending {
  std::unique_ptr<RequestHandle> delivery;
  bool cancelled = false;
  bool finished = false;  // `done` has run
};

class PendingHandle : public RequestHandle {
 public:
  explicit PendingHandle(std::shared_ptr<Pending> p) : p_(std::move(p)) {}
  ~PendingHandle() override {
    p_->cancelled = true;
    p_->delivery.reset();
  }

 private:
  std::shared_ptr<Pending> p_;
};

http::HttpHeaders authHeaders(const config::EventHandlerSettings& h) {
  http::HttpHeaders out;
  if (h.auth.kind == config::HandlerAuth::Kind::kBearer) {
    out.push_back({"Authorization", "Bearer " + h.auth.token});
  }
  return out;
}

// The headers appended to the event's own: its X-WebPubSub-Metadata-* (moved out of `event`),
// the handler's Authorization, then the connection's cookies for `url` (when there is a jar).
http::HttpHeaders extraHeaders(UpstreamEvent& event, const config::EventHandlerSettings& handler,
                               const std::string& url, CookieJar* cookies, EventLoop& loop) {
  http::HttpHeaders extra = std::move(event.extraHeaders);
  for (auto& h : authHeaders(handler))
    extra.push_back(std::move(h));
  if (cookies) {
    std::string cookie = cookies->headerFor(url, loop.wallNow());
    if (!cookie.empty()) extra.push_back({"Cookie", std::move(cookie)});
  }
  return extra;
}

// The ce-* attributes of `event`, as views into `ctx`, `event`, `ceId` and `signature`, stamped
// `now`.
cloudevents::EventAttributes eventAttributes(const EventContext& ctx, const UpstreamEvent& event,
                                             const std::string& ceId, std::string_view signature,
                                             WallTime now) {
  cloudevents::EventAttributes attrs;
  attrs.kind = event.kind;
  attrs.userEventName = event.userEventName;
  attrs.hub = ctx.hub;
  attrs.connectionId = ctx.connectionId;
  if (ctx.userId) attrs.userId = *ctx.userId;
  attrs.subprotocol = ctx.subprotocol;
  attrs.connectionState = ctx.connectionState;
  attrs.signature = signature;
  attrs.id = ceId;
  attrs.time = event.time.value_or(now);
  attrs.origin = ctx.origin;
  return attrs;
}

// The abuse-protection probe for `handler`'s URL.
ProbeTarget probeTarget(const EventContext& ctx, const config::EventHandlerSettings& handler) {
  ProbeTarget probe;
  probe.url = handler.urlTemplate.resolve(ctx.hub, cloudevents::kEventValidate);
  probe.hub = ctx.hub;
  probe.origin = ctx.origin;
  probe.extra = authHeaders(handler);
  return probe;
}

// The delivery callback of a dispatch: stores the Set-Cookie headers of a 2xx answer, then
// reports the outcome, unless the dispatch was cancelled or freed meanwhile.
struct OnDelivered {
  std::weak_ptr<Pending> weak;
  EventDispatcher::Callback done;
  std::shared_ptr<CookieJar> cookies;
  EventLoop* loop;
  std::string url;

  void operator()(StatusOr<http::HttpResponse> r) const {
    auto pending = weak.lock();
    if (!pending || pending->cancelled) return;
    pending->finished = true;
    if (cookies && r && r->isSuccess()) {
      for (auto sc : http::findAllHeaders(r->headers, "Set-Cookie")) {
        if (!cookies->store(sc, url, loop->wallNow())) {
          WPS_LOG_WARN("ignored an invalid Set-Cookie from the event handler");
        }
      }
    }
    done(DispatchOutcome{DispatchOutcome::Kind::kCompleted, std::move(r)});
  }
};

// The abuse-protection callback of a dispatch: starts the delivery when the handler's URL is
// allowed, else reports kValidationFailed, unless the dispatch was cancelled or freed meanwhile.
// Called once.
struct OnValidated {
  std::weak_ptr<Pending> weak;
  http::HttpRequest request;
  Duration timeout;
  EventDispatcher::Callback done;
  std::shared_ptr<CookieJar> cookies;
  EventLoop* loop;
  Delivery* delivery;
  std::string url;

  void operator()(bool allowed) {
    auto pending = weak.lock();
    if (!pending || pending->cancelled) return;
    if (!allowed) {
      pending->finished = true;
      done(DispatchOutcome{
          DispatchOutcome::Kind::kValidationFailed,
          Status(StatusCode::kFailedPrecondition, "abuse protection validation failed")});
      return;
    }
    pending->delivery = delivery->send(std::move(request), loop->now() + timeout,
                                       OnDelivered{weak, std::move(done), cookies, loop, url});
  }
};

// Logs how a detached (fire-and-forget) event ended, unless it succeeded or had no handler.
void logDetachedOutcome(const DispatchOutcome& o, const std::string& eventName,
                        const std::string& connectionId) {
  if (o.kind == DispatchOutcome::Kind::kCompleted) {
    if (!o.response) {
      WPS_LOG_WARN("{} event for connection {} failed: {}", eventName, connectionId,
                   o.response.status().toString());
    } else if (!o.response->isSuccess()) {
      WPS_LOG_WARN("{} event for connection {} answered {}", eventName, connectionId,
                   o.response->status);
    }
  } else if (o.kind == DispatchOutcome::Kind::kValidationFailed) {
    WPS_LOG_WARN("{} event for connection {} dropped: validation failed", eventName, connectionId);
  }
}

std::string hostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return std::string(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
  }
  return std::string(host.substr(0, host.find(':')));
}

}  // namespace

std::string webhookRequestOrigin(const config::ServerSettings& settings, std::string_view host) {
  if (!settings.upstream.requestOrigin.empty()) return settings.upstream.requestOrigin;
  if (!settings.publicEndpoint.empty()) {
    if (auto parts = cloudevents::parseHttpUrl(settings.publicEndpoint)) return parts->host;
  }
  return hostWithoutPort(host);
}

EventDispatcher::EventDispatcher(config::SettingsPtr settings, EventLoop& loop,
                                 UpstreamClient& client, AbuseProtection& abuseProtection)
    : EventDispatcher(settings, loop, client, abuseProtection, settings->upstream.retryDelays) {
  ownRetryDelays_ = false;
}

EventDispatcher::EventDispatcher(config::SettingsPtr settings, EventLoop& loop,
                                 UpstreamClient& client, AbuseProtection& abuseProtection,
                                 std::vector<milliseconds> retryDelays)
    : settings_(std::move(settings)),
      ownRetryDelays_(true),
      loop_(loop),
      delivery_(loop, client, std::move(retryDelays)),
      abuseProtection_(abuseProtection) {}

void EventDispatcher::setSettings(config::SettingsPtr settings) {
  if (settings->accessKeys != settings_->accessKeys) ++keysGeneration_;
  settings_ = std::move(settings);
  if (!ownRetryDelays_) delivery_.setRetryDelays(settings_->upstream.retryDelays);
}

std::string EventDispatcher::signatureWithCurrentKeys(const EventContext& ctx) const {
  return cloudevents::computeSignature(settings_->accessKeys, ctx.connectionId);
}

bool EventDispatcher::hasHandler(std::string_view hubKey, cloudevents::EventKind kind,
                                 std::string_view userEventName) const {
  return selectHandler(config::hubSettings(*settings_, hubKey), kind, userEventName) != nullptr;
}

std::unique_ptr<RequestHandle> EventDispatcher::dispatch(const EventContext& ctx,
                                                         UpstreamEvent event, std::string ceId,
                                                         std::shared_ptr<CookieJar> cookies,
                                                         Callback done) {
  const auto& hub = config::hubSettings(*settings_, ctx.hub);
  const config::EventHandlerSettings* handler = selectHandler(hub, event.kind, event.userEventName);
  if (!handler) {
    done(DispatchOutcome{DispatchOutcome::Kind::kNoHandler,
                         Status(StatusCode::kNotFound, "no event handler matches")});
    return nullptr;
  }
  std::string_view eventName = cloudevents::ceEventName(event.kind, event.userEventName);
  std::string url = handler->urlTemplate.resolve(ctx.hub, eventName);
  // The event's budget starts with its first attempt, after validation (spec §7.2).
  Duration timeout = handler->timeout.value_or(settings_->upstream.eventTimeout);

  http::HttpHeaders extra = extraHeaders(event, *handler, url, cookies.get(), loop_);
  std::string rotated;  // the signature with the current keys, when ctx's predates them
  if (ctx.keysGeneration != keysGeneration_) rotated = signatureWithCurrentKeys(ctx);
  std::string_view signature = ctx.keysGeneration == keysGeneration_ ? ctx.signature : rotated;
  const cloudevents::EventAttributes attrs =
      eventAttributes(ctx, event, ceId, signature, loop_.wallNow());
  auto request = cloudevents::buildEventRequest(url, attrs, event.contentType,
                                                std::move(event.body), std::move(extra));
  ProbeTarget probe = probeTarget(ctx, *handler);

  auto pending = std::make_shared<Pending>();
  auto handle = std::make_unique<PendingHandle>(pending);
  // The callbacks hold the dispatch weakly: the handle owns it, so a dispatch nobody waits for
  // any more (handle destroyed, or never answered at shutdown) is freed, not kept by a cycle.
  std::weak_ptr<Pending> weak = pending;
  bool admitted =
      abuseProtection_.check(probe, delivery_,
                             OnValidated{weak, std::move(request), timeout, std::move(done),
                                         cookies, &loop_, &delivery_, url});
  if (!admitted && overflows_) metrics::Metrics::inc(*overflows_);
  // A cached validation failure completes the dispatch inside check(): nothing to cancel.
  if (pending->finished) return nullptr;
  return handle;
}

void EventDispatcher::countOverflowsIn(metrics::Counter* counter) {
  overflows_ = counter;
  delivery_.client().countOverflowsIn(counter);
}

std::optional<std::string> EventDispatcher::handlerOrigin(const EventContext& ctx,
                                                          const UpstreamEvent& event) const {
  const config::EventHandlerSettings* handler =
      selectHandler(config::hubSettings(*settings_, ctx.hub), event.kind, event.userEventName);
  if (!handler) return std::nullopt;
  auto parts = cloudevents::parseHttpUrl(handler->urlTemplate.resolve(
      ctx.hub, cloudevents::ceEventName(event.kind, event.userEventName)));
  if (!parts) return std::nullopt;
  return std::move(parts->origin);  // the HTTP client's pool key, from the same parser
}

void EventDispatcher::overflowDetached(const EventContext& ctx, const UpstreamEvent& event,
                                       const std::string& origin) {
  if (overflows_) metrics::Metrics::inc(*overflows_);
  WPS_LOG_WARN("{} event for connection {} failed: {} detached events already wait for {}",
               cloudevents::ceEventName(event.kind, event.userEventName), ctx.connectionId,
               settings_->upstream.maxPendingRequestsPerOrigin, redactUrl(origin));
}

void EventDispatcher::forgetDetached(uint64_t id) {
  auto it = detached_.find(id);
  if (it == detached_.end()) return;  // finished inside dispatch(): never counted
  auto count = detachedPerOrigin_.find(it->second.origin);
  if (count != detachedPerOrigin_.end() && --count->second == 0) detachedPerOrigin_.erase(count);
  detached_.erase(it);
}

void EventDispatcher::dispatchDetached(const EventContext& ctx, UpstreamEvent event,
                                       std::string ceId, std::shared_ptr<CookieJar> cookies) {
  std::string origin = handlerOrigin(ctx, event).value_or("");
  auto pending = detachedPerOrigin_.find(origin);
  if (pending != detachedPerOrigin_.end() &&
      pending->second >= settings_->upstream.maxPendingRequestsPerOrigin) {
    overflowDetached(ctx, event, origin);
    return;
  }
  uint64_t id = nextDetachedId_++;
  std::string eventName(cloudevents::ceEventName(event.kind, event.userEventName));
  std::string connectionId = ctx.connectionId;
  auto handle = dispatch(ctx, std::move(event), std::move(ceId), std::move(cookies),
                         [this, id, eventName, connectionId](DispatchOutcome o) {
                           logDetachedOutcome(o, eventName, connectionId);
                           forgetDetached(id);
                         });
  if (!handle) return;  // already finished
  ++detachedPerOrigin_[origin];
  detached_.emplace(id, Detached{std::move(handle), std::move(origin)});
}

}  // namespace wps::upstream
