// The public base URL and client tokens (core/tokens.h), and the engine's key precondition.
#include "core/tokens.h"

#include <gtest/gtest.h>

#include "auth/jwt.h"
#include "core/engine.h"

namespace wps::core {
namespace {

constexpr const char* kKey = "tokens-test-access-key-0123456789abcdefg";

TEST(Tokens, PublicBaseUrlPrefersThePublicEndpoint) {
  config::ServerSettings s;
  EXPECT_EQ(publicBaseUrl(s, requestOrigin(false, "h:8080")), "http://h:8080");
  EXPECT_EQ(publicBaseUrl(s, requestOrigin(true, "h")), "https://h");
  EXPECT_EQ(publicBaseUrl(s, listenOrigin("0.0.0.0", 81)), "http://127.0.0.1:81");
  EXPECT_EQ(publicBaseUrl(s, listenOrigin("::", 81)), "http://127.0.0.1:81");
  EXPECT_EQ(publicBaseUrl(s, listenOrigin("::1", 81)), "http://[::1]:81");
  EXPECT_EQ(publicBaseUrl(s, listenOrigin("10.0.0.1", 0)), "http://10.0.0.1:0");
  s.publicEndpoint = "https://pubsub.example.com//";
  EXPECT_EQ(publicBaseUrl(s, requestOrigin(false, "h")), "https://pubsub.example.com");
}

TEST(Tokens, WebhookRequestOriginIgnoresTheHostHeaderWhenAnOriginIsConfigured) {
  config::ServerSettings s;
  // Nothing configured: the Host header (without its port) is all there is.
  EXPECT_EQ(webhookRequestOrigin(s, "pubsub.example.com:8080"), "pubsub.example.com");
  EXPECT_EQ(webhookRequestOrigin(s, "[::1]:8080"), "[::1]");
  s.publicEndpoint = "https://public.example.com:8443/wps";
  EXPECT_EQ(webhookRequestOrigin(s, "bogus"), "public.example.com");
  s.upstream.requestOrigin = "configured.example.com";
  EXPECT_EQ(webhookRequestOrigin(s, "bogus"), "configured.example.com");
  s.publicEndpoint.clear();
  EXPECT_EQ(webhookRequestOrigin(s, "bogus:1"), "configured.example.com");
}

TEST(Tokens, MintClientTokenSignsWithThePrimaryKey) {
  config::ServerSettings s;
  s.accessKeys = {kKey, "a-second-key-that-does-not-sign-0123456789"};
  ClientTokenSpec spec;
  spec.hub = "Chat";
  spec.userId = "u1";
  spec.roles = {"webpubsub.joinLeaveGroup"};
  spec.groups = {"g"};
  spec.lifetime = std::chrono::minutes(5);
  WallTime now = WallClock::now();
  std::string token = mintClientToken(s, "https://x.example", spec, now);
  auth::JwtVerifyOptions o;
  o.keys = {kKey};
  o.now = now;
  auto claims = auth::verifyJwt(token, o);
  ASSERT_TRUE(claims) << claims.status().toString();
  EXPECT_EQ(claims->audiences, std::vector<std::string>{"https://x.example/client/hubs/Chat"});
  EXPECT_EQ(*claims->sub, "u1");
  EXPECT_EQ(claims->roles, spec.roles);
  EXPECT_EQ(claims->groups, spec.groups);
  EXPECT_EQ(*claims->exp - *claims->iat, 300);
}

TEST(Tokens, TheEngineRequiresAnAccessKey) {
  config::ServerSettings s;
  EXPECT_EQ(Engine::checkSettings(s).code(), StatusCode::kFailedPrecondition);
  EXPECT_DEATH(Engine(s, {}), "at least one access key");
  s.accessKeys = {kKey};
  EXPECT_TRUE(Engine::checkSettings(s).isOk());
}

}  // namespace
}  // namespace wps::core
