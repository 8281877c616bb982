// CloudEvents binary-mode requests (upstream-cloudevents.md §3.2, §3.3, §4.1, §9).
#include "cloudevents/request_builder.h"

#include <gtest/gtest.h>

#include <set>

namespace wps::cloudevents {
namespace {

// 2024-05-01T10:00:00Z
const WallTime kTime = WallTime(std::chrono::seconds(1714557600));
constexpr std::string_view kSignature =
    "sha256=7767effcb3946f3e1de039df4b986ef02c110b1469d02c0a06f41b3b727ab561";

EventAttributes baseAttributes(EventKind kind, std::string_view userEventName = {}) {
  EventAttributes a;
  a.kind = kind;
  a.userEventName = userEventName;
  a.hub = "chat";
  a.connectionId = "0f9c97a2f0bf4706afe87a14e0797b11";
  a.userId = "ddd";
  a.signature = kSignature;
  a.id = "7";
  a.time = kTime;
  a.origin = "pubsub.example.com";
  return a;
}

size_t countHeader(const http::HttpRequest& r, std::string_view name) {
  return http::findAllHeaders(r.headers, name).size();
}

// Value of the header spelled exactly `name` (case-sensitive), checking the documented casing.
std::optional<std::string> exactHeader(const http::HttpRequest& r, std::string_view name) {
  std::optional<std::string> found;
  for (const auto& h : r.headers) {
    if (h.name == name) {
      EXPECT_FALSE(found.has_value()) << "duplicate header " << name;
      found = h.value;
    }
  }
  return found;
}

void expectCommonHeaders(const http::HttpRequest& r) {
  EXPECT_EQ(exactHeader(r, "ce-specversion"), "1.0");
  EXPECT_EQ(exactHeader(r, "ce-awpsversion"), "1.0");
  EXPECT_EQ(exactHeader(r, "ce-source"), "/hubs/chat/client/0f9c97a2f0bf4706afe87a14e0797b11");
  EXPECT_EQ(exactHeader(r, "ce-id"), "7");
  EXPECT_EQ(exactHeader(r, "ce-time"), "2024-05-01T10:00:00Z");
  EXPECT_EQ(exactHeader(r, "ce-connectionId"), "0f9c97a2f0bf4706afe87a14e0797b11");
  EXPECT_EQ(exactHeader(r, "ce-hub"), "chat");
  EXPECT_EQ(countHeader(r, "WebHook-Request-Origin"), 1u);
  EXPECT_EQ(http::findHeader(r.headers, "WebHook-Request-Origin"), "pubsub.example.com");
  // No header name appears twice.
  std::set<std::string> names;
  for (const auto& h : r.headers) {
    std::string lower;
    for (char c : h.name)
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    EXPECT_TRUE(names.insert(lower).second) << "duplicate header " << h.name;
  }
}

TEST(BuildEventRequestTest, ConnectEvent) {
  auto a = baseAttributes(EventKind::kConnect);
  a.id = "0";
  a.subprotocol = "json.webpubsub.azure.v1";
  a.connectionState = "eyJrIjoidiJ9";
  auto r = buildEventRequest("http://app.example.com/api/chat/connect", a, "application/json",
                             R"({"claims":{}})");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://app.example.com/api/chat/connect");
  EXPECT_EQ(r.body, R"({"claims":{}})");
  EXPECT_EQ(exactHeader(r, "ce-type"), "azure.webpubsub.sys.connect");
  EXPECT_EQ(exactHeader(r, "ce-eventName"), "connect");
  EXPECT_EQ(exactHeader(r, "ce-id"), "0");
  EXPECT_EQ(exactHeader(r, "ce-userId"), "ddd");
  EXPECT_EQ(exactHeader(r, "ce-signature"), kSignature);
  EXPECT_EQ(exactHeader(r, "Content-Type"), "application/json");
  // Never on connect, even when given.
  EXPECT_EQ(countHeader(r, "ce-subprotocol"), 0u);
  EXPECT_EQ(countHeader(r, "ce-connectionState"), 0u);
  a.id = "7";
  expectCommonHeaders(buildEventRequest("http://x/", a, "application/json", "{}"));
}

TEST(BuildEventRequestTest, ConnectedEventCarriesSubprotocolAndState) {
  auto a = baseAttributes(EventKind::kConnected);
  a.subprotocol = "json.reliable.webpubsub.azure.v1";
  a.connectionState = "eyJrIjoidiJ9";
  auto r =
      buildEventRequest("http://app.example.com/api/chat/connected", a, "application/json", "{}");
  expectCommonHeaders(r);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(exactHeader(r, "ce-type"), "azure.webpubsub.sys.connected");
  EXPECT_EQ(exactHeader(r, "ce-eventName"), "connected");
  EXPECT_EQ(exactHeader(r, "ce-subprotocol"), "json.reliable.webpubsub.azure.v1");
  EXPECT_EQ(exactHeader(r, "ce-connectionState"), "eyJrIjoidiJ9");
  EXPECT_EQ(exactHeader(r, "ce-userId"), "ddd");
}

TEST(BuildEventRequestTest, DisconnectedEvent) {
  auto a = baseAttributes(EventKind::kDisconnected);
  auto r = buildEventRequest("http://app.example.com/api/chat/disconnected", a, "application/json",
                             R"({"reason":"bye"})");
  expectCommonHeaders(r);
  EXPECT_EQ(exactHeader(r, "ce-type"), "azure.webpubsub.sys.disconnected");
  EXPECT_EQ(exactHeader(r, "ce-eventName"), "disconnected");
  EXPECT_EQ(r.body, R"({"reason":"bye"})");
  // No subprotocol and empty state: both omitted.
  EXPECT_EQ(countHeader(r, "ce-subprotocol"), 0u);
  EXPECT_EQ(countHeader(r, "ce-connectionState"), 0u);
}

TEST(BuildEventRequestTest, SimpleClientMessage) {
  auto a = baseAttributes(EventKind::kUser, "message");
  auto r = buildEventRequest("http://app.example.com/api/chat/message", a, "text/plain", "hi");
  expectCommonHeaders(r);
  EXPECT_EQ(exactHeader(r, "ce-type"), "azure.webpubsub.user.message");
  EXPECT_EQ(exactHeader(r, "ce-eventName"), "message");
  EXPECT_EQ(exactHeader(r, "Content-Type"), "text/plain");
  EXPECT_EQ(r.body, "hi");
}

TEST(BuildEventRequestTest, CustomEventKeepsTheEventNameAsGiven) {
  auto a = baseAttributes(EventKind::kUser, "processOrder");
  a.subprotocol = "json.webpubsub.azure.v1";
  std::string binary("\x00\x01\xff", 3);
  auto r = buildEventRequest("http://app.example.com/api/chat/processOrder", a,
                             "application/octet-stream", binary);
  expectCommonHeaders(r);
  EXPECT_EQ(exactHeader(r, "ce-type"), "azure.webpubsub.user.processOrder");
  EXPECT_EQ(exactHeader(r, "ce-eventName"), "processOrder");
  EXPECT_EQ(exactHeader(r, "ce-subprotocol"), "json.webpubsub.azure.v1");
  EXPECT_EQ(r.body, binary);
}

TEST(BuildEventRequestTest, UserIdOmittedWhenAbsentOrEmpty) {
  auto a = baseAttributes(EventKind::kConnected);
  a.userId = std::nullopt;
  EXPECT_EQ(countHeader(buildEventRequest("http://x/", a, "application/json", "{}"), "ce-userId"),
            0u);
  a.userId = "";
  EXPECT_EQ(countHeader(buildEventRequest("http://x/", a, "application/json", "{}"), "ce-userId"),
            0u);
  a.userId = "user1";
  EXPECT_EQ(exactHeader(buildEventRequest("http://x/", a, "application/json", "{}"), "ce-userId"),
            "user1");
}

TEST(BuildEventRequestTest, UserIdMayCarryRawUtf8) {
  auto a = baseAttributes(EventKind::kConnected);
  a.userId = "J\xc3\xbcrgen";
  EXPECT_EQ(exactHeader(buildEventRequest("http://x/", a, "application/json", "{}"), "ce-userId"),
            "J\xc3\xbcrgen");
}

TEST(BuildEventRequestTest, SignatureOmittedWithoutKeys) {
  auto a = baseAttributes(EventKind::kUser, "message");
  a.signature = "";
  auto r = buildEventRequest("http://x/", a, "text/plain", "x");
  EXPECT_EQ(countHeader(r, "ce-signature"), 0u);
  expectCommonHeaders(r);
}

TEST(BuildEventRequestTest, TwoKeySignatureIsOneHeaderLine) {
  auto a = baseAttributes(EventKind::kUser, "message");
  std::string two = std::string(kSignature) + ",sha256=" + std::string(64, 'a');
  a.signature = two;
  auto r = buildEventRequest("http://x/", a, "text/plain", "x");
  EXPECT_EQ(countHeader(r, "ce-signature"), 1u);
  EXPECT_EQ(http::findHeader(r.headers, "ce-signature"), two);
}

TEST(BuildEventRequestTest, TimeIsUtcWithSecondPrecision) {
  auto a = baseAttributes(EventKind::kConnected);
  a.time = kTime + std::chrono::milliseconds(999);
  EXPECT_EQ(exactHeader(buildEventRequest("http://x/", a, "application/json", "{}"), "ce-time"),
            "2024-05-01T10:00:00Z");
  a.time = WallTime(std::chrono::seconds(1609459199));  // the last second of 2020
  EXPECT_EQ(exactHeader(buildEventRequest("http://x/", a, "application/json", "{}"), "ce-time"),
            "2020-12-31T23:59:59Z");
}

TEST(BuildEventRequestTest, ExtraHeadersAreAppendedInOrder) {
  auto a = baseAttributes(EventKind::kUser, "message");
  http::HttpHeaders extra = {
      {"Cookie", "a=1; b=2"}, {"Authorization", "Bearer t0k"}, {"X-WebPubSub-Metadata-k", "v"}};
  auto r = buildEventRequest("http://x/", a, "text/plain", "x", extra);
  ASSERT_GE(r.headers.size(), 3u);
  size_t n = r.headers.size();
  EXPECT_EQ(r.headers[n - 3].name, "Cookie");
  EXPECT_EQ(r.headers[n - 3].value, "a=1; b=2");
  EXPECT_EQ(r.headers[n - 2].name, "Authorization");
  EXPECT_EQ(r.headers[n - 2].value, "Bearer t0k");
  EXPECT_EQ(r.headers[n - 1].name, "X-WebPubSub-Metadata-k");
  EXPECT_EQ(r.headers[n - 1].value, "v");
  EXPECT_EQ(countHeader(r, "WebHook-Request-Origin"), 1u);
}

TEST(BuildEventRequestTest, HubInSourceAndHubHeaderIsTakenAsGiven) {
  auto a = baseAttributes(EventKind::kConnected);
  a.hub = "sample`chat";
  auto r = buildEventRequest("http://x/", a, "application/json", "{}");
  EXPECT_EQ(http::findHeader(r.headers, "ce-hub"), "sample`chat");
  EXPECT_EQ(http::findHeader(r.headers, "ce-source"),
            "/hubs/sample`chat/client/0f9c97a2f0bf4706afe87a14e0797b11");
}

TEST(BuildValidationRequestTest, OptionsProbe) {
  auto r = buildValidationRequest("http://app.example.com/api/chat/validate?code=abc", "OPTIONS",
                                  "pubsub.example.com", "chat");
  EXPECT_EQ(r.method, "OPTIONS");
  EXPECT_EQ(r.url, "http://app.example.com/api/chat/validate?code=abc");
  EXPECT_EQ(exactHeader(r, "WebHook-Request-Origin"), "pubsub.example.com");
  EXPECT_EQ(exactHeader(r, "ce-awpsversion"), "1.0");
  EXPECT_EQ(exactHeader(r, "ce-hub"), "chat");
  EXPECT_EQ(countHeader(r, "WebHook-Request-Origin"), 1u);
  EXPECT_EQ(countHeader(r, "ce-signature"), 0u);
  EXPECT_EQ(countHeader(r, "Cookie"), 0u);
  EXPECT_EQ(countHeader(r, "ce-connectionId"), 0u);
  EXPECT_EQ(countHeader(r, "ce-userId"), 0u);
  EXPECT_EQ(countHeader(r, "ce-connectionState"), 0u);
  EXPECT_EQ(countHeader(r, "WebHook-Request-Rate"), 0u);
  EXPECT_EQ(countHeader(r, "WebHook-Request-Callback"), 0u);
  EXPECT_TRUE(r.body.empty());
}

TEST(BuildValidationRequestTest, GetProbeWithExtraHeaders) {
  auto r = buildValidationRequest("https://h/validate", "GET", "pubsub.example.com", "chat",
                                  {{"Authorization", "Bearer t"}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, "https://h/validate");
  EXPECT_EQ(http::findHeader(r.headers, "Authorization"), "Bearer t");
  EXPECT_EQ(http::findHeader(r.headers, "ce-awpsversion"), "1.0");
  EXPECT_EQ(http::findHeader(r.headers, "ce-hub"), "chat");
  EXPECT_EQ(countHeader(r, "ce-signature"), 0u);
  EXPECT_TRUE(r.body.empty());
}

}  // namespace
}  // namespace wps::cloudevents
