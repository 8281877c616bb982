#include "protocol/websocket/frame.h"

#include <cassert>
#include <cstring>

#include "common/errors.h"

namespace wps::ws {

size_t encodeFrameHeader(uint8_t* out, Opcode op, bool fin, uint64_t payloadLength,
                         const uint8_t* maskKey) {
  assert(!isControlOpcode(op) || (fin && payloadLength <= kMaxControlPayloadBytes));
  assert(payloadLength < (uint64_t{1} << 63));
  out[0] = static_cast<uint8_t>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(op));
  const uint8_t maskBit = maskKey != nullptr ? 0x80 : 0x00;
  size_t n;
  if (payloadLength <= 125) {
    out[1] = static_cast<uint8_t>(maskBit | payloadLength);
    n = 2;
  } else if (payloadLength <= 0xFFFF) {
    out[1] = maskBit | 126;
    out[2] = static_cast<uint8_t>(payloadLength >> 8);
    out[3] = static_cast<uint8_t>(payloadLength);
    n = 4;
  } else {
    out[1] = maskBit | 127;
    for (int i = 0; i < 8; ++i)
      out[2 + i] = static_cast<uint8_t>(payloadLength >> (56 - 8 * i));
    n = 10;
  }
  if (maskKey != nullptr) {
    std::memcpy(out + n, maskKey, 4);
    n += 4;
  }
  return n;
}

void applyMask(char* data, size_t len, const uint8_t key[4], size_t offset) {
  // The key rotated so that rotated[0] applies to data[0].
  uint8_t rotated[8];
  for (size_t i = 0; i < 8; ++i) {
    rotated[i] = key[(offset + i) & 3];
  }
  uint64_t mask8;
  std::memcpy(&mask8, rotated, 8);
  // 8 bytes per step; memcpy keeps it alignment- and aliasing-safe and compiles to plain loads.
  // The 8-byte pattern repeats every 8 bytes because 8 is a multiple of the key length.
  size_t i = 0;
  for (; i + 32 <= len; i += 32) {
    uint64_t w[4];
    std::memcpy(w, data + i, 32);
    w[0] ^= mask8;
    w[1] ^= mask8;
    w[2] ^= mask8;
    w[3] ^= mask8;
    std::memcpy(data + i, w, 32);
  }
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= mask8;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < len; ++i)
    data[i] = static_cast<char>(data[i] ^ rotated[i & 7]);
}

std::string encodeFrame(Opcode op, std::string_view payload, const uint8_t* maskKey) {
  uint8_t header[kMaxFrameHeaderBytes];
  const size_t headerSize = encodeFrameHeader(header, op, true, payload.size(), maskKey);
  std::string frame;
  frame.resize(headerSize + payload.size());
  std::memcpy(frame.data(), header, headerSize);
  if (!payload.empty()) {
    std::memcpy(frame.data() + headerSize, payload.data(), payload.size());
    if (maskKey != nullptr) applyMask(frame.data() + headerSize, payload.size(), maskKey, 0);
  }
  return frame;
}

std::string encodeClosePayload(uint16_t code, std::string_view reason) {
  if (code == 0) return {};
  const std::string_view truncated = errors::truncateCloseReason(reason);
  std::string payload;
  payload.reserve(2 + truncated.size());
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(truncated);
  return payload;
}

}  // namespace wps::ws
