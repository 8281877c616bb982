#include "trace/format.h"

#include <gtest/gtest.h>

#include "trace/redact.h"

namespace wps::trace {
namespace {

constexpr const char* kJwt =
    "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwOi8vbG9jYWxob3N0L3RyYWNlIn0.c2lnbmF0dXJlLXZhbHVl";
constexpr const char* kKey = "ThisIsTheAccessKeyValue0123456789";

TEST(RedactTest, RemovesJwtsAndKeyedSecrets) {
  std::string text = std::string("token ") + kJwt + " in Endpoint=http://h;AccessKey=" + kKey +
                     ";Version=1.0; and /client?access_token=abc.def&x=1";
  std::string out = redactSecrets(text);
  EXPECT_EQ(out.find(kJwt), std::string::npos);
  EXPECT_EQ(out.find(kKey), std::string::npos);
  EXPECT_EQ(out.find("abc.def"), std::string::npos);
  EXPECT_NE(out.find("AccessKey=[redacted];Version=1.0;"), std::string::npos);
  EXPECT_NE(out.find("&x=1"), std::string::npos);
  EXPECT_EQ(redactSecrets("hello keyboard monkey=1"), "hello keyboard monkey=1");
}

TEST(RedactTest, DisplayUrlDropsQueryFragmentAndUserinfo) {
  EXPECT_EQ(displayUrl("https://u:p@host:8443/api/e?code=SECRET#f"), "https://host:8443/api/e");
  EXPECT_EQ(displayUrl("http://host"), "http://host");
  EXPECT_EQ(displayUrl("http://host/a/b"), "http://host/a/b");
}

Event sample() {
  Event e;
  e.category = Category::kMessaging;
  e.what = "sendToGroup";
  e.hub = "chat";
  e.connectionId = "c1";
  e.userId = "alice";
  e.add("group", "g\"1");
  e.add("authorization", std::string("Bearer ") + kJwt);
  e.payload = std::string("secret payload AccessKey=") + kKey;
  e.unixMillis = 1234;
  return e;
}

TEST(EventJsonTest, OmitsPayloadUnlessIncluded) {
  std::string json = eventJson(sample(), false);
  EXPECT_EQ(json,
            "{\"time\":1234,\"category\":\"messaging\",\"event\":\"sendToGroup\",\"hub\":\"chat\","
            "\"connectionId\":\"c1\",\"userId\":\"alice\",\"details\":{\"group\":\"g\\\"1\","
            "\"authorization\":\"Bearer [redacted]\"}}");
  EXPECT_EQ(json.find("secret payload"), std::string::npos);
}

TEST(EventJsonTest, IncludedPayloadIsStillRedacted) {
  std::string json = eventJson(sample(), true);
  EXPECT_NE(json.find("\"payload\":\"secret payload AccessKey=[redacted]\""), std::string::npos);
  EXPECT_EQ(json.find(kKey), std::string::npos);
  EXPECT_EQ(json.find(kJwt), std::string::npos);
}

TEST(EventJsonTest, LongAndBinaryPayloads) {
  Event e = sample();
  e.payload = std::string(10000, 'a');
  EXPECT_NE(eventJson(e, true).find("\"payload\":\"" + std::string(4096, 'a') + "\""),
            std::string::npos);
  e.payload = std::string("\xff\xfe", 2);
  EXPECT_NE(eventJson(e, true).find("\"payload\":\"(binary)\""), std::string::npos);
}

TEST(EventJsonTest, SkippedMarkerAndSseFraming) {
  EXPECT_EQ(skippedJson(7), "{\"category\":\"trace\",\"event\":\"skipped\",\"count\":7}");
  EXPECT_EQ(sseMessage("{}"), "data: {}\n\n");
  EXPECT_EQ(categoryName(Category::kRest), "rest");
  EXPECT_EQ(categoryName(Category::kUpstream), "upstream");
  EXPECT_EQ(categoryName(Category::kConnectivity), "connectivity");
}

}  // namespace
}  // namespace wps::trace
