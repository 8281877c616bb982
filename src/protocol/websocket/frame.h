// RFC 6455 §5 frame format: opcodes, frame header encoding, payload masking and close-frame
// payloads. No I/O and no allocation except where a std::string is returned.
// All functions are pure (they touch only their arguments) and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wps::ws {

// Frame opcodes defined by RFC 6455 §5.2. Values 3-7 and 11-15 are reserved (invalid on the
// wire); isKnownOpcode() tells them apart.
enum class Opcode : uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10,
};

// Largest possible frame header: 2 + 8 (64-bit length) + 4 (masking key).
constexpr size_t kMaxFrameHeaderBytes = 14;
// RFC 6455 §5.5: control frames (close, ping, pong) carry at most 125 payload bytes.
constexpr size_t kMaxControlPayloadBytes = 125;
// A close payload is a 2-byte code plus a reason, so the reason is at most 123 bytes.
constexpr size_t kMaxCloseReasonBytes = 123;

// True for the six opcodes above; false for reserved values. `raw` is the low nibble of the
// first header byte (values above 15 are never known).
constexpr bool isKnownOpcode(uint8_t raw) {
  return raw <= 2 || (raw >= 8 && raw <= 10);
}
// True for close, ping and pong (opcodes with the high bit of the nibble set).
constexpr bool isControlOpcode(Opcode op) {
  return (static_cast<uint8_t>(op) & 0x08) != 0;
}

// Size of a frame header given its second byte (mask bit + 7-bit length): 2, 4 or 10 bytes,
// plus 4 when the mask bit is set.
constexpr size_t frameHeaderSize(uint8_t secondByte) {
  const uint8_t len7 = secondByte & 0x7F;
  return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((secondByte & 0x80) ? 4 : 0);
}

// Writes the header of one frame to `out` (which must have room for kMaxFrameHeaderBytes) and
// returns the number of bytes written: 2, 4 or 10, plus 4 when masked. RSV bits are zero and the
// shortest length encoding is used. `maskKey` is nullptr for an unmasked frame (server→client)
// or points to the 4-byte masking key (client→server); the caller masks the payload itself with
// applyMask(). Control frames must have fin=true and payloadLength <= 125 and payloadLength must
// be < 2^63; violating that is a programming error (asserted in debug builds). Never fails.
size_t encodeFrameHeader(uint8_t* out, Opcode op, bool fin, uint64_t payloadLength,
                         const uint8_t* maskKey);

// XORs `len` bytes at `data` in place with the 4-byte masking key `key`, as if `data` started
// `offset` bytes into the masked payload (so a payload can be (un)masked in several pieces).
// Masking is its own inverse. Processes 8 bytes per step. Never fails; len == 0 is a no-op.
void applyMask(char* data, size_t len, const uint8_t key[4], size_t offset = 0);

// Convenience: one complete, unfragmented frame (header + payload) in a new string. With
// `maskKey` (4 bytes) the payload is masked with it; without, the frame is unmasked. Control
// opcodes require payload.size() <= 125 (asserted in debug builds).
std::string encodeFrame(Opcode op, std::string_view payload, const uint8_t* maskKey = nullptr);

// The payload of a close frame: the 2-byte big-endian `code` followed by `reason` truncated to
// 123 bytes without splitting a UTF-8 sequence. code == 0 means "no status": the payload is
// empty and `reason` is ignored. The caller is responsible for sending a valid code
// (isValidReceivedCloseCode() describes what peers accept).
std::string encodeClosePayload(uint16_t code, std::string_view reason);

// RFC 6455 §7.4: whether a close code received from a peer is acceptable. Valid: 1000-1003,
// 1007-1014 and 3000-4999. Invalid: below 1000, 1004-1006, 1015, 1016-2999 and 5000 and above
// (1005, 1006 and 1015 are reserved for local use and must never appear on the wire).
constexpr bool isValidReceivedCloseCode(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace wps::ws
