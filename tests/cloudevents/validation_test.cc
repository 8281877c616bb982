// Judging the abuse-protection answer (upstream-cloudevents.md §4.3).
#include <gtest/gtest.h>

#include "cloudevents/request_builder.h"

namespace wps::cloudevents {
namespace {

constexpr std::string_view kOrigin = "pubsub.example.com";

http::HttpResponse answer(int status, std::vector<std::string> allowed) {
  http::HttpResponse r;
  r.status = status;
  for (auto& v : allowed)
    r.headers.push_back({"WebHook-Allowed-Origin", std::move(v)});
  return r;
}

TEST(ValidationAllowsTest, StarAllowsAnyOrigin) {
  EXPECT_TRUE(validationAllows(answer(200, {"*"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(200, {"*"}), "other.example.org"));
}

TEST(ValidationAllowsTest, AnyTwoHundredStatusIsAccepted) {
  EXPECT_TRUE(validationAllows(answer(200, {"*"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(201, {"*"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(204, {"*"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(299, {"*"}), kOrigin));
}

TEST(ValidationAllowsTest, NonTwoHundredStatusFailsEvenWithAMatchingHeader) {
  for (int status : {100, 199, 300, 301, 302, 304, 400, 401, 403, 404, 405, 429, 500, 503}) {
    EXPECT_FALSE(validationAllows(answer(status, {"*"}), kOrigin)) << status;
    EXPECT_FALSE(validationAllows(answer(status, {std::string(kOrigin)}), kOrigin)) << status;
  }
}

TEST(ValidationAllowsTest, ExactOriginComparedCaseInsensitively) {
  EXPECT_TRUE(validationAllows(answer(200, {"pubsub.example.com"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(200, {"PubSub.Example.COM"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(200, {"pubsub.example.com"}), "PUBSUB.example.com"));
}

TEST(ValidationAllowsTest, HeaderNameIsCaseInsensitive) {
  http::HttpResponse r;
  r.status = 200;
  r.headers.push_back({"webhook-allowed-origin", "pubsub.example.com"});
  EXPECT_TRUE(validationAllows(r, kOrigin));
}

TEST(ValidationAllowsTest, SeveralHeaderLinesAreSeveralCandidates) {
  EXPECT_TRUE(validationAllows(answer(200, {"a.example.com", "pubsub.example.com"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(200, {"pubsub.example.com", "a.example.com"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(200, {"a.example.com", "*"}), kOrigin));
  EXPECT_FALSE(validationAllows(answer(200, {"a.example.com", "b.example.com"}), kOrigin));
}

TEST(ValidationAllowsTest, CommaSeparatedListsAreSplitAndTrimmed) {
  EXPECT_TRUE(validationAllows(answer(200, {"a.example.com,pubsub.example.com"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(200, {"a.example.com ,  pubsub.example.com  "}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(200, {"a.example.com, *"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(200, {"  pubsub.example.com\t"}), kOrigin));
  EXPECT_FALSE(validationAllows(answer(200, {"a.example.com, b.example.com"}), kOrigin));
}

TEST(ValidationAllowsTest, HostWithPortMatchesPortlessOrigin) {
  // @azure/web-pubsub-express with allowedEndpoints sends URL.host, port included.
  EXPECT_TRUE(validationAllows(answer(200, {"pubsub.example.com:8080"}), kOrigin));
  EXPECT_TRUE(validationAllows(answer(200, {"localhost:8080"}), "localhost"));
  EXPECT_TRUE(validationAllows(answer(200, {"other:1", "Localhost:8080"}), "localhost"));
  EXPECT_TRUE(validationAllows(answer(200, {"other:1, localhost:443"}), "localhost"));
  EXPECT_FALSE(validationAllows(answer(200, {"otherhost:8080"}), "localhost"));
}

TEST(ValidationAllowsTest, OriginOverrideWithPortMatchesExactly) {
  EXPECT_TRUE(validationAllows(answer(200, {"localhost:8080"}), "localhost:8080"));
}

TEST(ValidationAllowsTest, MissingHeaderFails) {
  EXPECT_FALSE(validationAllows(answer(200, {}), kOrigin));
  http::HttpResponse r;
  r.status = 200;
  r.headers.push_back({"Allow", "OPTIONS, POST"});
  r.headers.push_back({"Access-Control-Allow-Origin", "*"});
  EXPECT_FALSE(validationAllows(r, kOrigin));
}

TEST(ValidationAllowsTest, NonMatchingValuesFail) {
  EXPECT_FALSE(validationAllows(answer(200, {""}), kOrigin));
  EXPECT_FALSE(validationAllows(answer(200, {"other.example.com"}), kOrigin));
  EXPECT_FALSE(validationAllows(answer(200, {"pubsub.example.com.evil.com"}), kOrigin));
  EXPECT_FALSE(validationAllows(answer(200, {"evil-pubsub.example.com"}), kOrigin));
  EXPECT_FALSE(validationAllows(answer(200, {"example.com"}), kOrigin));
  EXPECT_FALSE(validationAllows(answer(200, {"https://pubsub.example.com"}), kOrigin));
  EXPECT_FALSE(validationAllows(answer(200, {"**"}), kOrigin));
  EXPECT_FALSE(validationAllows(answer(200, {"*.example.com"}), kOrigin));
}

}  // namespace
}  // namespace wps::cloudevents
