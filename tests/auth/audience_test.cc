#include "auth/audience.h"

#include <gtest/gtest.h>

namespace wps::auth {
namespace {

const AudienceOptions kDefault;

TEST(Audience, ClientAudienceHubCaseInsensitive) {
  EXPECT_TRUE(
      audienceMatches("http://localhost:8080/client/hubs/Chat", "/client/hubs/chat", kDefault));
  EXPECT_TRUE(
      audienceMatches("HTTPS://Example.com/CLIENT/HUBS/chat", "/client/hubs/Chat", kDefault));
}

TEST(Audience, AnyWebSchemeAccepted) {
  for (const char* aud :
       {"http://h/client/hubs/chat", "https://h/client/hubs/chat", "ws://h/client/hubs/chat",
        "wss://h:443/client/hubs/chat", "WSS://h/client/hubs/chat"}) {
    EXPECT_TRUE(audienceMatches(aud, "/client/hubs/chat", kDefault)) << aud;
  }
  for (const char* aud : {"ftp://h/client/hubs/chat", "file:///client/hubs/chat",
                          "urn:client/hubs/chat", "httpx://h/client/hubs/chat"}) {
    EXPECT_FALSE(audienceMatches(aud, "/client/hubs/chat", kDefault)) << aud;
  }
}

TEST(Audience, TrailingSlashOnEitherSide) {
  EXPECT_TRUE(audienceMatches("http://h/client/hubs/chat/", "/client/hubs/chat", kDefault));
  EXPECT_TRUE(audienceMatches("http://h/client/hubs/chat", "/client/hubs/chat/", kDefault));
  // Only one slash is stripped.
  EXPECT_FALSE(audienceMatches("http://h/client/hubs/chat//", "/client/hubs/chat", kDefault));
}

TEST(Audience, QueryAndFragmentIgnored) {
  EXPECT_TRUE(audienceMatches("http://h/client/hubs/chat?access_token=x&a=b", "/client/hubs/chat",
                              kDefault));
  EXPECT_TRUE(audienceMatches("http://h/client/hubs/chat#frag", "/client/hubs/chat", kDefault));
  EXPECT_TRUE(audienceMatches("http://h/client/hubs/chat/?x=1", "/client/hubs/chat", kDefault));
  EXPECT_TRUE(audienceMatches("http://h?x=/client/hubs/chat", "", kDefault));
  EXPECT_FALSE(audienceMatches("http://h?x=/client/hubs/chat", "/client/hubs/chat", kDefault));
}

TEST(Audience, RejectsOtherPathsAndHubs) {
  // The missing '/' before "client" puts "client" into the host.
  EXPECT_FALSE(audienceMatches("https://hostclient/hubs/x", "/client/hubs/x", kDefault));
  EXPECT_FALSE(audienceMatches("http://h/client/hubs/other", "/client/hubs/chat", kDefault));
  EXPECT_FALSE(audienceMatches("http://h/client/hubs/chat2", "/client/hubs/chat", kDefault));
  EXPECT_FALSE(audienceMatches("http://h/client/hubs/cha", "/client/hubs/chat", kDefault));
  EXPECT_FALSE(audienceMatches("http://h/clients/mqtt/hubs/chat", "/client/hubs/chat", kDefault));
  EXPECT_FALSE(audienceMatches("http://h/api/hubs/chat", "/client/hubs/chat", kDefault));
  EXPECT_FALSE(audienceMatches("http://h/x/client/hubs/chat", "/client/hubs/chat", kDefault));
  EXPECT_FALSE(audienceMatches("http://h", "/client/hubs/chat", kDefault));
}

TEST(Audience, RejectsRelativeAndGarbage) {
  for (const char* aud :
       {"", "/client/hubs/chat", "client/hubs/chat", "//h/client/hubs/chat",
        "http:/client/hubs/chat", "http:client/hubs/chat", "http:///client/hubs/chat",
        "://h/client/hubs/chat", "http://h:abc/client/hubs/chat", "http://h:99999/client/hubs/chat",
        "http://h h/client/hubs/chat", "http://h/client/hubs/%ZZ", "http://[::1/client/hubs/chat",
        "\x01\xff", "http://", "1http://h/client/hubs/chat"}) {
    EXPECT_FALSE(audienceMatches(aud, "/client/hubs/chat", kDefault)) << aud;
  }
}

TEST(Audience, UserinfoAndIpv6Hosts) {
  EXPECT_TRUE(audienceMatches("http://u:p@h/client/hubs/chat", "/client/hubs/chat", kDefault));
  EXPECT_TRUE(audienceMatches("http://[::1]:8080/client/hubs/chat", "/client/hubs/chat", kDefault));
  EXPECT_TRUE(audienceMatches("http://h:/client/hubs/chat", "/client/hubs/chat", kDefault));
}

TEST(Audience, PercentDecodedOnce) {
  EXPECT_TRUE(audienceMatches("http://h/client/hubs/ch%61t", "/client/hubs/chat", kDefault));
  // "%2561" decodes to "%61", not to "a".
  EXPECT_FALSE(audienceMatches("http://h/client/hubs/ch%2561t", "/client/hubs/chat", kDefault));
  EXPECT_TRUE(audienceMatches("http://h/client/hubs/ch%2561t", "/client/hubs/ch%2561t", kDefault));
  // Both paths are decoded, once, by the same rule.
  EXPECT_TRUE(audienceMatches("http://h/client/hubs/ch%61t", "/client/hubs/cha%74", kDefault));
  EXPECT_FALSE(audienceMatches("http://h/client/hubs/chat", "/client/hubs/ch%ZZ", kDefault));
  // '+' in a path is a literal plus.
  EXPECT_TRUE(audienceMatches("http://h/api/hubs/a+b", "/api/hubs/a+b", kDefault));
  EXPECT_FALSE(audienceMatches("http://h/api/hubs/a+b", "/api/hubs/a b", kDefault));
}

TEST(Audience, RestFullUrlAudience) {
  const char* aud =
      "http://127.0.0.1:18080/api/hubs/myHub/groups/group%201%2F%C3%A4/:send"
      "?api-version=2024-12-01";
  EXPECT_TRUE(audienceMatches(aud, "/api/hubs/myHub/groups/group%201%2F%C3%A4/:send", kDefault));
  EXPECT_TRUE(audienceMatches(aud, "/api/hubs/myhub/groups/group%201%2f%c3%a4/:send", kDefault));
  // The same segments, spelled differently: the same route.
  EXPECT_TRUE(audienceMatches(aud, "/api/hubs/myHub/groups/group 1%2F\xC3\xA4/:send", kDefault));
  // "%2F" decoded into a separator would be another route (two segments): refused.
  EXPECT_FALSE(audienceMatches(aud, "/api/hubs/myHub/groups/group 1/\xC3\xA4/:send", kDefault));
  EXPECT_FALSE(audienceMatches(aud, "/api/hubs/myHub/groups/group%202%2F%C3%A4/:send", kDefault));
  EXPECT_FALSE(audienceMatches(aud, "/api/hubs/myHub/:send", kDefault));
  // The JS SDK's full URL with a long query.
  EXPECT_TRUE(audienceMatches(
      "http://localhost:8080/api/hubs/myHub/:send?api-version=2024-12-01&excluded=c1&filter="
      "userId%20eq%20%27u1%27",
      "/api/hubs/myHub/:send", kDefault));
}

TEST(Audience, EncodedSlashStaysInsideItsSegment) {
  // Both decode as a whole to /api/hubs/h/users/a/groups/b/groups/c, but they are two routes:
  // user "a/groups/b" into group "c", and user "a" into group "b/groups/c".
  const char* userX = "/api/hubs/h/users/a%2Fgroups%2Fb/groups/c";
  const char* userA = "/api/hubs/h/users/a/groups/b%2Fgroups%2Fc";
  EXPECT_TRUE(audienceMatches(std::string("http://h") + userX, userX, kDefault));
  EXPECT_FALSE(audienceMatches(std::string("http://h") + userX, userA, kDefault));
  EXPECT_FALSE(audienceMatches(std::string("http://h") + userA, userX, kDefault));
  EXPECT_FALSE(audienceMatches("http://h/api/hubs/h/users/a/groups/b/groups/c", userX, kDefault));
  // A trailing "%2F" is part of the last segment, not a trailing slash.
  EXPECT_FALSE(audienceMatches("http://h/client/hubs/chat%2F", "/client/hubs/chat", kDefault));
}

TEST(Audience, DecodePathSegmentsSplitsBeforeDecoding) {
  using V = std::vector<std::string>;
  EXPECT_EQ(decodePathSegments("/a%2Fb/c+d/%20"), (V{"a/b", "c+d", " "}));
  EXPECT_EQ(decodePathSegments("/a//b/"), (V{"a", "", "b", ""}));
  EXPECT_EQ(decodePathSegments(""), (V{""}));
  EXPECT_EQ(decodePathSegments("x"), (V{"x"}));
  EXPECT_FALSE(decodePathSegments("/a/%G0").has_value());
  EXPECT_FALSE(decodePathSegments("/a%2").has_value());
}

TEST(Audience, PathPrefix) {
  AudienceOptions o;
  o.pathPrefix = "/wps";
  EXPECT_TRUE(audienceMatches("https://proxy/wps/client/hubs/chat", "/client/hubs/chat", o));
  EXPECT_TRUE(audienceMatches("https://proxy/WPS/client/hubs/chat/", "/client/hubs/chat", o));
  // A token minted for the unprefixed endpoint is still accepted.
  EXPECT_TRUE(audienceMatches("https://proxy/client/hubs/chat", "/client/hubs/chat", o));
  // The prefix ends at a segment boundary.
  EXPECT_FALSE(audienceMatches("https://proxy/wpsx/client/hubs/chat", "/client/hubs/chat", o));
  EXPECT_FALSE(audienceMatches("https://proxy/other/client/hubs/chat", "/client/hubs/chat", o));
  // Without the option the prefix is part of the path.
  EXPECT_FALSE(
      audienceMatches("https://proxy/wps/client/hubs/chat", "/client/hubs/chat", kDefault));

  AudienceOptions slashy;
  slashy.pathPrefix = "a/b/";
  EXPECT_TRUE(audienceMatches("https://proxy/a/b/client/hubs/chat", "/client/hubs/chat", slashy));
}

TEST(Audience, StrictHostOffIgnoresHost) {
  EXPECT_TRUE(audienceMatches("http://container-name:1234/client/hubs/chat", "/client/hubs/chat",
                              kDefault));
}

TEST(Audience, StrictHostWithDefaultPorts) {
  AudienceOptions o;
  o.strictHost = true;
  o.allowedAuthorities = {"Example.COM", "localhost:8080", "api.example.com:443"};
  EXPECT_TRUE(audienceMatches("https://example.com/client/hubs/chat", "/client/hubs/chat", o));
  EXPECT_TRUE(audienceMatches("https://example.com:443/client/hubs/chat", "/client/hubs/chat", o));
  EXPECT_TRUE(audienceMatches("http://EXAMPLE.com:80/client/hubs/chat", "/client/hubs/chat", o));
  EXPECT_TRUE(audienceMatches("wss://example.com/client/hubs/chat", "/client/hubs/chat", o));
  EXPECT_FALSE(
      audienceMatches("https://example.com:8443/client/hubs/chat", "/client/hubs/chat", o));
  EXPECT_TRUE(audienceMatches("http://localhost:8080/client/hubs/chat", "/client/hubs/chat", o));
  EXPECT_FALSE(audienceMatches("http://localhost/client/hubs/chat", "/client/hubs/chat", o));
  EXPECT_FALSE(audienceMatches("http://127.0.0.1:8080/client/hubs/chat", "/client/hubs/chat", o));
  // "api.example.com:443" is the default port of https but not of http.
  EXPECT_TRUE(audienceMatches("https://api.example.com/client/hubs/chat", "/client/hubs/chat", o));
  EXPECT_FALSE(audienceMatches("http://api.example.com/client/hubs/chat", "/client/hubs/chat", o));
  // Userinfo does not count as the host.
  EXPECT_FALSE(
      audienceMatches("https://example.com@evil.com/client/hubs/chat", "/client/hubs/chat", o));
  // The path still has to match.
  EXPECT_FALSE(audienceMatches("https://example.com/client/hubs/other", "/client/hubs/chat", o));

  AudienceOptions urls;
  urls.strictHost = true;
  urls.allowedAuthorities = {"https://Public.example:443/wps"};
  EXPECT_TRUE(
      audienceMatches("https://public.example/client/hubs/chat", "/client/hubs/chat", urls));
  AudienceOptions none;
  none.strictHost = true;
  EXPECT_FALSE(
      audienceMatches("https://public.example/client/hubs/chat", "/client/hubs/chat", none));
}

TEST(Audience, AnyAudienceMatches) {
  std::vector<std::string> auds = {"garbage", "http://h/client/hubs/other",
                                   "http://h/client/hubs/chat"};
  EXPECT_TRUE(anyAudienceMatches(auds, "/client/hubs/chat", kDefault));
  auds.pop_back();
  EXPECT_FALSE(anyAudienceMatches(auds, "/client/hubs/chat", kDefault));
  EXPECT_FALSE(anyAudienceMatches({}, "/client/hubs/chat", kDefault));
}

}  // namespace
}  // namespace wps::auth
