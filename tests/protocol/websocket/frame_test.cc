#include "protocol/websocket/frame.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "common/utf8.h"

namespace wps::ws {
namespace {

const uint8_t kRfcKey[4] = {0x37, 0xfa, 0x21, 0x3d};

std::string bytes(std::initializer_list<uint8_t> b) {
  return std::string(b.begin(), b.end());
}

std::string header(Opcode op, bool fin, uint64_t length, const uint8_t* key) {
  uint8_t out[kMaxFrameHeaderBytes];
  size_t n = encodeFrameHeader(out, op, fin, length, key);
  return std::string(reinterpret_cast<char*>(out), n);
}

// RFC 6455 §5.7 examples.
TEST(Frame, RfcSingleFrameUnmaskedText) {
  EXPECT_EQ(encodeFrame(Opcode::kText, "Hello"), bytes({0x81, 0x05}) + "Hello");
}

TEST(Frame, RfcSingleFrameMaskedText) {
  EXPECT_EQ(encodeFrame(Opcode::kText, "Hello", kRfcKey),
            bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(Frame, RfcFragmentedUnmaskedText) {
  EXPECT_EQ(header(Opcode::kText, false, 3, nullptr) + "Hel", bytes({0x01, 0x03}) + "Hel");
  EXPECT_EQ(header(Opcode::kContinuation, true, 2, nullptr) + "lo", bytes({0x80, 0x02}) + "lo");
}

TEST(Frame, RfcPingAndMaskedPong) {
  EXPECT_EQ(encodeFrame(Opcode::kPing, "Hello"), bytes({0x89, 0x05}) + "Hello");
  EXPECT_EQ(encodeFrame(Opcode::kPong, "Hello", kRfcKey),
            bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(Frame, RfcBinaryLengths) {
  EXPECT_EQ(header(Opcode::kBinary, true, 256, nullptr), bytes({0x82, 0x7E, 0x01, 0x00}));
  EXPECT_EQ(header(Opcode::kBinary, true, 65536, nullptr),
            bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}));
  const std::string frame = encodeFrame(Opcode::kBinary, std::string(256, 'x'));
  EXPECT_EQ(frame.size(), 4u + 256u);
  EXPECT_EQ(frame.substr(0, 4), bytes({0x82, 0x7E, 0x01, 0x00}));
}

TEST(Frame, HeaderSizesAtLengthBoundaries) {
  struct Case {
    uint64_t length;
    size_t size;
  } cases[] = {{0, 2}, {125, 2}, {126, 4}, {65535, 4}, {65536, 10}, {uint64_t{1} << 40, 10}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.length);
    const std::string unmasked = header(Opcode::kBinary, true, c.length, nullptr);
    const std::string masked = header(Opcode::kBinary, true, c.length, kRfcKey);
    EXPECT_EQ(unmasked.size(), c.size);
    EXPECT_EQ(masked.size(), c.size + 4);
    EXPECT_EQ(frameHeaderSize(static_cast<uint8_t>(unmasked[1])), c.size);
    EXPECT_EQ(frameHeaderSize(static_cast<uint8_t>(masked[1])), c.size + 4);
    EXPECT_EQ(masked.substr(c.size), std::string(reinterpret_cast<const char*>(kRfcKey), 4));
  }
  EXPECT_EQ(header(Opcode::kBinary, true, 125, nullptr), bytes({0x82, 125}));
  EXPECT_EQ(header(Opcode::kText, true, 126, nullptr), bytes({0x81, 0x7E, 0x00, 0x7E}));
  EXPECT_EQ(header(Opcode::kText, true, 65535, nullptr), bytes({0x81, 0x7E, 0xFF, 0xFF}));
  EXPECT_EQ(header(Opcode::kText, true, 0x0102030405060708ULL, nullptr),
            bytes({0x81, 0x7F, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}));
}

TEST(Frame, FinBitAndOpcode) {
  EXPECT_EQ(header(Opcode::kBinary, false, 0, nullptr), bytes({0x02, 0x00}));
  EXPECT_EQ(header(Opcode::kContinuation, false, 1, nullptr), bytes({0x00, 0x01}));
  EXPECT_EQ(header(Opcode::kClose, true, 2, nullptr), bytes({0x88, 0x02}));
  EXPECT_EQ(header(Opcode::kPong, true, 0, kRfcKey).substr(0, 2), bytes({0x8A, 0x80}));
}

TEST(Frame, EncodeFrameMasksOnlyWhenKeyGiven) {
  const std::string payload(300, 'a');
  const std::string unmasked = encodeFrame(Opcode::kBinary, payload);
  const std::string masked = encodeFrame(Opcode::kBinary, payload, kRfcKey);
  EXPECT_EQ(unmasked.substr(4), payload);
  ASSERT_EQ(masked.size(), 8u + payload.size());
  std::string unmaskedAgain = masked.substr(8);
  EXPECT_NE(unmaskedAgain, payload);
  applyMask(unmaskedAgain.data(), unmaskedAgain.size(), kRfcKey);
  EXPECT_EQ(unmaskedAgain, payload);
  EXPECT_EQ(encodeFrame(Opcode::kText, ""), bytes({0x81, 0x00}));
}

// Byte-by-byte reference implementation of RFC 6455 §5.3.
void referenceMask(char* data, size_t len, const uint8_t key[4], size_t offset) {
  for (size_t i = 0; i < len; ++i)
    data[i] = static_cast<char>(data[i] ^ key[(offset + i) % 4]);
}

TEST(Frame, ApplyMaskMatchesReferenceForAllOffsetsAndLengths) {
  std::mt19937 rng(42);
  const uint8_t key[4] = {0x01, 0x80, 0xFE, 0x5A};
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t len = 0; len < 80; ++len) {
      std::string original(len, '\0');
      for (char& c : original)
        c = static_cast<char>(rng());
      std::string fast = original;
      std::string slow = original;
      applyMask(fast.data(), len, key, offset);
      referenceMask(slow.data(), len, key, offset);
      ASSERT_EQ(fast, slow) << "offset=" << offset << " len=" << len;
      applyMask(fast.data(), len, key, offset);
      ASSERT_EQ(fast, original) << "round trip offset=" << offset << " len=" << len;
    }
  }
}

TEST(Frame, ApplyMaskInPiecesEqualsWhole) {
  std::string payload(1000, '\0');
  for (size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(i * 7);
  std::string whole = payload;
  applyMask(whole.data(), whole.size(), kRfcKey, 0);
  for (size_t split : {1u, 2u, 3u, 5u, 8u, 13u, 500u, 999u}) {
    std::string pieces = payload;
    applyMask(pieces.data(), split, kRfcKey, 0);
    applyMask(pieces.data() + split, pieces.size() - split, kRfcKey, split);
    EXPECT_EQ(pieces, whole) << "split=" << split;
  }
  // Unaligned start address.
  std::string shifted = "x" + payload;
  applyMask(shifted.data() + 1, payload.size(), kRfcKey, 0);
  EXPECT_EQ(shifted.substr(1), whole);
}

TEST(Frame, ClosePayload) {
  EXPECT_EQ(encodeClosePayload(0, "ignored"), "");
  EXPECT_EQ(encodeClosePayload(1000, ""), bytes({0x03, 0xE8}));
  EXPECT_EQ(encodeClosePayload(1009, "too big"), bytes({0x03, 0xF1}) + "too big");
  EXPECT_EQ(encodeClosePayload(4999, "x"), bytes({0x13, 0x87}) + "x");
}

TEST(Frame, ClosePayloadTruncatesReasonWithoutSplittingUtf8) {
  const std::string exact(123, 'r');
  EXPECT_EQ(encodeClosePayload(1000, exact).size(), 125u);
  EXPECT_EQ(encodeClosePayload(1000, exact + "more").size(), 125u);

  std::string twoByte(122, 'a');
  twoByte += "\xC3\xA4";  // 124 bytes; cutting at 123 would split "ä"
  std::string payload = encodeClosePayload(1000, twoByte);
  EXPECT_EQ(payload.size(), 2u + 122u);
  EXPECT_TRUE(isValidUtf8(std::string_view(payload).substr(2)));

  std::string euros;
  while (euros.size() < 200)
    euros += "\xE2\x82\xAC";  // 3-byte characters
  payload = encodeClosePayload(1000, euros);
  EXPECT_EQ(payload.size(), 2u + 123u);  // 41 whole characters
  EXPECT_TRUE(isValidUtf8(std::string_view(payload).substr(2)));

  std::string fourByte(121, 'a');
  fourByte += "\xF0\x9F\x98\x80";  // 125 bytes; the emoji straddles 123
  payload = encodeClosePayload(1000, fourByte);
  EXPECT_EQ(payload.size(), 2u + 121u);
  EXPECT_TRUE(isValidUtf8(std::string_view(payload).substr(2)));
}

TEST(Frame, ValidReceivedCloseCodes) {
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                        3000, 3999, 4000, 4999}) {
    EXPECT_TRUE(isValidReceivedCloseCode(code)) << code;
  }
  for (uint16_t code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    EXPECT_FALSE(isValidReceivedCloseCode(code)) << code;
  }
}

TEST(Frame, OpcodeClassification) {
  for (uint8_t raw = 0; raw < 16; ++raw) {
    const bool known = raw == 0 || raw == 1 || raw == 2 || raw == 8 || raw == 9 || raw == 10;
    EXPECT_EQ(isKnownOpcode(raw), known) << int(raw);
  }
  EXPECT_TRUE(isControlOpcode(Opcode::kClose));
  EXPECT_TRUE(isControlOpcode(Opcode::kPing));
  EXPECT_TRUE(isControlOpcode(Opcode::kPong));
  EXPECT_FALSE(isControlOpcode(Opcode::kText));
  EXPECT_FALSE(isControlOpcode(Opcode::kBinary));
  EXPECT_FALSE(isControlOpcode(Opcode::kContinuation));
}

}  // namespace
}  // namespace wps::ws
