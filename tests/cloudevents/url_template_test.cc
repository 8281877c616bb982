// Event handler URL templates (upstream-cloudevents.md §2.2) and URL splitting.
#include "cloudevents/url_template.h"

#include <gtest/gtest.h>

namespace wps::cloudevents {
namespace {

std::string resolve(std::string_view text, std::string_view hub, std::string_view event) {
  auto t = UrlTemplate::parse(text);
  EXPECT_TRUE(t.isOk()) << text << ": " << t.status().toString();
  if (!t) return {};
  return t->resolve(hub, event);
}

void expectRejected(std::string_view text) {
  auto t = UrlTemplate::parse(text);
  EXPECT_FALSE(t.isOk()) << text;
  if (!t) {
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_FALSE(t.status().message().empty()) << text;
  }
}

TEST(UrlTemplateTest, SubstitutesHubAndEvent) {
  EXPECT_EQ(resolve("https://app.example.com/api/webpubsub/hubs/{hub}/{event}", "chat", "connect"),
            "https://app.example.com/api/webpubsub/hubs/chat/connect");
  EXPECT_EQ(resolve("http://host/api/{event}", "chat", "validate"), "http://host/api/validate");
}

TEST(UrlTemplateTest, PlaceholdersAreCaseInsensitive) {
  EXPECT_EQ(resolve("http://host/{Hub}/{EVENT}", "chat", "message"), "http://host/chat/message");
  EXPECT_EQ(resolve("http://host/{HUB}/{Event}", "chat", "message"), "http://host/chat/message");
}

TEST(UrlTemplateTest, PlaceholdersMayRepeatAndAppearAnywhereAfterTheHost) {
  EXPECT_EQ(resolve("http://host/{hub}-{event}/{hub}", "h", "e"), "http://host/h-e/h");
  EXPECT_EQ(resolve("http://host/x?hub={hub}&event={event}", "chat", "connect"),
            "http://host/x?hub=chat&event=connect");
  EXPECT_EQ(resolve("http://host:8080/{event}", "chat", "connected"), "http://host:8080/connected");
}

TEST(UrlTemplateTest, TemplateWithoutPlaceholders) {
  EXPECT_EQ(resolve("https://app/eventhandler", "chat", "connect"), "https://app/eventhandler");
}

TEST(UrlTemplateTest, QueryStringIsKeptExactly) {
  EXPECT_EQ(resolve("https://fn.azurewebsites.net/runtime/webhooks/webpubsub?code=abc", "chat",
                    "connect"),
            "https://fn.azurewebsites.net/runtime/webhooks/webpubsub?code=abc");
  EXPECT_EQ(resolve("http://host/{event}?code=a%2Fb%3D%3D&x=1&y", "chat", "validate"),
            "http://host/validate?code=a%2Fb%3D%3D&x=1&y");
}

TEST(UrlTemplateTest, PercentEncodedBracesAreLiteral) {
  EXPECT_EQ(resolve("http://host/a%7Bb%7D/{event}", "chat", "connect"),
            "http://host/a%7Bb%7D/connect");
}

TEST(UrlTemplateTest, ValuesAreEscapedAsRfc3986Data) {
  EXPECT_EQ(resolve("http://host/{hub}/{event}", "a`b,c[d]", "connect"),
            "http://host/a%60b%2Cc%5Bd%5D/connect");
  EXPECT_EQ(resolve("http://host/{hub}", "Az09-._~", "x"), "http://host/Az09-._~");
  EXPECT_EQ(resolve("http://host/{event}", "h", "a/b?c#d e%"), "http://host/a%2Fb%3Fc%23d%20e%25");
  EXPECT_EQ(resolve("http://host/{event}", "h", "\xc3\xa9"), "http://host/%C3%A9");
  EXPECT_EQ(resolve("http://host/?h={hub}", "a&b=c+d", "x"), "http://host/?h=a%26b%3Dc%2Bd");
}

TEST(UrlTemplateTest, TextIsTheOriginalTemplate) {
  auto t = UrlTemplate::parse("http://host/{Hub}/{event}?code=1");
  ASSERT_TRUE(t.isOk());
  EXPECT_EQ(t->text(), "http://host/{Hub}/{event}?code=1");
}

TEST(UrlTemplateTest, PlaceholdersInTheHostAreRejected) {
  expectRejected("http://{hub}.example.com/api/{event}");
  expectRejected("http://{event}/");
  expectRejected("https://app-{hub}.example.com/");
  expectRejected("http://example.com:{event}/x");
  expectRejected("http://host{hub}");
  expectRejected("http://{Hub}?x=1");
  auto t = UrlTemplate::parse("http://{hub}.example.com/api");
  ASSERT_FALSE(t.isOk());
  EXPECT_NE(t.status().message().find("host"), std::string::npos) << t.status().message();
}

TEST(UrlTemplateTest, PlaceholderInTheSchemeIsRejected) {
  expectRejected("{hub}://host/x");
  expectRejected("http{event}://host/x");
}

TEST(UrlTemplateTest, UnknownPlaceholdersAndStrayBracesAreRejected) {
  expectRejected("http://host/{foo}");
  expectRejected("http://host/{}");
  expectRejected("http://host/{ hub }");
  expectRejected("http://host/{hub");
  expectRejected("http://host/hub}");
  expectRejected("http://host/{event}}");
  expectRejected("http://host/{{event}}");
  expectRejected("http://host/{@Microsoft.KeyVault(SecretUri=https://v/secrets/s)}");
  auto t = UrlTemplate::parse("http://host/{foo}");
  ASSERT_FALSE(t.isOk());
  EXPECT_NE(t.status().message().find("foo"), std::string::npos) << t.status().message();
}

TEST(UrlTemplateTest, OnlyAbsoluteHttpUrlsAreAccepted) {
  expectRejected("");
  expectRejected("ftp://host/{event}");
  expectRejected("ws://host/{event}");
  expectRejected("tunnel:///{event}");
  expectRejected("/api/{event}");
  expectRejected("host/api/{event}");
  expectRejected("http:///api/{event}");
  expectRejected("http://");
  expectRejected("http://host:99999/{event}");
  expectRejected("http://host:0/{event}");
  expectRejected("http://host/{event} x");
  EXPECT_TRUE(UrlTemplate::parse("HTTPS://host/{event}").isOk());
  EXPECT_TRUE(UrlTemplate::parse("http://127.0.0.1:7071/api/{event}").isOk());
  EXPECT_TRUE(UrlTemplate::parse("http://[::1]:7071/api/{event}").isOk());
}

TEST(ParseHttpUrlTest, DefaultPorts) {
  auto http = parseHttpUrl("http://example.com");
  ASSERT_TRUE(http.isOk()) << http.status().toString();
  EXPECT_FALSE(http->https);
  EXPECT_EQ(http->host, "example.com");
  EXPECT_EQ(http->port, 80);
  EXPECT_EQ(http->target, "/");
  EXPECT_EQ(http->hostHeader, "example.com");

  auto https = parseHttpUrl("https://example.com/a");
  ASSERT_TRUE(https.isOk());
  EXPECT_TRUE(https->https);
  EXPECT_EQ(https->port, 443);
  EXPECT_EQ(https->target, "/a");
  EXPECT_EQ(https->hostHeader, "example.com");
  EXPECT_NE(http->origin, https->origin);
}

TEST(ParseHttpUrlTest, ExplicitPorts) {
  auto u = parseHttpUrl("http://example.com:8080/api/x");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/api/x");
  EXPECT_EQ(u->hostHeader, "example.com:8080");

  // An explicit default port is elided from the Host header.
  auto d = parseHttpUrl("https://example.com:443/");
  ASSERT_TRUE(d.isOk());
  EXPECT_EQ(d->port, 443);
  EXPECT_EQ(d->hostHeader, "example.com");

  auto odd = parseHttpUrl("https://example.com:80/");
  ASSERT_TRUE(odd.isOk());
  EXPECT_EQ(odd->port, 80);
  EXPECT_TRUE(odd->https);
  EXPECT_EQ(odd->hostHeader, "example.com:80");
}

// Found by url_template_fuzz: Boost.URL reads "h:80+x/a" as port 80 and path "+x/a", which
// would have become the request line's target.
TEST(ParseHttpUrlTest, JunkAfterThePortIsRejected) {
  EXPECT_FALSE(parseHttpUrl("http://h:80+x/a").isOk());
  EXPECT_FALSE(parseHttpUrl("https://[::1]:443+api/{EVENT}").isOk());
  EXPECT_FALSE(parseHttpUrl("http://[::1]+x/").isOk());
  EXPECT_FALSE(UrlTemplate::parse("https://[::1]:443+api/{event}").isOk());
  EXPECT_TRUE(parseHttpUrl("http://h+x/a").isOk());  // '+' is allowed in a host name
}

// Found by url_template_fuzz: "%0{event}" resolved to a valid URL for the sample event ("%0e")
// but not for others ("%0x"); every '%' of the literal text must start a complete escape.
TEST(UrlTemplateTest, IncompleteEscapesAreRejected) {
  EXPECT_FALSE(UrlTemplate::parse("https://h/api%0{event}").isOk());
  EXPECT_FALSE(UrlTemplate::parse("https://h/api%{hub}").isOk());
  EXPECT_FALSE(UrlTemplate::parse("https://h/{hub}?q=50%").isOk());
  auto ok = UrlTemplate::parse("https://h/a%2Fb/{event}?q=50%25");
  ASSERT_TRUE(ok.isOk());
  EXPECT_EQ(ok->resolve("hub", "x y"), "https://h/a%2Fb/x%20y?q=50%25");
}

TEST(ParseHttpUrlTest, OriginIsThePoolKey) {
  auto a = parseHttpUrl("http://example.com/a");
  auto b = parseHttpUrl("http://example.com:80/b?x");
  auto c = parseHttpUrl("http://example.com:81/a");
  ASSERT_TRUE(a.isOk() && b.isOk() && c.isOk());
  EXPECT_EQ(a->origin, b->origin);
  EXPECT_NE(a->origin, c->origin);
}

TEST(ParseHttpUrlTest, Ipv6Host) {
  auto u = parseHttpUrl("http://[::1]:9000/p");
  ASSERT_TRUE(u.isOk()) << u.status().toString();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->target, "/p");
  EXPECT_EQ(u->hostHeader, "[::1]:9000");

  auto d = parseHttpUrl("https://[2001:db8::7]/");
  ASSERT_TRUE(d.isOk());
  EXPECT_EQ(d->host, "2001:db8::7");
  EXPECT_EQ(d->port, 443);
  EXPECT_EQ(d->hostHeader, "[2001:db8::7]");
}

TEST(ParseHttpUrlTest, TargetKeepsTheQuery) {
  auto u = parseHttpUrl("https://fn.azurewebsites.net/runtime/webhooks/webpubsub?code=a%2Fb==");
  ASSERT_TRUE(u.isOk());
  EXPECT_EQ(u->target, "/runtime/webhooks/webpubsub?code=a%2Fb==");
  auto q = parseHttpUrl("http://example.com?x=1");
  ASSERT_TRUE(q.isOk());
  EXPECT_EQ(q->target, "/?x=1");
  auto p = parseHttpUrl("http://example.com/a%20b/c");
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->target, "/a%20b/c");
}

TEST(ParseHttpUrlTest, Rejections) {
  for (std::string_view bad :
       {"", "example.com", "/path", "//example.com/", "ftp://example.com/", "ws://example.com/",
        "http://", "http:///path", "http://example.com:0/", "http://example.com:65536/",
        "http://example.com:abc/", "http://exa mple.com/"}) {
    auto u = parseHttpUrl(bad);
    EXPECT_FALSE(u.isOk()) << bad;
    if (!u) {
      EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

}  // namespace
}  // namespace wps::cloudevents
