// ce-signature (upstream-cloudevents.md §5), checked against the spec's test vectors.
#include "cloudevents/signature.h"

#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/crypto.h"

namespace wps::cloudevents {
namespace {

constexpr std::string_view kPrimary = "7aab239577fd4f24bc919802fb629f5f";
constexpr std::string_view kSecondary = "a5f2815d0d0c4b00bd27e832432f91ab";
constexpr std::string_view kConnectionId = "0f9c97a2f0bf4706afe87a14e0797b11";
constexpr std::string_view kPrimaryItem =
    "sha256=7767effcb3946f3e1de039df4b986ef02c110b1469d02c0a06f41b3b727ab561";
constexpr std::string_view kSecondaryItem =
    "sha256=d4aefb65547a00a9881fa8ac8bd03d0faf77af9da5205d45c6e57cbda4377760";

std::vector<std::string> keys(std::initializer_list<std::string_view> k) {
  return std::vector<std::string>(k.begin(), k.end());
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return s;
}

TEST(SignatureTest, SingleKeyMatchesSpecVector) {
  EXPECT_EQ(computeSignature(keys({kPrimary}), kConnectionId), kPrimaryItem);
}

TEST(SignatureTest, TwoKeysGiveTwoCommaSeparatedItemsInKeyOrder) {
  EXPECT_EQ(computeSignature(keys({kPrimary, kSecondary}), kConnectionId),
            std::string(kPrimaryItem) + "," + std::string(kSecondaryItem));
  EXPECT_EQ(computeSignature(keys({kSecondary, kPrimary}), kConnectionId),
            std::string(kSecondaryItem) + "," + std::string(kPrimaryItem));
}

TEST(SignatureTest, KeyIsUsedAsUtf8BytesNotBase64Decoded) {
  std::string sig = computeSignature(keys({kPrimary}), kConnectionId);
  // The spec's "wrong" result when the key is base64-decoded first.
  EXPECT_EQ(sig.find("sha256=8fb66e8e"), std::string::npos);
  auto decoded = base64Decode(kPrimary);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_NE(sig, "sha256=" + toHexLower(hmacSha256(*decoded, kConnectionId)));
  EXPECT_EQ(sig, "sha256=" + toHexLower(hmacSha256(kPrimary, kConnectionId)));
}

TEST(SignatureTest, LowercaseHexOf64Characters) {
  std::string sig = computeSignature(keys({"SomeKeyWithUPPERCASE-and-symbols+/="}), "Conn-ID");
  ASSERT_EQ(sig.size(), 7u + 64u);
  EXPECT_EQ(sig.substr(0, 7), "sha256=");
  for (char c : sig.substr(7)) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
  }
}

TEST(SignatureTest, DependsOnConnectionId) {
  EXPECT_NE(computeSignature(keys({kPrimary}), kConnectionId),
            computeSignature(keys({kPrimary}), "other"));
  EXPECT_EQ(computeSignature(keys({kPrimary}), "other"),
            "sha256=eb7c4ffc58e5d64314ef048ffc1a95818da0011c268583f079edc3f57ec1b259");
}

TEST(SignatureTest, NoKeysGiveEmptyHeader) {
  EXPECT_EQ(computeSignature({}, kConnectionId), "");
  EXPECT_EQ(computeSignature(keys({""}), kConnectionId), "");
}

TEST(SignatureTest, EmptyKeysAreSkipped) {
  EXPECT_EQ(computeSignature(keys({"", kSecondary}), kConnectionId), kSecondaryItem);
  EXPECT_EQ(computeSignature(keys({kPrimary, ""}), kConnectionId), kPrimaryItem);
}

TEST(VerifySignatureTest, AcceptsTheSpecVector) {
  EXPECT_TRUE(verifySignature(kPrimaryItem, keys({kPrimary}), kConnectionId));
}

TEST(VerifySignatureTest, AcceptsAnyItemOfAList) {
  std::string both = std::string(kPrimaryItem) + "," + std::string(kSecondaryItem);
  EXPECT_TRUE(verifySignature(both, keys({kPrimary}), kConnectionId));
  EXPECT_TRUE(verifySignature(both, keys({kSecondary}), kConnectionId));
  std::string wrongThenRight = "sha256=" + std::string(64, '0') + "," + std::string(kSecondaryItem);
  EXPECT_TRUE(verifySignature(wrongThenRight, keys({kSecondary}), kConnectionId));
}

TEST(VerifySignatureTest, AcceptsAnyConfiguredKey) {
  EXPECT_TRUE(verifySignature(kSecondaryItem, keys({kPrimary, kSecondary}), kConnectionId));
  EXPECT_TRUE(verifySignature(kPrimaryItem, keys({kPrimary, kSecondary}), kConnectionId));
}

TEST(VerifySignatureTest, HexIsComparedCaseInsensitively) {
  std::string item(kPrimaryItem);
  std::string upperHex = "sha256=" + upper(item.substr(7));
  EXPECT_TRUE(verifySignature(upperHex, keys({kPrimary}), kConnectionId));
  EXPECT_TRUE(verifySignature(upper(item), keys({kPrimary}), kConnectionId));
}

TEST(VerifySignatureTest, RejectsWrongSignatures) {
  EXPECT_FALSE(verifySignature(kSecondaryItem, keys({kPrimary}), kConnectionId));
  EXPECT_FALSE(verifySignature(kPrimaryItem, keys({kPrimary}), "another-connection"));
  EXPECT_FALSE(verifySignature("", keys({kPrimary}), kConnectionId));
  EXPECT_FALSE(verifySignature("sha256=", keys({kPrimary}), kConnectionId));
  // The hex alone, without the sha256= prefix.
  EXPECT_FALSE(
      verifySignature(std::string(kPrimaryItem).substr(7), keys({kPrimary}), kConnectionId));
  // Truncated and extended.
  std::string item(kPrimaryItem);
  EXPECT_FALSE(verifySignature(item.substr(0, item.size() - 1), keys({kPrimary}), kConnectionId));
  EXPECT_FALSE(verifySignature(item + "0", keys({kPrimary}), kConnectionId));
  // One wrong hex digit.
  item.back() = item.back() == '1' ? '2' : '1';
  EXPECT_FALSE(verifySignature(item, keys({kPrimary}), kConnectionId));
}

TEST(VerifySignatureTest, RejectsWhenNoKeyIsConfigured) {
  EXPECT_FALSE(verifySignature(kPrimaryItem, {}, kConnectionId));
  EXPECT_FALSE(verifySignature(kPrimaryItem, keys({""}), kConnectionId));
}

TEST(VerifySignatureTest, RoundTripsWithComputeSignature) {
  auto k = keys({"first-key-0123456789abcdefghijklmnop", "second-key-0123456789abcdefghijklmno"});
  std::string header = computeSignature(k, "conn-42");
  EXPECT_TRUE(verifySignature(header, k, "conn-42"));
  EXPECT_TRUE(verifySignature(header, keys({"second-key-0123456789abcdefghijklmno"}), "conn-42"));
  EXPECT_FALSE(verifySignature(header, keys({"third-key-0123456789abcdefghijklmnop"}), "conn-42"));
}

}  // namespace
}  // namespace wps::cloudevents
