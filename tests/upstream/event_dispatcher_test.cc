// EventDispatcher: handler selection, validation, request building, cookies, detached events.
#include "upstream/event_dispatcher.h"

#include <gtest/gtest.h>

#include "cloudevents/signature.h"
#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"

namespace wps::upstream {
namespace {

using namespace std::chrono_literals;
using cloudevents::EventKind;
using http::findAllHeaders;
using http::findHeader;
using Kind = DispatchOutcome::Kind;

config::EventHandlerSettings handler(std::string_view url, std::vector<std::string> userEvents,
                                     std::vector<std::string> systemEvents) {
  auto t = cloudevents::UrlTemplate::parse(url);
  EXPECT_TRUE(t.isOk()) << url;
  return config::EventHandlerSettings{*t, std::move(userEvents), std::move(systemEvents), {}, {}};
}

config::ServerSettings makeSettings() {
  config::ServerSettings s;
  config::HubSettings chat;
  chat.eventHandlers.push_back(handler("http://up.example.com/api/{hub}/{event}?code=x", {"*"},
                                       {"connect", "connected", "disconnected"}));
  s.hubs["chat"] = std::move(chat);
  return s;
}

EventContext context(std::string hub = "chat") {
  EventContext c;
  c.hub = std::move(hub);
  c.connectionId = "conn1";
  c.userId = "user1";
  c.subprotocol = "json.webpubsub.azure.v1";
  c.connectionState = "eyJrIjoidiJ9";
  c.signature = cloudevents::computeSignature({"7aab239577fd4f24bc919802fb629f5f"}, "conn1");
  c.origin = "pubsub.example.com";
  return c;
}

UpstreamEvent userEvent(std::string name = "message", std::string body = "hello") {
  UpstreamEvent e;
  e.kind = EventKind::kUser;
  e.userEventName = std::move(name);
  e.contentType = "text/plain";
  e.body = std::move(body);
  return e;
}

UpstreamEvent systemEvent(EventKind kind, std::string body = "{}") {
  UpstreamEvent e;
  e.kind = kind;
  e.contentType = "application/json";
  e.body = std::move(body);
  return e;
}

class EventDispatcherTest : public ::testing::Test {
 protected:
  config::ServerSettings settings = makeSettings();
  test::ManualEventLoop loop;
  test::FakeUpstreamClient client{loop};
  AbuseProtection abuse{10s};
  std::unique_ptr<EventDispatcher> dispatcher;
  std::vector<DispatchOutcome> outcomes;

  void SetUp() override { rebuild(); }

  // No probe (which owns itself until its answer) may outlive the test.
  void TearDown() override { client.failEverything(loop); }

  void rebuild() { dispatcher = std::make_unique<EventDispatcher>(settings, loop, client, abuse); }

  std::unique_ptr<RequestHandle> dispatch(UpstreamEvent e, std::string ceId = "1",
                                          std::shared_ptr<CookieJar> jar = nullptr,
                                          EventContext ctx = context()) {
    return dispatcher->dispatch(ctx, std::move(e), std::move(ceId), std::move(jar),
                                [this](DispatchOutcome o) { outcomes.push_back(std::move(o)); });
  }

  // Makes the validation of `ctx`'s handler succeed (one probe).
  void allowProbeFor(const EventContext& ctx) {
    size_t probe = client.count();
    dispatch(userEvent(), "probe", nullptr, ctx).reset();
    allowProbe(probe);
  }

  void allowProbe(size_t i) {
    ASSERT_LT(i, client.count());
    ASSERT_EQ(client.request(i).method, "OPTIONS");
    client.respond(i, 200, {{"WebHook-Allowed-Origin", "*"}});
    loop.runPending();
  }
};

TEST_F(EventDispatcherTest, NoHandlerCompletesSynchronouslyWithoutSending) {
  settings.hubs["chat"].eventHandlers[0].userEvents = {"other"};
  auto h = dispatch(userEvent("message"));
  EXPECT_EQ(h, nullptr);
  ASSERT_EQ(outcomes.size(), 1u);  // before any loop iteration
  EXPECT_EQ(outcomes[0].kind, Kind::kNoHandler);
  EXPECT_FALSE(outcomes[0].succeeded());
  loop.advance(10s);
  EXPECT_EQ(client.count(), 0u);
}

TEST_F(EventDispatcherTest, UnknownHubWithoutDefaultHasNoHandler) {
  auto h = dispatch(systemEvent(EventKind::kConnect), "0", nullptr, context("other"));
  EXPECT_EQ(h, nullptr);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, Kind::kNoHandler);
  EXPECT_EQ(client.count(), 0u);
  EXPECT_FALSE(dispatcher->hasHandler("other", EventKind::kConnect, ""));
  EXPECT_TRUE(dispatcher->hasHandler("chat", EventKind::kConnect, ""));
  EXPECT_TRUE(dispatcher->hasHandler("chat", EventKind::kUser, "anything"));
}

TEST_F(EventDispatcherTest, DefaultHubIsUsedForUnconfiguredHubs) {
  config::HubSettings def;
  def.eventHandlers.push_back(handler("http://default.example.com/{hub}/{event}", {"*"}, {}));
  settings.hubs["_default"] = std::move(def);
  EXPECT_TRUE(dispatcher->hasHandler("other", EventKind::kUser, "message"));
  auto h = dispatch(userEvent(), "1", nullptr, context("other"));
  ASSERT_EQ(client.count(), 1u);
  EXPECT_EQ(client.request(0).url, "http://default.example.com/other/validate");
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.request(1).url, "http://default.example.com/other/message");
  EXPECT_EQ(findHeader(client.request(1).headers, "ce-hub"), "other");
}

TEST_F(EventDispatcherTest, SuccessPath) {
  auto h = dispatch(userEvent("message", "hello"), "5");
  ASSERT_NE(h, nullptr);
  EXPECT_TRUE(outcomes.empty());
  ASSERT_EQ(client.count(), 1u);
  const auto& probe = client.request(0);
  EXPECT_EQ(probe.method, "OPTIONS");
  EXPECT_EQ(probe.url, "http://up.example.com/api/chat/validate?code=x");
  EXPECT_EQ(findHeader(probe.headers, "WebHook-Request-Origin"), "pubsub.example.com");
  EXPECT_EQ(findHeader(probe.headers, "ce-hub"), "chat");
  EXPECT_FALSE(findHeader(probe.headers, "Authorization").has_value());
  allowProbe(0);

  ASSERT_EQ(client.count(), 2u);
  const auto& post = client.request(1);
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.url, "http://up.example.com/api/chat/message?code=x");
  EXPECT_EQ(post.body, "hello");
  EXPECT_EQ(findHeader(post.headers, "Content-Type"), "text/plain");
  EXPECT_EQ(findHeader(post.headers, "ce-type"), "azure.webpubsub.user.message");
  EXPECT_EQ(findHeader(post.headers, "ce-eventName"), "message");
  EXPECT_EQ(findHeader(post.headers, "ce-id"), "5");
  EXPECT_EQ(findHeader(post.headers, "ce-hub"), "chat");
  EXPECT_EQ(findHeader(post.headers, "ce-connectionId"), "conn1");
  EXPECT_EQ(findHeader(post.headers, "ce-userId"), "user1");
  EXPECT_EQ(findHeader(post.headers, "ce-subprotocol"), "json.webpubsub.azure.v1");
  EXPECT_EQ(findHeader(post.headers, "ce-connectionState"), "eyJrIjoidiJ9");
  EXPECT_EQ(findHeader(post.headers, "ce-signature"), context().signature);
  EXPECT_EQ(findHeader(post.headers, "ce-source"), "/hubs/chat/client/conn1");
  EXPECT_EQ(findHeader(post.headers, "ce-time"), formatRfc3339(loop.wallNow()));
  EXPECT_EQ(findAllHeaders(post.headers, "WebHook-Request-Origin").size(), 1u);
  EXPECT_FALSE(findHeader(post.headers, "Authorization").has_value());
  EXPECT_FALSE(findHeader(post.headers, "Cookie").has_value());
  EXPECT_EQ(client.timeout(1), 100s);

  client.respond(1, 200, {{"Content-Type", "text/plain"}}, "reply");
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, Kind::kCompleted);
  EXPECT_TRUE(outcomes[0].succeeded());
  EXPECT_EQ(outcomes[0].response->body, "reply");
}

TEST_F(EventDispatcherTest, SystemEventUrlsAndTypes) {
  auto h = dispatch(systemEvent(EventKind::kConnect, R"({"claims":{}})"), "0");
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.request(1).url, "http://up.example.com/api/chat/connect?code=x");
  EXPECT_EQ(findHeader(client.request(1).headers, "ce-type"), "azure.webpubsub.sys.connect");
  EXPECT_EQ(findHeader(client.request(1).headers, "ce-eventName"), "connect");
  EXPECT_FALSE(findHeader(client.request(1).headers, "ce-subprotocol").has_value());
  EXPECT_FALSE(findHeader(client.request(1).headers, "ce-connectionState").has_value());
  EXPECT_EQ(client.request(1).body, R"({"claims":{}})");

  auto h2 = dispatch(systemEvent(EventKind::kDisconnected, R"({"reason":"x"})"), "9");
  ASSERT_EQ(client.count(), 3u);  // validation is cached
  EXPECT_EQ(client.request(2).url, "http://up.example.com/api/chat/disconnected?code=x");
  EXPECT_EQ(findHeader(client.request(2).headers, "ce-type"), "azure.webpubsub.sys.disconnected");
}

TEST_F(EventDispatcherTest, NonSuccessAnswerIsCompletedButNotSucceeded) {
  auto h = dispatch(userEvent());
  allowProbe(0);
  client.respond(1, 401, {}, "nope");
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, Kind::kCompleted);
  EXPECT_FALSE(outcomes[0].succeeded());
  EXPECT_EQ(outcomes[0].response->status, 401);
}

TEST_F(EventDispatcherTest, EventsAreRetriedWithTheConfiguredDelays) {
  settings.upstream.retryDelays = {200ms};
  rebuild();
  auto h = dispatch(userEvent());
  allowProbe(0);
  client.respond(1, 500);
  loop.runPending();
  EXPECT_TRUE(outcomes.empty());
  loop.advance(200ms);
  ASSERT_EQ(client.count(), 3u);
  EXPECT_EQ(findHeader(client.request(2).headers, "ce-id"), "1");
  client.respond(2, 200);
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_TRUE(outcomes[0].succeeded());
}

// A reload (setSettings): an event in flight finishes with the handler and retry schedule it
// started with; the next one uses the new handler, and is signed with the new keys only.
TEST_F(EventDispatcherTest, ANewGenerationAppliesToTheNextEventAndTheOneInFlightFinishes) {
  settings.accessKeys = {"old-key-0123456789abcdefghijklmnopqrstu"};
  settings.upstream.retryDelays = {200ms};
  rebuild();
  EventContext ctx = context();
  ctx.signature = cloudevents::computeSignature(settings.accessKeys, ctx.connectionId);
  ctx.keysGeneration = dispatcher->keysGeneration();
  auto inFlight = dispatch(userEvent("message", "first"), "1", nullptr, ctx);
  allowProbe(0);
  client.respond(1, 500);  // to be retried after 200 ms
  loop.runPending();

  auto next = std::make_shared<config::ServerSettings>(makeSettings());
  next->accessKeys = {"new-key-0123456789abcdefghijklmnopqrstu"};
  next->hubs["chat"].eventHandlers[0].urlTemplate =
      cloudevents::UrlTemplate::parse("http://other.example.com/{event}").value();
  next->upstream.retryDelays = {};
  dispatcher->setSettings(next);
  settings = config::ServerSettings{};  // the old generation is gone: nothing may read it
  EXPECT_EQ(ctx.keysGeneration + 1, dispatcher->keysGeneration());

  loop.advance(200ms);  // the retry: same URL and signature as the first attempt
  ASSERT_EQ(client.count(), 3u);
  EXPECT_EQ(client.request(2).url, client.request(1).url);
  EXPECT_EQ(findHeader(client.request(2).headers, "ce-signature"), ctx.signature);
  client.respond(2, 200);
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_TRUE(outcomes[0].succeeded());

  auto later = dispatch(userEvent("message", "second"), "2", nullptr, ctx);
  allowProbe(3);  // the new origin is validated first
  ASSERT_EQ(client.count(), 5u);
  EXPECT_EQ(client.request(4).url, "http://other.example.com/message");
  EXPECT_EQ(findHeader(client.request(4).headers, "ce-signature"),
            cloudevents::computeSignature(next->accessKeys, ctx.connectionId));
  client.respond(4, 500);  // no retry delays any more: the failure is final
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_FALSE(outcomes[1].succeeded());
}

TEST_F(EventDispatcherTest, OwnRetryDelaysNoneMeansOneAttempt) {
  dispatcher =
      std::make_unique<EventDispatcher>(settings, loop, client, abuse, std::vector<milliseconds>{});
  auto h = dispatch(userEvent());
  allowProbe(0);
  client.respond(1, 503);
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, Kind::kCompleted);
  ASSERT_TRUE(outcomes[0].response.isOk());
  EXPECT_EQ(outcomes[0].response->status, 503);
  loop.advance(10s);
  EXPECT_EQ(client.count(), 2u);  // no retry of its own
}

TEST_F(EventDispatcherTest, AFixedTimeIsTheCeTime) {
  UpstreamEvent e = systemEvent(EventKind::kConnected);
  e.time = WallTime(std::chrono::seconds(1700000000));
  auto h = dispatch(std::move(e));
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(findHeader(client.request(1).headers, "ce-time"), "2023-11-14T22:13:20Z");
  loop.advance(5s);
  auto h2 = dispatch(systemEvent(EventKind::kConnected));  // no fixed time: the loop's clock
  ASSERT_EQ(client.count(), 3u);
  EXPECT_EQ(findHeader(client.request(2).headers, "ce-time"), formatRfc3339(loop.wallNow()));
}

TEST(WebhookRequestOriginTest, ConfiguredOriginThenPublicEndpointThenHost) {
  config::ServerSettings s;
  EXPECT_EQ(webhookRequestOrigin(s, "host.example.com:8080"), "host.example.com");
  EXPECT_EQ(webhookRequestOrigin(s, "[::1]:8080"), "[::1]");
  s.publicEndpoint = "https://public.example.com:8443/base";
  EXPECT_EQ(webhookRequestOrigin(s, "host.example.com"), "public.example.com");
  s.upstream.requestOrigin = "configured.example.com";
  EXPECT_EQ(webhookRequestOrigin(s, "host.example.com"), "configured.example.com");
}

TEST_F(EventDispatcherTest, ValidationFailureSendsNoPost) {
  auto h = dispatch(userEvent());
  ASSERT_EQ(client.count(), 1u);
  client.respond(0, 401);
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, Kind::kValidationFailed);
  EXPECT_FALSE(outcomes[0].succeeded());
  loop.advance(100ms);
  EXPECT_EQ(client.count(), 1u);

  // The next event fails at once from the cache; the handle is null as `done` already ran.
  outcomes.clear();
  auto h2 = dispatch(userEvent());
  EXPECT_EQ(h2, nullptr);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, Kind::kValidationFailed);
  EXPECT_EQ(client.count(), 1u);
}

TEST_F(EventDispatcherTest, HubIsEscapedInTheUrl) {
  auto h = dispatch(userEvent(), "1", nullptr, context("a`b"));
  ASSERT_EQ(outcomes.size(), 1u);  // "a`b" has no entry: no handler
  EXPECT_EQ(outcomes[0].kind, Kind::kNoHandler);
  EXPECT_EQ(client.count(), 0u);
  settings.hubs["a`b"] = settings.hubs["chat"];
  auto h2 = dispatch(userEvent(), "1", nullptr, context("a`b"));
  ASSERT_GE(client.count(), 1u);
  EXPECT_EQ(client.request(client.count() - 1).url,
            "http://up.example.com/api/a%60b/validate?code=x");
}

TEST_F(EventDispatcherTest, BearerAuthOnProbeAndPost) {
  auto& h0 = settings.hubs["chat"].eventHandlers[0];
  h0.auth.kind = config::HandlerAuth::Kind::kBearer;
  h0.auth.token = "s3cret";
  auto h = dispatch(userEvent());
  ASSERT_EQ(client.count(), 1u);
  EXPECT_EQ(findHeader(client.request(0).headers, "Authorization"), "Bearer s3cret");
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(findAllHeaders(client.request(1).headers, "Authorization"),
            std::vector<std::string_view>{"Bearer s3cret"});
}

TEST_F(EventDispatcherTest, PerHandlerTimeout) {
  settings.hubs["chat"].eventHandlers[0].timeout = 5s;
  auto h = dispatch(userEvent());
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.timeout(1), 5s);
}

TEST_F(EventDispatcherTest, TimeoutStartsWithTheFirstAttemptNotWithValidation) {
  settings.hubs["chat"].eventHandlers[0].timeout = 5s;
  auto h = dispatch(userEvent());
  loop.advance(4s);  // a slow validation probe
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.timeout(1), 5s);
  client.respond(1, 500);
  loop.runPending();
  loop.advance(1s);
  ASSERT_EQ(client.count(), 3u);  // the retry still fits the event's own budget
  EXPECT_EQ(client.timeout(2), 4s);
}

TEST_F(EventDispatcherTest, ServerTimeoutWithoutHandlerTimeout) {
  settings.upstream.eventTimeout = 42s;
  auto h = dispatch(userEvent());
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.timeout(1), 42s);
}

TEST_F(EventDispatcherTest, MetadataHeadersAreSent) {
  auto e = userEvent();
  e.extraHeaders = {{"X-WebPubSub-Metadata-k", "v"}};
  auto h = dispatch(std::move(e));
  allowProbe(0);
  EXPECT_EQ(findHeader(client.request(1).headers, "X-WebPubSub-Metadata-k"), "v");
}

TEST_F(EventDispatcherTest, CookiesFromSuccessfulAnswersAreSentBack) {
  auto jar = std::make_shared<CookieJar>();
  auto h = dispatch(systemEvent(EventKind::kConnect), "0", jar);
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_FALSE(findHeader(client.request(1).headers, "Cookie").has_value());
  client.respond(1, 200,
                 {{"Set-Cookie", "ARRAffinity=abc; Path=/"}, {"Set-Cookie", "b=2; Path=/api"}});
  loop.runPending();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(jar->size(), 2u);

  auto h2 = dispatch(userEvent(), "1", jar);
  ASSERT_EQ(client.count(), 3u);
  EXPECT_EQ(findAllHeaders(client.request(2).headers, "Cookie"),
            std::vector<std::string_view>{"ARRAffinity=abc; b=2"});

  // Validation probes never carry cookies.
  loop.advance(61s);
  auto h3 = dispatch(userEvent(), "2", jar);
  ASSERT_EQ(client.count(), 5u);
  EXPECT_EQ(client.request(3).method, "OPTIONS");
  EXPECT_FALSE(findHeader(client.request(3).headers, "Cookie").has_value());
  EXPECT_TRUE(findHeader(client.request(4).headers, "Cookie").has_value());
}

TEST_F(EventDispatcherTest, CookiesFromFailedAnswersAreIgnored) {
  auto jar = std::make_shared<CookieJar>();
  auto h = dispatch(userEvent(), "1", jar);
  allowProbe(0);
  client.respond(1, 400, {{"Set-Cookie", "a=1; Path=/"}});
  loop.runPending();
  EXPECT_TRUE(jar->empty());
}

TEST_F(EventDispatcherTest, DestroyingTheHandleWhileValidatingCancels) {
  auto h = dispatch(userEvent());
  ASSERT_EQ(client.count(), 1u);
  h.reset();
  allowProbe(0);
  loop.advance(10s);
  EXPECT_EQ(client.count(), 1u);  // no POST
  EXPECT_TRUE(outcomes.empty());
}

TEST_F(EventDispatcherTest, DestroyingTheHandleWhileDeliveringCancels) {
  auto h = dispatch(userEvent());
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  h.reset();
  EXPECT_TRUE(client.cancelled(1));
  client.respond(1, 200);
  loop.runPending();
  EXPECT_TRUE(outcomes.empty());
}

TEST_F(EventDispatcherTest, DetachedDispatchKeepsTheRequestAlive) {
  dispatcher->dispatchDetached(context(), systemEvent(EventKind::kConnected), "1", nullptr);
  EXPECT_EQ(dispatcher->detachedInFlight(), 1u);
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.request(1).url, "http://up.example.com/api/chat/connected?code=x");
  EXPECT_FALSE(client.cancelled(1));
  EXPECT_EQ(dispatcher->detachedInFlight(), 1u);
  client.respond(1, 200);
  loop.runPending();
  EXPECT_EQ(dispatcher->detachedInFlight(), 0u);
}

TEST_F(EventDispatcherTest, DetachedFailuresAreDropped) {
  dispatcher->dispatchDetached(context(), systemEvent(EventKind::kDisconnected), "2", nullptr);
  dispatcher->dispatchDetached(context(), systemEvent(EventKind::kConnected), "1", nullptr);
  EXPECT_EQ(dispatcher->detachedInFlight(), 2u);
  client.respond(0, 403);  // validation fails for both
  loop.runPending();
  EXPECT_EQ(dispatcher->detachedInFlight(), 0u);
  EXPECT_EQ(client.count(), 1u);
}

TEST_F(EventDispatcherTest, DetachedWithoutHandlerIsNotCounted) {
  dispatcher->dispatchDetached(context("nohub"), systemEvent(EventKind::kConnected), "1", nullptr);
  EXPECT_EQ(dispatcher->detachedInFlight(), 0u);
  EXPECT_EQ(client.count(), 0u);
}

TEST_F(EventDispatcherTest, DetachedStoresCookies) {
  auto jar = std::make_shared<CookieJar>();
  dispatcher->dispatchDetached(context(), systemEvent(EventKind::kConnected), "1", jar);
  allowProbe(0);
  client.respond(1, 204, {{"Set-Cookie", "a=1; Path=/"}});
  loop.runPending();
  EXPECT_EQ(jar->size(), 1u);
}

TEST_F(EventDispatcherTest, DetachedEventsBeyondThePendingBoundFailAtOnce) {
  settings.upstream.maxPendingRequestsPerOrigin = 3;
  metrics::Counter overflows;
  dispatcher->countOverflowsIn(&overflows);
  allowProbeFor(context());
  for (int i = 0; i < 10; ++i) {
    dispatcher->dispatchDetached(context(), systemEvent(EventKind::kConnected), "c", nullptr);
  }
  // The upstream hangs: three wait, seven failed at once without being sent.
  EXPECT_EQ(dispatcher->detachedInFlight(), 3u);
  EXPECT_EQ(overflows.value(), 7u);
  EXPECT_EQ(client.count(), 1u + 3u);
  // Another origin has its own bound.
  settings.hubs["other"].eventHandlers.push_back(
      handler("http://elsewhere.example.com/{event}", {"*"}, {"connected"}));
  allowProbeFor(context("other"));
  dispatcher->dispatchDetached(context("other"), systemEvent(EventKind::kConnected), "o", nullptr);
  EXPECT_EQ(dispatcher->detachedInFlight(), 4u);
  // Once the upstream answers, new events are sent again.
  client.respond(1, 200);
  client.respond(2, 200);
  loop.runPending();
  EXPECT_EQ(dispatcher->detachedInFlight(), 2u);
  size_t sent = client.count();
  dispatcher->dispatchDetached(context(), systemEvent(EventKind::kConnected), "d", nullptr);
  EXPECT_EQ(client.count(), sent + 1);
  EXPECT_EQ(overflows.value(), 7u);
  dispatcher->cancelDetached();
  for (int i = 0; i < 3; ++i) {
    dispatcher->dispatchDetached(context(), systemEvent(EventKind::kConnected), "e", nullptr);
  }
  EXPECT_EQ(overflows.value(), 7u) << "cancelDetached() resets the bound's counts";
}

TEST_F(EventDispatcherTest, EventsBeyondTheValidationWaitersBoundFailAtOnce) {
  AbuseProtection bounded{10s, 2};
  EventDispatcher d(settings, loop, client, bounded);
  metrics::Counter overflows;
  d.countOverflowsIn(&overflows);
  auto record = [this](DispatchOutcome o) { outcomes.push_back(std::move(o)); };
  std::vector<std::unique_ptr<RequestHandle>> handles;
  for (int i = 0; i < 3; ++i) {
    handles.push_back(d.dispatch(context(), userEvent(), "1", nullptr, record));
  }
  EXPECT_EQ(handles[2], nullptr);
  ASSERT_EQ(outcomes.size(), 1u);  // as when the probe times out: validation failed
  EXPECT_EQ(outcomes[0].kind, Kind::kValidationFailed);
  EXPECT_EQ(overflows.value(), 1u);
  allowProbe(0);
  EXPECT_EQ(client.count(), 3u);  // the probe, then the two waiting events
}

TEST_F(EventDispatcherTest, CancelDetachedCancelsEverything) {
  dispatcher->dispatchDetached(context(), systemEvent(EventKind::kConnected), "1", nullptr);
  allowProbe(0);
  ASSERT_EQ(client.count(), 2u);
  dispatcher->cancelDetached();
  EXPECT_EQ(dispatcher->detachedInFlight(), 0u);
  EXPECT_TRUE(client.cancelled(1));
  client.respond(1, 200);
  loop.runPending();
  EXPECT_EQ(dispatcher->detachedInFlight(), 0u);
}

}  // namespace
}  // namespace wps::upstream
