// The one check of request tokens (core/request_token.h): signature, lifetime and audience,
// with strict_audience_host comparing the audience's authority.
#include "core/request_token.h"

#include <gtest/gtest.h>

#include <chrono>

namespace wps::core {
namespace {

constexpr const char* kKey = "request-token-test-key-0123456789abcdefgh";

class RequestTokenTest : public ::testing::Test {
 protected:
  RequestTokenTest() { settings.accessKeys = {kKey}; }

  std::string token(const std::string& aud) const {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(now_.time_since_epoch()).count();
    return auth::signJwt("{\"aud\":\"" + aud + "\",\"iat\":" + std::to_string(now) +
                             ",\"exp\":" + std::to_string(now + 3600) + "}",
                         kKey);
  }

  bool accepted(const std::string& aud, std::string_view host) const {
    return verifyRequestToken(settings, token(aud), now_, "/client/hubs/chat", host).isOk();
  }

  config::ServerSettings settings;
  WallTime now_ = WallTime(std::chrono::seconds(1'700'000'000));
};

TEST_F(RequestTokenTest, WithoutStrictHostOnlyThePathCounts) {
  EXPECT_TRUE(accepted("http://a.example.com/client/hubs/chat", "b.example.com"));
  EXPECT_FALSE(accepted("http://a.example.com/client/hubs/other", "a.example.com"));
}

TEST_F(RequestTokenTest, StrictHostWithoutPublicEndpointComparesTheHostHeader) {
  settings.strictAudienceHost = true;
  EXPECT_TRUE(accepted("http://a.example.com/client/hubs/chat", "a.example.com"));
  EXPECT_TRUE(accepted("http://a.example.com:80/client/hubs/chat", "A.example.com"));
  EXPECT_FALSE(accepted("http://a.example.com/client/hubs/chat", "b.example.com"));
  EXPECT_FALSE(accepted("http://a.example.com:8080/client/hubs/chat", "a.example.com"));
}

TEST_F(RequestTokenTest, StrictHostWithPublicEndpointIgnoresTheHostHeader) {
  settings.strictAudienceHost = true;
  settings.publicEndpoint = "https://b.example.com/";
  // The Host header names A, but the server's public identity is B: a token for A is refused.
  auto refused = verifyRequestToken(settings, token("http://a.example.com/client/hubs/chat"), now_,
                                    "/client/hubs/chat", "a.example.com");
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(accepted("https://b.example.com/client/hubs/chat", "a.example.com"));
  EXPECT_TRUE(accepted("wss://b.example.com:443/client/hubs/chat", "anything"));
  EXPECT_FALSE(accepted("https://b.example.com:8443/client/hubs/chat", "b.example.com:8443"));
}

TEST_F(RequestTokenTest, StrictHostWithPublicEndpointPathPrefix) {
  settings.strictAudienceHost = true;
  settings.publicEndpoint = "https://b.example.com/wps";
  EXPECT_TRUE(accepted("https://b.example.com/wps/client/hubs/chat", "internal:8080"));
  EXPECT_FALSE(accepted("http://internal:8080/client/hubs/chat", "internal:8080"));
}

}  // namespace
}  // namespace wps::core
