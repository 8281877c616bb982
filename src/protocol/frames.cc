#include "protocol/frames.h"

#include <cassert>

#include "common/errors.h"
#include "protocol/websocket/frame.h"

namespace wps::protocol {
namespace {

size_t writeVarint(char* out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<char>(v);
  return n;
}

void setHeader(OutFrame& f, ws::Opcode op, uint64_t payloadLength) {
  f.headLen = static_cast<uint8_t>(ws::encodeFrameHeader(reinterpret_cast<uint8_t*>(f.inlineBytes),
                                                         op, true, payloadLength, nullptr));
}

OutFrame ownedFrame(ws::Opcode op, std::string bytes) {
  OutFrame f;
  setHeader(f, op, bytes.size());
  f.body = std::make_shared<const std::string>(std::move(bytes));
  return f;
}

}  // namespace

size_t varintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void appendVarint(std::string& out, uint64_t v) {
  char buf[10];
  out.append(buf, writeVarint(buf, v));
}

OutFrame makeTextFrame(std::string text) {
  return ownedFrame(ws::Opcode::kText, std::move(text));
}

OutFrame makeBinaryFrame(std::string bytes) {
  return ownedFrame(ws::Opcode::kBinary, std::move(bytes));
}

OutFrame makeSharedFrame(bool binary, SharedBytes body) {
  OutFrame f;
  setHeader(f, binary ? ws::Opcode::kBinary : ws::Opcode::kText, body ? body->size() : 0);
  f.body = std::move(body);
  return f;
}

OutFrame makePingFrame() {
  OutFrame f;
  setHeader(f, ws::Opcode::kPing, 0);
  return f;
}

OutFrame makePongFrame(std::string_view payload) {
  return ownedFrame(ws::Opcode::kPong, std::string(payload.substr(0, 125)));
}

OutFrame makeCloseFrame(uint16_t code, std::string_view reason) {
  OutFrame f = ownedFrame(ws::Opcode::kClose,
                          ws::encodeClosePayload(code, errors::truncateCloseReason(reason)));
  f.isClose = true;
  return f;
}

OutFrame makeJsonDataFrame(SharedBytes body, std::optional<uint64_t> sequenceId) {
  OutFrame f;
  char tail[48];
  size_t tailLen = 0;
  if (sequenceId) {
    static constexpr std::string_view kKey = ",\"sequenceId\":";
    std::memcpy(tail, kKey.data(), kKey.size());
    tailLen = kKey.size();
    std::string digits = std::to_string(*sequenceId);
    std::memcpy(tail + tailLen, digits.data(), digits.size());
    tailLen += digits.size();
    f.sequenceId = *sequenceId;
  }
  tail[tailLen++] = '}';
  size_t bodyLen = body ? body->size() : 0;
  setHeader(f, ws::Opcode::kText, bodyLen + tailLen);
  std::memcpy(f.inlineBytes + f.headLen, tail, tailLen);
  f.tailLen = static_cast<uint8_t>(tailLen);
  f.body = std::move(body);
  return f;
}

OutFrame makeProtobufDataFrame(SharedBytes body, std::optional<uint64_t> sequenceId) {
  OutFrame f;
  char tail[16];
  size_t tailLen = 0;
  if (sequenceId) {
    tail[tailLen++] = 0x20;  // DataMessage.sequence_id = 4, varint
    tailLen += writeVarint(tail + tailLen, *sequenceId);
    f.sequenceId = *sequenceId;
  }
  size_t inner = (body ? body->size() : 0) + tailLen;
  char prefix[16];
  size_t prefixLen = 0;
  prefix[prefixLen++] = 0x12;  // DownstreamMessage.data_message = 2, length-delimited
  prefixLen += writeVarint(prefix + prefixLen, inner);
  setHeader(f, ws::Opcode::kBinary, prefixLen + inner);
  std::memcpy(f.inlineBytes + f.headLen, prefix, prefixLen);
  f.headLen = static_cast<uint8_t>(f.headLen + prefixLen);
  std::memcpy(f.inlineBytes + f.headLen, tail, tailLen);
  f.tailLen = static_cast<uint8_t>(tailLen);
  f.body = std::move(body);
  return f;
}

}  // namespace wps::protocol
