// The per-connection cookie jar (upstream-cloudevents.md §3.4).
#include "upstream/cookie_jar.h"

#include <gtest/gtest.h>

namespace wps::upstream {
namespace {

using std::chrono::seconds;

const WallTime kNow = WallTime(seconds(1800000000));  // 2027-01-15
constexpr std::string_view kUrl = "http://up.example.com/api/chat/connect";

TEST(CookieJarTest, StoresAndSendsBack) {
  CookieJar jar;
  EXPECT_TRUE(jar.empty());
  EXPECT_EQ(jar.headerFor(kUrl, kNow), "");
  EXPECT_TRUE(jar.store("ARRAffinity=abc123; Path=/; HttpOnly", kUrl, kNow));
  EXPECT_EQ(jar.size(), 1u);
  EXPECT_EQ(jar.headerFor("http://up.example.com/api/chat/message", kNow), "ARRAffinity=abc123");
}

TEST(CookieJarTest, SeveralCookiesInOneHeader) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/", kUrl, kNow));
  ASSERT_TRUE(jar.store("b=2; Path=/", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow), "a=1; b=2");
}

TEST(CookieJarTest, SameNameDomainAndPathIsReplaced) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/", kUrl, kNow));
  ASSERT_TRUE(jar.store("a=2; Path=/", kUrl, kNow));
  EXPECT_EQ(jar.size(), 1u);
  EXPECT_EQ(jar.headerFor(kUrl, kNow), "a=2");
  // A different path is a different cookie; names are case-sensitive.
  ASSERT_TRUE(jar.store("a=3; Path=/api", kUrl, kNow));
  ASSERT_TRUE(jar.store("A=4; Path=/", kUrl, kNow));
  EXPECT_EQ(jar.size(), 3u);
}

TEST(CookieJarTest, ValueMayContainEqualsSigns) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("tok=a=b==; Path=/", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow), "tok=a=b==");
}

TEST(CookieJarTest, DefaultPathIsTheDirectoryOfTheRequest) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1", "http://up.example.com/api/chat/connect?code=x", kNow));
  EXPECT_EQ(jar.headerFor("http://up.example.com/api/chat/message", kNow), "a=1");
  EXPECT_EQ(jar.headerFor("http://up.example.com/api/chat", kNow), "a=1");
  EXPECT_EQ(jar.headerFor("http://up.example.com/api/other/connect", kNow), "");
  EXPECT_EQ(jar.headerFor("http://up.example.com/", kNow), "");

  CookieJar root;
  ASSERT_TRUE(root.store("r=1", "http://up.example.com/connect", kNow));
  EXPECT_EQ(root.headerFor("http://up.example.com/anything/else", kNow), "r=1");
}

TEST(CookieJarTest, PathMatching) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/api", kUrl, kNow));
  EXPECT_EQ(jar.headerFor("http://up.example.com/api", kNow), "a=1");
  EXPECT_EQ(jar.headerFor("http://up.example.com/api/", kNow), "a=1");
  EXPECT_EQ(jar.headerFor("http://up.example.com/api/x/y?z=1", kNow), "a=1");
  EXPECT_EQ(jar.headerFor("http://up.example.com/apix", kNow), "");
  EXPECT_EQ(jar.headerFor("http://up.example.com/", kNow), "");
  EXPECT_EQ(jar.headerFor("http://up.example.com/API", kNow), "");

  CookieJar slash;
  ASSERT_TRUE(slash.store("b=1; Path=/api/", kUrl, kNow));
  EXPECT_EQ(slash.headerFor("http://up.example.com/api/x", kNow), "b=1");
  EXPECT_EQ(slash.headerFor("http://up.example.com/apix", kNow), "");
}

TEST(CookieJarTest, HostOnlyCookiesStayOnTheirHost) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/", kUrl, kNow));
  EXPECT_EQ(jar.headerFor("http://UP.example.com/x", kNow), "a=1");
  EXPECT_EQ(jar.headerFor("http://sub.up.example.com/x", kNow), "");
  EXPECT_EQ(jar.headerFor("http://example.com/x", kNow), "");
  EXPECT_EQ(jar.headerFor("http://other.example.com/x", kNow), "");
}

TEST(CookieJarTest, PortDoesNotMatter) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/", "http://up.example.com:8080/api/connect", kNow));
  EXPECT_EQ(jar.headerFor("http://up.example.com:9090/api/message", kNow), "a=1");
}

TEST(CookieJarTest, DomainAttributeCoversSubdomains) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Domain=example.com; Path=/", kUrl, kNow));
  EXPECT_EQ(jar.headerFor("http://up.example.com/", kNow), "a=1");
  EXPECT_EQ(jar.headerFor("http://example.com/", kNow), "a=1");
  EXPECT_EQ(jar.headerFor("http://a.b.example.com/", kNow), "a=1");
  EXPECT_EQ(jar.headerFor("http://notexample.com/", kNow), "");
  EXPECT_EQ(jar.headerFor("http://example.com.evil.org/", kNow), "");

  CookieJar dot;
  ASSERT_TRUE(dot.store("b=1; Domain=.Example.COM; Path=/", kUrl, kNow));
  EXPECT_EQ(dot.headerFor("http://x.example.com/", kNow), "b=1");
}

TEST(CookieJarTest, ForeignDomainIsRejected) {
  CookieJar jar;
  EXPECT_FALSE(jar.store("a=1; Domain=other.com; Path=/", kUrl, kNow));
  EXPECT_FALSE(jar.store("a=1; Domain=sub.up.example.com; Path=/", kUrl, kNow));
  EXPECT_FALSE(jar.store("a=1; Domain=ample.com; Path=/", kUrl, kNow));
  EXPECT_TRUE(jar.empty());
  EXPECT_EQ(jar.headerFor("http://other.com/", kNow), "");
}

// Found by cookie_jar_fuzz: "Domain=." on a host ending in '.' made a cookie for the empty
// domain, sent to every host ending in '.'. An empty Domain is ignored (host-only cookie).
TEST(CookieJarTest, EmptyDomainAttributeKeepsTheCookieHostOnly) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("z=1; Domain=.", "http://host./", kNow));
  EXPECT_EQ(jar.headerFor("http://host./", kNow), "z=1");
  EXPECT_EQ(jar.headerFor("http://other.invalid./", kNow), "");
  EXPECT_EQ(jar.headerFor("http://a.host./", kNow), "");
}

TEST(CookieJarTest, MaxAgeZeroDeletes) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/", kUrl, kNow));
  ASSERT_TRUE(jar.store("b=2; Path=/", kUrl, kNow));
  EXPECT_TRUE(jar.store("a=; Path=/; Max-Age=0", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow), "b=2");
  EXPECT_EQ(jar.size(), 1u);
  EXPECT_TRUE(jar.store("b=x; path=/; max-age=-5", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow), "");
  EXPECT_TRUE(jar.empty());
}

TEST(CookieJarTest, DeletionNeedsTheSamePath) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/", kUrl, kNow));
  EXPECT_TRUE(jar.store("a=; Path=/api; Max-Age=0", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow), "a=1");
}

TEST(CookieJarTest, MaxAgeExpires) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/; Max-Age=10", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow + seconds(9)), "a=1");
  EXPECT_EQ(jar.headerFor(kUrl, kNow + seconds(10)), "");
  EXPECT_EQ(jar.headerFor(kUrl, kNow + seconds(11)), "");
}

TEST(CookieJarTest, ExpiresInThePastDeletes) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/", kUrl, kNow));
  EXPECT_TRUE(jar.store("a=gone; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow), "");
  EXPECT_TRUE(jar.empty());
}

TEST(CookieJarTest, ExpiresInTheFuture) {
  CookieJar jar;
  // kNow + 100 s = Fri, 15 Jan 2027 08:01:40 GMT.
  ASSERT_TRUE(jar.store("a=1; Path=/; Expires=Fri, 15 Jan 2027 08:01:40 GMT", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow + seconds(99)), "a=1");
  EXPECT_EQ(jar.headerFor(kUrl, kNow + seconds(100)), "");
}

TEST(CookieJarTest, FarFutureExpiryKeepsTheCookie) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/; Expires=Fri, 31 Dec 9999 23:59:59 GMT", kUrl, kNow));
  ASSERT_TRUE(jar.store("b=2; Path=/; Max-Age=99999999999", kUrl, kNow));
  ASSERT_TRUE(jar.store("c=3; Path=/; Max-Age=9223372036854775807", kUrl, kNow));
  EXPECT_EQ(jar.size(), 3u);
  EXPECT_EQ(jar.headerFor(kUrl, kNow), "a=1; b=2; c=3");
  EXPECT_EQ(jar.headerFor(kUrl, kNow + seconds(86400 * 30)), "a=1; b=2; c=3");
  EXPECT_EQ(jar.headerFor(kUrl, kNow + seconds(86400 * 399)), "a=1; b=2; c=3");
}

TEST(CookieJarTest, MaxAgeWinsOverExpires) {
  CookieJar jar;
  ASSERT_TRUE(
      jar.store("a=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow + seconds(30)), "a=1");
  ASSERT_TRUE(
      jar.store("b=1; Path=/; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow + seconds(30)), "a=1; b=1");
}

TEST(CookieJarTest, SecureOnlyOverHttps) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("s=1; Path=/; Secure", "https://up.example.com/api/connect", kNow));
  ASSERT_TRUE(jar.store("p=2; Path=/", "https://up.example.com/api/connect", kNow));
  EXPECT_EQ(jar.headerFor("https://up.example.com/api/message", kNow), "s=1; p=2");
  EXPECT_EQ(jar.headerFor("http://up.example.com/api/message", kNow), "p=2");
}

TEST(CookieJarTest, InvalidCookiesAreIgnored) {
  CookieJar jar;
  EXPECT_FALSE(jar.store("", kUrl, kNow));
  EXPECT_FALSE(jar.store("novalue", kUrl, kNow));
  EXPECT_FALSE(jar.store("=value", kUrl, kNow));
  EXPECT_FALSE(jar.store(" =value; Path=/", kUrl, kNow));
  EXPECT_FALSE(jar.store("big=" + std::string(5000, 'x'), kUrl, kNow));
  EXPECT_FALSE(jar.store("a=1", "not a url", kNow));
  EXPECT_FALSE(jar.store("a=1", "ftp://up.example.com/", kNow));
  EXPECT_TRUE(jar.empty());
  EXPECT_EQ(jar.headerFor(kUrl, kNow), "");
}

TEST(CookieJarTest, InvalidAttributesDoNotDropTheCookie) {
  CookieJar jar;
  EXPECT_TRUE(jar.store("a=1; Path=/; Max-Age=soon; Expires=garbage; Unknown=1", kUrl, kNow));
  EXPECT_EQ(jar.headerFor(kUrl, kNow + seconds(86400 * 365)), "a=1");
}

TEST(CookieJarTest, HeaderForABadUrlIsEmpty) {
  CookieJar jar;
  ASSERT_TRUE(jar.store("a=1; Path=/", kUrl, kNow));
  EXPECT_EQ(jar.headerFor("not a url", kNow), "");
}

TEST(CookieJarTest, NumberOfCookiesIsBounded) {
  CookieJar jar;
  for (int i = 0; i < 500; ++i) {
    jar.store("c" + std::to_string(i) + "=1; Path=/", kUrl, kNow);
  }
  EXPECT_LT(jar.size(), 500u);  // the jar does not grow without bound
  EXPECT_GE(jar.size(), 1u);
  // The newest cookie survives.
  EXPECT_NE(jar.headerFor(kUrl, kNow).find("c499=1"), std::string::npos);
}

}  // namespace
}  // namespace wps::upstream
