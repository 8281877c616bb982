#include "protocol/websocket/handshake.h"

#include <gtest/gtest.h>

#include "common/base64.h"

namespace wps::ws {
namespace {

TEST(Handshake, AcceptKeyFromRfcSection1_3) {
  EXPECT_EQ(computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, AcceptKeyDependsOnKey) {
  // A second pair, computed independently (Python hashlib + base64).
  EXPECT_EQ(computeAcceptKey("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  EXPECT_NE(computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
            computeAcceptKey("dGhlIHNhbXBsZSBub25jZA=="));
}

TEST(Handshake, ValidClientKeys) {
  EXPECT_TRUE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_TRUE(isValidClientKey("x3JJHMbDL1EzLkh9GBhXDw=="));
  EXPECT_TRUE(isValidClientKey(base64Encode(std::string(16, '\0'))));
}

TEST(Handshake, InvalidClientKeys) {
  EXPECT_FALSE(isValidClientKey(""));
  EXPECT_FALSE(isValidClientKey(base64Encode(std::string(15, 'a'))));  // 20 chars
  EXPECT_FALSE(isValidClientKey(base64Encode(std::string(17, 'a'))));  // 24 chars, 17 bytes
  EXPECT_FALSE(isValidClientKey(base64Encode(std::string(18, 'a'))));  // 24 chars, 18 bytes
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ"));            // no padding
  EXPECT_FALSE(isValidClientKey(" dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ== "));
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25j*Q=="));  // bad character
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZR=="));  // trailing bits set
}

TEST(Handshake, MakeClientKeyIsValidAndRandom) {
  const std::string a = makeClientKey();
  const std::string b = makeClientKey();
  EXPECT_TRUE(isValidClientKey(a)) << a;
  EXPECT_TRUE(isValidClientKey(b)) << b;
  EXPECT_NE(a, b);
}

TEST(Handshake, ParseSubprotocolsAcrossHeaderLines) {
  const std::vector<std::string_view> values = {
      "json.webpubsub.azure.v1, protobuf.webpubsub.azure.v1", "", " , mqtt ,,\tchat\t", "x"};
  EXPECT_EQ(parseSubprotocols(values),
            (std::vector<std::string>{"json.webpubsub.azure.v1", "protobuf.webpubsub.azure.v1",
                                      "mqtt", "chat", "x"}));
  EXPECT_TRUE(parseSubprotocols({}).empty());
  EXPECT_TRUE(parseSubprotocols({" , ,"}).empty());
  EXPECT_EQ(parseSubprotocols({"b,a,b"}), (std::vector<std::string>{"b", "a", "b"}));
}

TEST(Handshake, HeaderHasToken) {
  EXPECT_TRUE(headerHasToken("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(headerHasToken("Upgrade", "Upgrade"));
  EXPECT_TRUE(headerHasToken("  websocket  ", "WebSocket"));
  EXPECT_TRUE(headerHasToken("a,,UPGRADE,", "upgrade"));
  EXPECT_FALSE(headerHasToken("keep-alive", "upgrade"));
  EXPECT_FALSE(headerHasToken("upgrades, keep-alive", "upgrade"));
  EXPECT_FALSE(headerHasToken("up grade", "upgrade"));
  EXPECT_FALSE(headerHasToken("", "upgrade"));
  EXPECT_FALSE(headerHasToken("a, ,b", ""));
}

}  // namespace
}  // namespace wps::ws
