#include "http/message.h"

#include <gtest/gtest.h>

namespace wps::http {
namespace {

const HttpHeaders kHeaders = {{"Content-Type", "text/plain"},
                              {"Set-Cookie", "a=1"},
                              {"set-cookie", "b=2"},
                              {"X-Other", ""},
                              {"SET-COOKIE", "c=3"}};

TEST(HttpMessageTest, FindHeaderIsCaseInsensitiveAndReturnsTheFirst) {
  EXPECT_EQ(findHeader(kHeaders, "content-type"), "text/plain");
  EXPECT_EQ(findHeader(kHeaders, "Set-Cookie"), "a=1");
  EXPECT_EQ(findHeader(kHeaders, "x-other"), "");
  EXPECT_FALSE(findHeader(kHeaders, "Missing").has_value());
  EXPECT_FALSE(findHeader(kHeaders, "Content-Typ").has_value());
}

TEST(HttpMessageTest, FindLastHeader) {
  EXPECT_EQ(findLastHeader(kHeaders, "set-cookie"), "c=3");
  EXPECT_EQ(findLastHeader(kHeaders, "Content-Type"), "text/plain");
  EXPECT_FALSE(findLastHeader(kHeaders, "Missing").has_value());
}

TEST(HttpMessageTest, FindAllHeadersKeepsOrder) {
  auto all = findAllHeaders(kHeaders, "Set-Cookie");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], "a=1");
  EXPECT_EQ(all[1], "b=2");
  EXPECT_EQ(all[2], "c=3");
  EXPECT_TRUE(findAllHeaders(kHeaders, "Missing").empty());
}

TEST(HttpMessageTest, MediaType) {
  EXPECT_EQ(mediaType("application/json"), "application/json");
  EXPECT_EQ(mediaType("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(mediaType("  text/plain  ;charset=UTF-8"), "text/plain");
  EXPECT_EQ(mediaType("TEXT/PLAIN"), "text/plain");
  EXPECT_EQ(mediaType(""), "");
  EXPECT_EQ(mediaType("; charset=utf-8"), "");
}

TEST(HttpMessageTest, ResponseSuccessIsAny2xx) {
  HttpResponse r;
  for (int s : {200, 201, 204, 299}) {
    r.status = s;
    EXPECT_TRUE(r.isSuccess()) << s;
  }
  for (int s : {0, 199, 300, 404, 500}) {
    r.status = s;
    EXPECT_FALSE(r.isSuccess()) << s;
  }
}

TEST(HttpMessageTest, RequestDefaultsToPost) {
  HttpRequest r;
  EXPECT_EQ(r.method, "POST");
}

}  // namespace
}  // namespace wps::http
