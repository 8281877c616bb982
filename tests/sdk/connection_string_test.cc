// Unit tests of connection-string parsing and locally minted tokens (rest-api.md §1, §3.1, §8).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "common/base64.h"
#include "common/crypto.h"
#include "webpubsub/connection_string.h"

namespace webpubsub::service {
namespace {

namespace json = boost::json;
constexpr const char* kKey = "conformance-access-key-0123456789abcdefghij";

TEST(ConnectionString, CanonicalAndPortForms) {
  auto a = parseConnectionString(std::string("Endpoint=http://localhost:8080;AccessKey=") + kKey +
                                 ";Version=1.0;");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->endpoint, "http://localhost:8080");
  EXPECT_EQ(a->accessKey, kKey);
  EXPECT_EQ(a->version, "1.0");

  auto b = parseConnectionString("Endpoint=http://localhost;Port=8081;AccessKey=k");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->endpoint, "http://localhost:8081");
  auto c = parseConnectionString("Endpoint=https://h.example.com:443/;Port=9000;AccessKey=k");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->endpoint, "https://h.example.com:9000");
  auto v6 = parseConnectionString("Endpoint=http://[::1]:80;Port=81;AccessKey=k");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->endpoint, "http://[::1]:81");
}

TEST(ConnectionString, LenientSyntax) {
  // Case-insensitive keys, trimmed, '=' inside the key value, prefix path kept, trailing '/'
  // dropped, unknown keys and segments without '=' ignored, the last duplicate wins.
  auto r = parseConnectionString(
      " endpoint = HTTP://Host:1/prefix/ ; ACCESSKEY=abc==;junk;ClientEndpoint=x;AccessKey=def==");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->endpoint, "http://Host:1/prefix");
  EXPECT_EQ(r->accessKey, "def==");
}

TEST(ConnectionString, Errors) {
  struct Case {
    const char* text;
    const char* part;
  };
  for (const Case& c :
       {Case{"AccessKey=secret-key", "no Endpoint"}, Case{"Endpoint=http://h", "no AccessKey"},
        Case{"Endpoint=ftp://h;AccessKey=secret-key", "not an absolute http"},
        Case{"Endpoint=h:80;AccessKey=secret-key", "not an absolute http"},
        Case{"Endpoint=http://;AccessKey=secret-key", "no valid host"},
        Case{"Endpoint=http://h;Port=0;AccessKey=secret-key", "1..65535"},
        Case{"Endpoint=http://h;Port=x;AccessKey=secret-key", "1..65535"}}) {
    auto r = parseConnectionString(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, "InvalidArgument");
    EXPECT_NE(r.error().message.find(c.part), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("secret-key"), std::string::npos) << "leaks the key";
  }
}

json::object payloadOf(const std::string& token, const std::string& key) {
  auto dot1 = token.find('.');
  auto dot2 = token.rfind('.');
  EXPECT_NE(dot1, dot2);
  auto sig = wps::base64UrlDecode(token.substr(dot2 + 1));
  EXPECT_TRUE(sig);
  EXPECT_EQ(*sig, wps::hmacSha256(key, token.substr(0, dot2))) << "HS256 with the key's bytes";
  auto header = wps::base64UrlDecode(token.substr(0, dot1));
  EXPECT_EQ(json::parse(*header).at("alg"), "HS256");
  return json::parse(*wps::base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1))).as_object();
}

TEST(ClientAccess, TokenAndUrlLikeTheSdks) {
  auto cs = parseConnectionString(std::string("Endpoint=http://127.0.0.1:18080;AccessKey=") + kKey);
  ASSERT_TRUE(cs.ok());
  ClientAccessOptions o;
  o.userId = "u1";
  o.roles = {"webpubsub.sendToGroup.g1"};
  o.groups = {"g1", "g2"};
  o.expiresAfter = std::chrono::minutes(5);
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1714557600));
  auto access = generateClientAccess(*cs, "myHub", o, now);
  EXPECT_EQ(access.baseUrl, "ws://127.0.0.1:18080/client/hubs/myHub");
  EXPECT_EQ(access.url, access.baseUrl + "?access_token=" + access.token);
  auto p = payloadOf(access.token, kKey);
  EXPECT_EQ(p.at("aud"), "http://127.0.0.1:18080/client/hubs/myHub");
  EXPECT_EQ(p.at("sub"), "u1");
  EXPECT_EQ(p.at("iat").to_number<int64_t>(), 1714557600);
  EXPECT_EQ(p.at("exp").to_number<int64_t>(), 1714557600 + 300);
  EXPECT_EQ(p.at("role"), json::parse(R"(["webpubsub.sendToGroup.g1"])"));
  EXPECT_EQ(p.at("webpubsub.group"), json::parse(R"(["g1","g2"])"));
}

TEST(ClientAccess, AnonymousHttpsAndOtherProtocols) {
  auto cs = parseConnectionString("Endpoint=https://x.example.com/pre;AccessKey=k2k2k2");
  ASSERT_TRUE(cs.ok());
  auto anon = generateClientAccess(*cs, "h");
  EXPECT_EQ(anon.baseUrl, "wss://x.example.com/pre/client/hubs/h");
  auto p = payloadOf(anon.token, "k2k2k2");
  EXPECT_FALSE(p.contains("sub"));
  EXPECT_FALSE(p.contains("role"));
  EXPECT_FALSE(p.contains("webpubsub.group"));
  EXPECT_EQ(p.at("aud"), "https://x.example.com/pre/client/hubs/h");
  ClientAccessOptions mqtt;
  mqtt.protocol = ClientProtocol::kMqtt;
  EXPECT_EQ(generateClientAccess(*cs, "h", mqtt).baseUrl,
            "wss://x.example.com/pre/clients/mqtt/hubs/h");
  mqtt.protocol = ClientProtocol::kSocketIo;
  EXPECT_EQ(payloadOf(generateClientAccess(*cs, "h", mqtt).token, "k2k2k2").at("aud"),
            "https://x.example.com/pre/clients/socketio/hubs/h");
}

TEST(ClientAccess, RestTokenAudienceIsTheFullUrl) {
  auto cs = parseConnectionString(std::string("Endpoint=http://h:1;AccessKey=") + kKey);
  ASSERT_TRUE(cs.ok());
  std::string url = "http://h:1/api/hubs/chat/:send?api-version=2024-12-01&excluded=a";
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1000));
  auto p = payloadOf(generateRestToken(*cs, url, now), kKey);
  EXPECT_EQ(std::string(p.at("aud").as_string()), url);
  EXPECT_EQ(p.at("exp").to_number<int64_t>(), 1000 + 3600);
}

}  // namespace
}  // namespace webpubsub::service
