// The live trace's access check (core/trace_token.h): only a token signed with a configured key
// whose audience is the trace endpoint opens the trace.
#include "core/trace_token.h"

#include <gtest/gtest.h>

#include <chrono>

#include "auth/jwt.h"
#include "core/tokens.h"

namespace wps::core {
namespace {

constexpr const char* kKey = "trace-token-test-key-0123456789abcdefghij";

class TraceTokenTest : public ::testing::Test {
 protected:
  TraceTokenTest() { settings.accessKeys = {kKey}; }

  bool accepted(const std::string& token) const {
    return verifyTraceToken(settings, token, now, "localhost:8080").isOk();
  }

  config::ServerSettings settings;
  WallTime now = WallTime(std::chrono::seconds(1'700'000'000));
};

TEST_F(TraceTokenTest, MintedTokenIsAccepted) {
  std::string token =
      mintTraceToken(settings, "http://localhost:8080", std::chrono::minutes(60), now);
  EXPECT_TRUE(accepted(token));
  // Also behind a public endpoint with a path prefix the audience keeps the /trace path.
  settings.publicEndpoint = "https://pubsub.example.com/wps";
  EXPECT_TRUE(accepted(
      mintTraceToken(settings, "https://pubsub.example.com/wps", std::chrono::minutes(5), now)));
}

TEST_F(TraceTokenTest, ClientTokenOfAnotherAudienceIsRefused) {
  ClientTokenSpec spec;
  spec.hub = "trace";  // "/client/hubs/trace" is not "/trace"
  std::string token = mintClientToken(settings, "http://localhost:8080", spec, now);
  Status st = verifyTraceToken(settings, token, now, "localhost:8080");
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message().find(token), std::string::npos);
}

TEST_F(TraceTokenTest, WrongKeyExpiredAndGarbageAreRefused) {
  config::ServerSettings other;
  other.accessKeys = {"another-key-that-the-server-does-not-know-1234"};
  EXPECT_FALSE(
      accepted(mintTraceToken(other, "http://localhost:8080", std::chrono::minutes(60), now)));
  std::string old = mintTraceToken(settings, "http://localhost:8080", std::chrono::minutes(1),
                                   now - std::chrono::hours(2));
  EXPECT_FALSE(accepted(old));
  EXPECT_FALSE(accepted(""));
  EXPECT_FALSE(accepted("not-a-jwt"));
}

TEST_F(TraceTokenTest, SecondaryKeyIsAccepted) {
  config::ServerSettings rotated;
  rotated.accessKeys = {"new-primary-key-0123456789abcdefghijklmn", kKey};
  std::string token =
      mintTraceToken(settings, "http://localhost:8080", std::chrono::minutes(60), now);
  EXPECT_TRUE(verifyTraceToken(rotated, token, now, "localhost:8080").isOk());
}

}  // namespace
}  // namespace wps::core
