// Test helper: the application payload of an unmasked server→client WebSocket frame.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "protocol/out_frame.h"

namespace wps::protocol::testing {

struct FramePayload {
  bool fin = false;
  uint8_t opcode = 0;  // 1 text, 2 binary
  std::string payload;
};

// Splits OutFrame::flatten() into the RFC 6455 header (2, 4 or 10 bytes, never masked) and the
// payload, and checks that the header's length matches the bytes that follow.
inline FramePayload framePayload(const OutFrame& frame) {
  std::string bytes = frame.flatten();
  FramePayload out;
  EXPECT_GE(bytes.size(), 2u);
  if (bytes.size() < 2) return out;
  auto b = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  out.fin = (b(0) & 0x80) != 0;
  out.opcode = b(0) & 0x0F;
  EXPECT_EQ(b(1) & 0x80, 0) << "server frames are never masked";
  uint64_t len = b(1) & 0x7F;
  size_t header = 2;
  if (len == 126) {
    header = 4;
    len = (uint64_t{b(2)} << 8) | b(3);
  } else if (len == 127) {
    header = 10;
    len = 0;
    for (size_t i = 2; i < 10; ++i) {
      len = (len << 8) | b(i);
    }
  }
  EXPECT_GE(bytes.size(), header);
  EXPECT_EQ(len, bytes.size() - header) << "header length disagrees with the frame";
  out.payload = bytes.substr(header);
  return out;
}

}  // namespace wps::protocol::testing
