// Abuse-protection validation and its cache (upstream-cloudevents.md §4).
#include "upstream/abuse_protection.h"

#include <gtest/gtest.h>

#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"

namespace wps::upstream {
namespace {

using namespace std::chrono_literals;
using http::findAllHeaders;
using http::findHeader;

constexpr std::string_view kUrl = "http://up.example.com/api/chat/validate?code=abc";
constexpr std::string_view kOrigin = "pubsub.example.com";

ProbeTarget target(std::string_view url = kUrl) {
  ProbeTarget t;
  t.url = std::string(url);
  t.hub = "chat";
  t.origin = std::string(kOrigin);
  return t;
}

class AbuseProtectionTest : public ::testing::Test {
 protected:
  test::ManualEventLoop loop;
  test::FakeUpstreamClient client{loop};
  Delivery delivery{loop, client, {1000ms, 3000ms, 5000ms}};
  AbuseProtection ap{10s};
  std::vector<bool> results;

  // No probe (which owns itself until its answer) may outlive the test.
  void TearDown() override { client.failEverything(loop); }

  // Calls check(); returns how many results arrived synchronously.
  size_t check(const ProbeTarget& t = target()) {
    size_t before = results.size();
    ap.check(t, delivery, [this](bool ok) { results.push_back(ok); });
    return results.size() - before;
  }

  void allow(size_t i) { client.respond(i, 200, {{"WebHook-Allowed-Origin", "*"}}); }
  void deny(size_t i) { client.respond(i, 400); }

  // Answers the newest probe with a failure and runs the loop.
  void failLatest() {
    deny(client.count() - 1);
    loop.runPending();
  }

  // Checks at every whole second up to `limit` and returns after how many seconds (counted from
  // now) a check starts a new probe; -1 if none does.
  int secondsUntilNextProbe(int limit) {
    for (int s = 0; s <= limit; ++s) {
      if (s > 0) loop.advance(1s);
      size_t sent = client.count();
      EXPECT_EQ(check(), 1u) << "a cached result is used at once";
      if (client.count() > sent) return s;
    }
    return -1;
  }
};

TEST_F(AbuseProtectionTest, ProbeRequestShape) {
  ProbeTarget t = target();
  t.extra = {{"Authorization", "Bearer s3cret"}};
  EXPECT_EQ(check(t), 0u);
  ASSERT_EQ(client.count(), 1u);
  const auto& r = client.request(0);
  EXPECT_EQ(r.method, "OPTIONS");
  EXPECT_EQ(r.url, kUrl);
  EXPECT_EQ(findHeader(r.headers, "WebHook-Request-Origin"), kOrigin);
  EXPECT_EQ(findAllHeaders(r.headers, "WebHook-Request-Origin").size(), 1u);
  EXPECT_EQ(findHeader(r.headers, "ce-awpsversion"), "1.0");
  EXPECT_EQ(findHeader(r.headers, "ce-hub"), "chat");
  EXPECT_EQ(findHeader(r.headers, "Authorization"), "Bearer s3cret");
  EXPECT_FALSE(findHeader(r.headers, "ce-signature").has_value());
  EXPECT_FALSE(findHeader(r.headers, "Cookie").has_value());
  EXPECT_TRUE(r.body.empty());
}

TEST_F(AbuseProtectionTest, FirstEventWaitsForTheProbe) {
  EXPECT_EQ(check(), 0u);
  ASSERT_EQ(client.count(), 1u);
  loop.runPending();
  loop.advance(5s);
  EXPECT_TRUE(results.empty());
  allow(0);
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{true});
}

TEST_F(AbuseProtectionTest, FirstEventFailsWhenTheProbeFails) {
  check();
  client.respond(0, 200);  // 2xx but no WebHook-Allowed-Origin
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{false});
}

TEST_F(AbuseProtectionTest, OriginIsJudgedAgainstTheTargetOrigin) {
  check();
  client.respond(0, 200, {{"WebHook-Allowed-Origin", "other.example.com"}});
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{false});

  ap.clear();
  results.clear();
  check();
  client.respond(1, 200, {{"WebHook-Allowed-Origin", "PUBSUB.example.com:8080"}});
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{true});
}

TEST_F(AbuseProtectionTest, ConcurrentChecksShareOneProbe) {
  EXPECT_EQ(check(), 0u);
  EXPECT_EQ(check(), 0u);
  EXPECT_EQ(check(), 0u);
  EXPECT_EQ(client.count(), 1u);
  allow(0);
  loop.runPending();
  EXPECT_EQ(results, (std::vector<bool>{true, true, true}));

  // A shared failing probe fails every waiter.
  results.clear();
  ProbeTarget other = target("http://other.example.com/validate");
  check(other);
  check(other);
  ASSERT_EQ(client.count(), 2u);
  deny(1);
  loop.runPending();
  EXPECT_EQ(results, (std::vector<bool>{false, false}));
}

TEST_F(AbuseProtectionTest, ResultsAreCachedPerUrl) {
  check(target("http://a.example.com/validate"));
  check(target("http://b.example.com/validate"));
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.request(0).url, "http://a.example.com/validate");
  EXPECT_EQ(client.request(1).url, "http://b.example.com/validate");
  allow(0);
  deny(1);
  loop.runPending();
  results.clear();
  EXPECT_EQ(check(target("http://a.example.com/validate")), 1u);
  EXPECT_EQ(check(target("http://b.example.com/validate")), 1u);
  EXPECT_EQ(results, (std::vector<bool>{true, false}));
  EXPECT_EQ(client.count(), 2u);
}

TEST_F(AbuseProtectionTest, ResultsAreCachedPerOrigin) {
  // A client with a bogus Host header gets its own probe; its failure does not touch the
  // result that well-formed clients (kOrigin) use.
  ProbeTarget bogus = target();
  bogus.origin = "bogus";
  EXPECT_EQ(check(), 0u);
  allow(0);
  loop.runPending();
  loop.advance(61s);  // the success is stale: the next check re-probes in the background
  EXPECT_EQ(check(bogus), 0u);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(findHeader(client.request(1).headers, "WebHook-Request-Origin"), "bogus");
  client.respond(1, 200, {{"WebHook-Allowed-Origin", std::string(kOrigin)}});
  loop.runPending();
  EXPECT_EQ(results, (std::vector<bool>{true, false}));
  EXPECT_EQ(check(), 1u) << "the well-formed origin's entry is still usable";
  EXPECT_EQ(results.back(), true);
  ASSERT_EQ(client.count(), 3u) << "its own background re-check";
  client.respond(2, 200, {{"WebHook-Allowed-Origin", std::string(kOrigin)}});
  loop.runPending();
  EXPECT_EQ(check(), 1u);
  EXPECT_EQ(check(bogus), 1u);
  EXPECT_EQ(results, (std::vector<bool>{true, false, true, true, false}));
}

TEST_F(AbuseProtectionTest, TheCacheIsBounded) {
  // Each distinct origin is one entry; beyond the cap, failed results are forgotten first.
  ProbeTarget t = target();
  for (size_t i = 0; i < AbuseProtection::kMaxEntries; ++i) {
    t.origin = "o" + std::to_string(i);
    check(t);
    deny(i);
    loop.runPending();
  }
  EXPECT_EQ(check(), 0u);  // a new key: room is made, a probe starts
  size_t probe = client.count() - 1;
  allow(probe);
  loop.runPending();
  t.origin = "o0";
  EXPECT_EQ(check(t), 0u) << "the failed entry was forgotten: a new probe is needed";
  EXPECT_EQ(check(), 1u) << "the newest entry is kept";
}

TEST_F(AbuseProtectionTest, WaitersForAProbeAreBounded) {
  AbuseProtection bounded{10s, 2};
  auto checkBounded = [&] {
    return bounded.check(target(), delivery, [this](bool ok) { results.push_back(ok); });
  };
  EXPECT_TRUE(checkBounded());
  EXPECT_TRUE(checkBounded());
  EXPECT_FALSE(checkBounded());
  EXPECT_EQ(results, std::vector<bool>{false}) << "at once, as a timed-out probe answers";
  EXPECT_EQ(client.count(), 1u);
  allow(0);
  loop.runPending();
  EXPECT_EQ(results, (std::vector<bool>{false, true, true}));
  EXPECT_TRUE(checkBounded()) << "a cached result makes nobody wait";
  EXPECT_EQ(results.back(), true);
}

TEST_F(AbuseProtectionTest, SuccessIsTrustedForOneMinute) {
  check();
  allow(0);
  loop.runPending();
  results.clear();

  loop.advance(59s);
  EXPECT_EQ(check(), 1u);
  EXPECT_EQ(results, std::vector<bool>{true});
  EXPECT_EQ(client.count(), 1u);

  loop.advance(999ms);
  EXPECT_EQ(check(), 1u);
  EXPECT_EQ(client.count(), 1u);
}

TEST_F(AbuseProtectionTest, StaleSuccessIsRecheckedInTheBackground) {
  check();
  allow(0);
  loop.runPending();
  results.clear();

  loop.advance(60s);
  // The old result is used at once, and a background probe starts.
  EXPECT_EQ(check(), 1u);
  EXPECT_EQ(results, std::vector<bool>{true});
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.request(1).method, "OPTIONS");

  // While it runs, events keep using the old result and no second probe starts.
  EXPECT_EQ(check(), 1u);
  EXPECT_EQ(client.count(), 2u);

  // The new result (a failure) is seen once it is in.
  deny(1);
  loop.runPending();
  EXPECT_EQ(results, (std::vector<bool>{true, true}));
  results.clear();
  EXPECT_EQ(check(), 1u);
  EXPECT_EQ(results, std::vector<bool>{false});
}

TEST_F(AbuseProtectionTest, FailureFailsAtOnceWithoutAnotherProbe) {
  check();
  deny(0);
  loop.runPending();
  results.clear();
  EXPECT_EQ(check(), 1u);
  EXPECT_EQ(check(), 1u);
  EXPECT_EQ(results, (std::vector<bool>{false, false}));
  EXPECT_EQ(client.count(), 1u);
}

TEST_F(AbuseProtectionTest, FailureIsRecheckedWithDoublingIntervalsCappedAtOneMinute) {
  check();
  failLatest();
  std::vector<int> intervals;
  for (int i = 0; i < 9; ++i) {
    intervals.push_back(secondsUntilNextProbe(120));
    failLatest();
  }
  EXPECT_EQ(intervals, (std::vector<int>{1, 2, 4, 8, 16, 32, 60, 60, 60}));
}

TEST_F(AbuseProtectionTest, RecheckAfterFailureUsesTheOldResultMeanwhile) {
  check();
  deny(0);
  loop.runPending();
  results.clear();
  loop.advance(1s);
  EXPECT_EQ(check(), 1u);  // fails at once, probe started
  EXPECT_EQ(results, std::vector<bool>{false});
  ASSERT_EQ(client.count(), 2u);
  allow(1);
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{false});  // nobody waited for the background probe
  EXPECT_EQ(check(), 1u);
  EXPECT_EQ(results, (std::vector<bool>{false, true}));
}

TEST_F(AbuseProtectionTest, SuccessAfterFailuresIsTrustedForOneMinuteAgain) {
  check();
  failLatest();
  EXPECT_EQ(secondsUntilNextProbe(5), 1);
  failLatest();
  EXPECT_EQ(secondsUntilNextProbe(5), 2);
  allow(client.count() - 1);
  loop.runPending();
  EXPECT_EQ(secondsUntilNextProbe(120), 60);
}

TEST_F(AbuseProtectionTest, FailureAfterSuccessStartsAgainAtOneSecond) {
  check();
  failLatest();
  EXPECT_EQ(secondsUntilNextProbe(5), 1);
  failLatest();
  EXPECT_EQ(secondsUntilNextProbe(5), 2);
  allow(client.count() - 1);
  loop.runPending();
  EXPECT_EQ(secondsUntilNextProbe(120), 60);
  failLatest();
  EXPECT_EQ(secondsUntilNextProbe(5), 1);
  failLatest();
  EXPECT_EQ(secondsUntilNextProbe(5), 2);
}

TEST_F(AbuseProtectionTest, GetFallbackOn404) {
  ProbeTarget t = target();
  t.extra = {{"Authorization", "Bearer s3cret"}};
  check(t);
  client.respond(0, 404);
  loop.runPending();
  EXPECT_TRUE(results.empty());
  ASSERT_EQ(client.count(), 2u);
  const auto& get = client.request(1);
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.url, kUrl);
  EXPECT_EQ(findHeader(get.headers, "WebHook-Request-Origin"), kOrigin);
  EXPECT_EQ(findHeader(get.headers, "ce-awpsversion"), "1.0");
  EXPECT_EQ(findHeader(get.headers, "ce-hub"), "chat");
  EXPECT_EQ(findHeader(get.headers, "Authorization"), "Bearer s3cret");
  EXPECT_TRUE(get.body.empty());
  allow(1);
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{true});
}

TEST_F(AbuseProtectionTest, GetAnswerDecides) {
  check();
  client.respond(0, 404);
  loop.runPending();
  ASSERT_EQ(client.count(), 2u);
  client.respond(1, 404, {{"WebHook-Allowed-Origin", "*"}});
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{false});
  loop.advance(30s);
  EXPECT_EQ(client.count(), 2u);
}

TEST_F(AbuseProtectionTest, NoGetFallbackForOtherStatuses) {
  check();
  client.respond(0, 405);
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{false});
  EXPECT_EQ(client.count(), 1u);
}

TEST_F(AbuseProtectionTest, ProbesAreRetriedPerPolicy) {
  check();
  client.respond(0, 503);
  loop.runPending();
  EXPECT_TRUE(results.empty());
  loop.advance(1s);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.request(1).method, "OPTIONS");
  allow(1);
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{true});
}

TEST_F(AbuseProtectionTest, ProbeTimeoutBoundsEachProbe) {
  AbuseProtection seven{7s};
  std::vector<bool> r;
  seven.check(target(), delivery, [&](bool ok) { r.push_back(ok); });
  ASSERT_EQ(client.count(), 1u);
  EXPECT_EQ(client.timeout(0), 7s);
  client.respond(0, 503);
  loop.runPending();
  loop.advance(1s);
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.timeout(1), 6s);
  client.respond(1, 503);
  loop.runPending();
  loop.advance(3s);
  ASSERT_EQ(client.count(), 3u);
  EXPECT_EQ(client.timeout(2), 3s);
  client.respond(2, 503);
  loop.runPending();
  // The next retry (5 s later) would end after the 7 s probe budget.
  EXPECT_EQ(r, std::vector<bool>{false});
  loop.advance(30s);
  EXPECT_EQ(client.count(), 3u);
}

TEST_F(AbuseProtectionTest, GetFallbackHasItsOwnProbeTimeout) {
  AbuseProtection seven{7s};
  std::vector<bool> r;
  seven.check(target(), delivery, [&](bool ok) { r.push_back(ok); });
  loop.advance(5s);
  client.respond(0, 404);
  loop.runPending();
  ASSERT_EQ(client.count(), 2u);
  EXPECT_EQ(client.request(1).method, "GET");
  EXPECT_EQ(client.timeout(1), 7s);
  allow(1);  // ends the probe while `seven` is alive
  loop.runPending();
  EXPECT_EQ(r, std::vector<bool>{true});
}

TEST_F(AbuseProtectionTest, ProbeTimingOutFails) {
  check();
  client.fail(0, StatusCode::kDeadlineExceeded);
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{false});
  loop.advance(30s);
  EXPECT_EQ(client.count(), 1u);  // not retried
}

TEST_F(AbuseProtectionTest, ClearForgetsResults) {
  check();
  allow(0);
  loop.runPending();
  ap.clear();
  results.clear();
  EXPECT_EQ(check(), 0u);
  EXPECT_EQ(client.count(), 2u);
}

TEST_F(AbuseProtectionTest, ClearDuringAProbeStillAnswersItsWaiters) {
  EXPECT_EQ(check(), 0u);
  ASSERT_EQ(client.count(), 1u);
  ap.clear();
  allow(0);
  loop.runPending();
  EXPECT_EQ(results, std::vector<bool>{true});
}

TEST_F(AbuseProtectionTest, ClearDuringABackgroundRecheckMakesEventsWaitForIt) {
  check();
  allow(0);
  loop.runPending();
  loop.advance(60s);
  results.clear();
  EXPECT_EQ(check(), 1u);  // old result, background probe started
  ASSERT_EQ(client.count(), 2u);
  ap.clear();
  EXPECT_EQ(check(), 0u);  // the forgotten result is not used; the running probe decides
  EXPECT_EQ(client.count(), 2u);
  deny(1);
  loop.runPending();
  EXPECT_EQ(results, (std::vector<bool>{true, false}));
}

}  // namespace
}  // namespace wps::upstream
