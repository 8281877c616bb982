#include "auth/jwt.h"

#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/crypto.h"

namespace wps::auth {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kPrimary = "primary-access-key-0123456789abcdefghijklmnop";
constexpr std::string_view kSecondary = "secondary-access-key-0123456789abcdefghijklmno";
constexpr int64_t kNow = 1795834600;  // between the spec example's iat and exp

WallTime at(int64_t unixSeconds) {
  return WallTime(std::chrono::seconds(unixSeconds));
}

JwtVerifyOptions options(int64_t now = kNow) {
  JwtVerifyOptions o;
  o.keys = {std::string(kPrimary), std::string(kSecondary)};
  o.now = at(now);
  return o;
}

std::string payloadWithExp(int64_t exp) {
  return R"({"aud":"http://localhost:8080/client/hubs/chat","exp":)" + std::to_string(exp) + "}";
}

// A token with an arbitrary header, signed correctly with `key` (HS256).
std::string tokenWithHeader(std::string_view header, std::string_view payload,
                            std::string_view key = kPrimary, HmacAlg alg = HmacAlg::kSha256) {
  std::string input = base64UrlEncode(header) + "." + base64UrlEncode(payload);
  return input + "." + base64UrlEncode(hmac(alg, key, input));
}

const std::vector<std::string>* claimValues(const JwtClaims& claims, std::string_view name) {
  for (const auto& [n, values] : claims.all) {
    if (n == name) return &values;
  }
  return nullptr;
}

TEST(Jwt, AcceptsTokenSignedWithPrimaryKey) {
  auto claims = verifyJwt(signJwt(payloadWithExp(kNow + 3600), kPrimary), options());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(claims->exp, kNow + 3600);
  ASSERT_EQ(claims->audiences.size(), 1u);
  EXPECT_EQ(claims->audiences[0], "http://localhost:8080/client/hubs/chat");
}

TEST(Jwt, AcceptsTokenSignedWithSecondaryKey) {
  auto claims = verifyJwt(signJwt(payloadWithExp(kNow + 3600), kSecondary), options());
  EXPECT_TRUE(claims.isOk()) << claims.status().toString();
}

TEST(Jwt, RejectsWrongKey) {
  auto claims = verifyJwt(signJwt(payloadWithExp(kNow + 3600), "another-key-that-is-long-enough-"),
                          options());
  ASSERT_FALSE(claims.isOk());
  EXPECT_EQ(claims.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(claims.status().message(), "invalid signature");
}

TEST(Jwt, KeysAreUsedAsUtf8BytesNotBase64Decoded) {
  // A key that is valid base64; a signer that decoded it would produce another MAC.
  const std::string key = "c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY3ODkwYWJjZGVm";
  JwtVerifyOptions o = options();
  o.keys = {key};
  std::string payload = payloadWithExp(kNow + 60);
  EXPECT_TRUE(verifyJwt(signJwt(payload, key), o).isOk());
  EXPECT_FALSE(verifyJwt(signJwt(payload, *base64Decode(key)), o).isOk());
}

TEST(Jwt, EmptyKeyNeverVerifies) {
  JwtVerifyOptions o = options();
  o.keys = {""};
  auto claims = verifyJwt(signJwt(payloadWithExp(kNow + 60), ""), o);
  ASSERT_FALSE(claims.isOk());
  EXPECT_EQ(claims.status().message(), "invalid signature");
}

TEST(Jwt, RejectsTokenExpiredBeyondSkew) {
  auto claims = verifyJwt(signJwt(payloadWithExp(kNow - 301), kPrimary), options());
  ASSERT_FALSE(claims.isOk());
  EXPECT_EQ(claims.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(claims.status().message(), "token expired");
}

TEST(Jwt, AcceptsTokenExpiredWithinSkew) {
  EXPECT_TRUE(verifyJwt(signJwt(payloadWithExp(kNow - 300), kPrimary), options()).isOk());
  EXPECT_TRUE(verifyJwt(signJwt(payloadWithExp(kNow - 1), kPrimary), options()).isOk());
}

TEST(Jwt, ZeroSkewIsExact) {
  JwtVerifyOptions o = options();
  o.clockSkew = 0s;
  EXPECT_TRUE(verifyJwt(signJwt(payloadWithExp(kNow), kPrimary), o).isOk());
  EXPECT_FALSE(verifyJwt(signJwt(payloadWithExp(kNow - 1), kPrimary), o).isOk());
}

TEST(Jwt, RejectsNotBeforeInTheFuture) {
  std::string far =
      R"({"exp":)" + std::to_string(kNow + 3600) + R"(,"nbf":)" + std::to_string(kNow + 301) + "}";
  auto claims = verifyJwt(signJwt(far, kPrimary), options());
  ASSERT_FALSE(claims.isOk());
  EXPECT_EQ(claims.status().message(), "token not yet valid");

  std::string near =
      R"({"exp":)" + std::to_string(kNow + 3600) + R"(,"nbf":)" + std::to_string(kNow + 300) + "}";
  auto ok = verifyJwt(signJwt(near, kPrimary), options());
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(ok->nbf, kNow + 300);
}

TEST(Jwt, MissingExp) {
  std::string payload = R"({"aud":"x","iat":1795834522})";
  auto claims = verifyJwt(signJwt(payload, kPrimary), options());
  ASSERT_FALSE(claims.isOk());
  EXPECT_EQ(claims.status().message(), "missing exp");

  JwtVerifyOptions o = options();
  o.requireExp = false;
  auto lenient = verifyJwt(signJwt(payload, kPrimary), o);
  ASSERT_TRUE(lenient.isOk()) << lenient.status().toString();
  EXPECT_FALSE(lenient->exp.has_value());
  EXPECT_EQ(lenient->iat, 1795834522);
}

TEST(Jwt, FloatTimesAreFloored) {
  std::string payload = R"({"exp":)" + std::to_string(kNow) + R"(.9,"iat":1.5e9,"nbf":)" +
                        std::to_string(kNow) + ".7}";
  auto claims = verifyJwt(signJwt(payload, kPrimary), options());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(claims->exp, kNow);
  EXPECT_EQ(claims->nbf, kNow);
  EXPECT_EQ(claims->iat, 1500000000);
}

TEST(Jwt, NonNumericExpIsMalformed) {
  auto claims = verifyJwt(signJwt(R"({"exp":"1795834822"})", kPrimary), options());
  ASSERT_FALSE(claims.isOk());
  EXPECT_EQ(claims.status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(claims.status().message().starts_with("malformed token"))
      << claims.status().message();
}

TEST(Jwt, HugeExpDoesNotOverflow) {
  auto claims = verifyJwt(signJwt(R"({"exp":1e400})", kPrimary), options());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  auto negative = verifyJwt(signJwt(R"({"exp":-1e400})", kPrimary), options());
  ASSERT_FALSE(negative.isOk());
  EXPECT_EQ(negative.status().message(), "token expired");
  auto big = verifyJwt(signJwt(R"({"exp":18446744073709551615})", kPrimary), options());
  EXPECT_TRUE(big.isOk());
}

TEST(Jwt, RejectsAlgNone) {
  std::string input = base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                      base64UrlEncode(payloadWithExp(kNow + 60));
  for (const std::string& token : {input + ".", input + "." + base64UrlEncode("sig")}) {
    auto claims = verifyJwt(token, options());
    ASSERT_FALSE(claims.isOk());
    EXPECT_EQ(claims.status().message(), "unsupported algorithm");
  }
}

TEST(Jwt, RejectsOtherAlgorithms) {
  for (std::string_view header :
       {R"({"alg":"RS256","typ":"JWT"})", R"({"alg":"ES256"})", R"({"alg":"PS512"})",
        R"({"alg":"hs256"})", R"({"typ":"JWT"})", R"({"alg":256})", R"({"alg":null})"}) {
    // Even an HMAC made with the right key over these headers must not be accepted.
    auto claims = verifyJwt(tokenWithHeader(header, payloadWithExp(kNow + 60)), options());
    ASSERT_FALSE(claims.isOk()) << header;
    EXPECT_EQ(claims.status().message(), "unsupported algorithm") << header;
  }
}

TEST(Jwt, IgnoresTypAndKid) {
  auto claims = verifyJwt(
      tokenWithHeader(R"({"alg":"HS256","kid":"s-123","typ":"at+jwt"})", payloadWithExp(kNow + 60)),
      options());
  EXPECT_TRUE(claims.isOk()) << claims.status().toString();
}

TEST(Jwt, HeaderMustBeAnObject) {
  auto claims = verifyJwt(tokenWithHeader(R"(["HS256"])", payloadWithExp(kNow + 60)), options());
  ASSERT_FALSE(claims.isOk());
  EXPECT_TRUE(claims.status().message().starts_with("malformed token"));
}

TEST(Jwt, RejectsTamperedPayload) {
  std::string token = signJwt(payloadWithExp(kNow + 60), kPrimary);
  size_t dot1 = token.find('.');
  size_t dot2 = token.find('.', dot1 + 1);
  std::string forged =
      token.substr(0, dot1 + 1) +
      base64UrlEncode(R"({"aud":"x","exp":9999999999,"role":["webpubsub.sendToGroup"]})") +
      token.substr(dot2);
  auto claims = verifyJwt(forged, options());
  ASSERT_FALSE(claims.isOk());
  EXPECT_EQ(claims.status().message(), "invalid signature");

  // Flipping one signature character fails as well.
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verifyJwt(flipped, options()).isOk());
  // So does dropping the signature.
  EXPECT_FALSE(verifyJwt(token.substr(0, dot2 + 1), options()).isOk());
}

TEST(Jwt, RejectsGarbage) {
  std::string good = signJwt(payloadWithExp(kNow + 60), kPrimary);
  for (std::string_view token :
       {std::string_view(""), std::string_view("."), std::string_view("abc"),
        std::string_view("a.b"), std::string_view("a.b.c.d"), std::string_view("!!!.???.***"),
        std::string_view("eyJhbGciOiJIUzI1NiJ9..."), std::string_view("..")}) {
    auto claims = verifyJwt(token, options());
    ASSERT_FALSE(claims.isOk()) << token;
    EXPECT_EQ(claims.status().code(), StatusCode::kUnauthenticated);
    EXPECT_TRUE(claims.status().message().starts_with("malformed token")) << token;
  }
  // Four parts made of a valid token plus a suffix.
  EXPECT_FALSE(verifyJwt(good + ".x", options()).isOk());
}

TEST(Jwt, RejectsNonObjectPayload) {
  for (std::string_view payload : {R"([1,2,3])", R"("text")", "42", "{not json", ""}) {
    auto claims = verifyJwt(signJwt(payload, kPrimary), options());
    ASSERT_FALSE(claims.isOk()) << payload;
    EXPECT_EQ(claims.status().message(), "malformed token: the payload is not a JSON object");
  }
}

TEST(Jwt, RejectsOversizedToken) {
  std::string payload = R"({"exp":)" + std::to_string(kNow + 60) + R"(,"pad":")" +
                        std::string(kMaxJwtSize, 'x') + "\"}";
  auto claims = verifyJwt(signJwt(payload, kPrimary), options());
  ASSERT_FALSE(claims.isOk());
  EXPECT_EQ(claims.status().message(), "malformed token: the token is too large");
}

TEST(Jwt, SpecExampleClaims) {
  const std::string payload =
      R"({"role":["webpubsub.sendToGroup.g1"],"webpubsub.group":["g1","g2"],"iat":1795834522,)"
      R"("exp":1795834822,"aud":"http://localhost:8080/client/hubs/Chat","sub":"user1"})";
  auto claims = verifyJwt(signJwt(payload, kPrimary), options());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(claims->sub, "user1");
  EXPECT_EQ(claims->roles, std::vector<std::string>{"webpubsub.sendToGroup.g1"});
  EXPECT_EQ(claims->groups, (std::vector<std::string>{"g1", "g2"}));
  EXPECT_EQ(claims->audiences, std::vector<std::string>{"http://localhost:8080/client/hubs/Chat"});
  EXPECT_EQ(claims->iat, 1795834522);
  EXPECT_EQ(claims->exp, 1795834822);
  EXPECT_FALSE(claims->nbf.has_value());

  using Claim = std::pair<std::string, std::vector<std::string>>;
  std::vector<Claim> expected = {
      {"role", {"webpubsub.sendToGroup.g1"}},
      {"webpubsub.group", {"g1", "g2"}},
      {"iat", {"1795834522"}},
      {"exp", {"1795834822"}},
      {"aud", {"http://localhost:8080/client/hubs/Chat"}},
      {"sub", {"user1"}},
  };
  EXPECT_EQ(claims->all, expected);
}

TEST(Jwt, VerifiesExternallySignedToken) {
  // The spec example signed with kPrimary by an independent HMAC/base64url implementation
  // (Python's hmac + base64), as jsonwebtoken.sign would produce it.
  const std::string token =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJyb2xlIjpbIndlYnB1YnN1Yi5zZW5kVG9Hcm91cC5nMSJdLCJ3ZWJwdWJzdWIuZ3JvdXAiOlsiZzEiLCJnMiJdLCJp"
      "YXQiOjE3OTU4MzQ1MjIsImV4cCI6MTc5NTgzNDgyMiwiYXVkIjoiaHR0cDovL2xvY2FsaG9zdDo4MDgwL2NsaWVudC9o"
      "dWJzL0NoYXQiLCJzdWIiOiJ1c2VyMSJ9._SRqR7n2EhC3tItdHwUTIjrT98phRnkzlU3MKbAo5FQ";
  auto claims = verifyJwt(token, options());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(claims->sub, "user1");
  // After the expiry plus five minutes it is rejected.
  EXPECT_EQ(verifyJwt(token, options(1795834822 + 301)).status().message(), "token expired");
}

TEST(Jwt, RoleAndGroupAsSingleStrings) {
  const std::string payload = R"({"exp":)" + std::to_string(kNow + 60) +
                              R"(,"role":"webpubsub.joinLeaveGroup","webpubsub.group":"lobby"})";
  auto claims = verifyJwt(signJwt(payload, kPrimary), options());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(claims->roles, std::vector<std::string>{"webpubsub.joinLeaveGroup"});
  EXPECT_EQ(claims->groups, std::vector<std::string>{"lobby"});
  EXPECT_EQ(*claimValues(*claims, "role"), std::vector<std::string>{"webpubsub.joinLeaveGroup"});
}

TEST(Jwt, RoleFilteringAndGroupsKeptAsGiven) {
  const std::string payload = R"({"exp":)" + std::to_string(kNow + 60) +
                              R"(,"role":["",1,"webpubsub.sendToGroup",null],)"
                              R"("webpubsub.group":["", "  ", "a"],"sub":""})";
  auto claims = verifyJwt(signJwt(payload, kPrimary), options());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(claims->roles, std::vector<std::string>{"webpubsub.sendToGroup"});
  EXPECT_EQ(claims->groups, (std::vector<std::string>{"", "  ", "a"}));
  EXPECT_FALSE(claims->sub.has_value());
}

TEST(Jwt, ClaimRendering) {
  const std::string payload =
      R"({"exp":)" + std::to_string(kNow + 60) +
      R"(,"s":"text","i":-12,"u":18446744073709551615,"f":1.5,"f2":0.1,"big":1e21,)"
      R"("t":true,"n":false,"z":null,"arr":["a",2,2.5,true,null,[1,"x"],{"k":"v"}],)"
      R"("obj":{"a":[1,2],"b":{"c":"d\"e"}},"aud":["x","y"]})";
  auto claims = verifyJwt(signJwt(payload, kPrimary), options());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  using V = std::vector<std::string>;
  EXPECT_EQ(*claimValues(*claims, "s"), V{"text"});
  EXPECT_EQ(*claimValues(*claims, "i"), V{"-12"});
  EXPECT_EQ(*claimValues(*claims, "u"), V{"18446744073709551615"});
  EXPECT_EQ(*claimValues(*claims, "f"), V{"1.5"});
  EXPECT_EQ(*claimValues(*claims, "f2"), V{"0.1"});
  EXPECT_EQ(*claimValues(*claims, "big"), V{"1e+21"});
  EXPECT_EQ(*claimValues(*claims, "t"), V{"true"});
  EXPECT_EQ(*claimValues(*claims, "n"), V{"false"});
  EXPECT_EQ(*claimValues(*claims, "z"), V{});
  EXPECT_EQ(*claimValues(*claims, "arr"),
            (V{"a", "2", "2.5", "true", "", R"([1,"x"])", R"({"k":"v"})"}));
  EXPECT_EQ(*claimValues(*claims, "obj"), V{R"({"a":[1,2],"b":{"c":"d\"e"}})"});
  EXPECT_EQ(claims->audiences, (V{"x", "y"}));
  // Token order.
  ASSERT_EQ(claims->all.size(), 13u);
  EXPECT_EQ(claims->all.front().first, "exp");
  EXPECT_EQ(claims->all.back().first, "aud");
}

TEST(Jwt, SignVerifyRoundTripAllAlgorithms) {
  const std::string payload = payloadWithExp(kNow + 60);
  struct Case {
    HmacAlg alg;
    const char* name;
    size_t macBytes;
  };
  for (Case c : {Case{HmacAlg::kSha256, "HS256", 32}, Case{HmacAlg::kSha384, "HS384", 48},
                 Case{HmacAlg::kSha512, "HS512", 64}}) {
    std::string token = signJwt(payload, kSecondary, c.alg);
    size_t dot1 = token.find('.');
    size_t dot2 = token.find('.', dot1 + 1);
    EXPECT_EQ(*base64UrlDecode(token.substr(0, dot1)),
              std::string(R"({"alg":")") + c.name + R"(","typ":"JWT"})");
    EXPECT_EQ(*base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1)), payload);
    EXPECT_EQ(base64UrlDecode(token.substr(dot2 + 1))->size(), c.macBytes);
    EXPECT_EQ(token.find('='), std::string::npos);
    auto claims = verifyJwt(token, options());
    EXPECT_TRUE(claims.isOk()) << c.name << ": " << claims.status().toString();
    // A header claiming another HMAC size must not verify the same MAC.
    std::string relabeled =
        tokenWithHeader(c.alg == HmacAlg::kSha256 ? R"({"alg":"HS512"})" : R"({"alg":"HS256"})",
                        payload, kSecondary, c.alg);
    EXPECT_FALSE(verifyJwt(relabeled, options()).isOk()) << c.name;
  }
}

TEST(Jwt, BuildClientTokenPayload) {
  std::string full =
      buildClientTokenPayload("http://localhost:8080/client/hubs/Chat", at(1795834522), 300s,
                              std::string("user\"1"), {"webpubsub.sendToGroup.g1"}, {"g1", "g2"});
  EXPECT_EQ(
      full,
      R"({"aud":"http://localhost:8080/client/hubs/Chat","iat":1795834522,"exp":1795834822,)"
      R"("sub":"user\"1","role":["webpubsub.sendToGroup.g1"],"webpubsub.group":["g1","g2"]})");

  std::string minimal =
      buildClientTokenPayload("http://h/client/hubs/x", at(100), 3600s, std::string(""), {}, {});
  EXPECT_EQ(minimal, R"({"aud":"http://h/client/hubs/x","iat":100,"exp":3700})");
  EXPECT_EQ(buildClientTokenPayload("a", at(1), 1s, std::nullopt, {}, {}),
            R"({"aud":"a","iat":1,"exp":2})");

  // The result round-trips through sign and verify.
  auto claims = verifyJwt(signJwt(full, kPrimary), options());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(claims->sub, "user\"1");
  EXPECT_EQ(claims->groups, (std::vector<std::string>{"g1", "g2"}));
}

}  // namespace
}  // namespace wps::auth
