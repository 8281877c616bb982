#include "protocol/websocket/parser.h"

#include "common/errors.h"
#include "common/utf8.h"
#include "protocol/websocket/frame.h"

namespace wps::ws {
namespace {

constexpr std::string_view kReservedBits = "Invalid WebSocket frame: reserved bits set.";
constexpr std::string_view kUnknownOpcode = "Invalid WebSocket frame: unknown opcode.";
constexpr std::string_view kMustBeMasked = "Invalid WebSocket frame: client frames must be masked.";
constexpr std::string_view kMustNotBeMasked =
    "Invalid WebSocket frame: server frames must not be masked.";
constexpr std::string_view kFragmentedControl =
    "Invalid WebSocket frame: control frames must not be fragmented.";
constexpr std::string_view kControlTooLong =
    "Invalid WebSocket frame: control frame payload longer than 125 bytes.";
constexpr std::string_view kUnexpectedContinuation =
    "Invalid WebSocket frame: continuation frame without a message in progress.";
constexpr std::string_view kExpectedContinuation =
    "Invalid WebSocket frame: new data frame while a fragmented message is in progress.";
constexpr std::string_view kLengthMsbSet =
    "Invalid WebSocket frame: payload length has the most significant bit set.";
constexpr std::string_view kCloseOneByte = "Invalid WebSocket frame: close payload of 1 byte.";
constexpr std::string_view kInvalidCloseCode = "Invalid WebSocket frame: invalid close code.";
constexpr std::string_view kCloseReasonNotUtf8 = "Close reason is not valid UTF-8.";
constexpr std::string_view kServerMessageTooLarge = "The server message is too large.";

// The payload length of a header whose second byte has the 7-bit length `len7`; `p` points at
// the header, with the extended length bytes (0, 2 or 8 of them) available.
uint64_t payloadLengthOf(const uint8_t* p, uint8_t len7) {
  if (len7 == 126) return (uint64_t{p[2]} << 8) | p[3];
  if (len7 != 127) return len7;
  uint64_t length = 0;
  for (size_t i = 0; i < 8; ++i)
    length = (length << 8) | p[2 + i];
  return length;
}

}  // namespace

MessageParser::MessageParser(Role role, ParserLimits limits) : role_(role), limits_(limits) {}

void MessageParser::recordError(uint16_t code, std::string_view reason) {
  error_ = ParseError{code, std::string(reason)};
  inMessage_ = false;
  releaseFragments();
}

inline bool MessageParser::fail(uint16_t code, std::string_view reason) {
  recordError(code, reason);
  return false;
}

void MessageParser::releaseFragments() {
  std::string().swap(fragments_);
}

void MessageParser::reset() {
  inMessage_ = false;
  messageBinary_ = false;
  closed_ = false;
  error_.reset();
  releaseFragments();
  utf8_.reset();
}

std::optional<ParseError> MessageParser::parse(char* data, size_t len, size_t* consumed,
                                               MessageSink& sink) {
  *consumed = 0;
  if (error_) return error_;
  if (closed_) {
    *consumed = len;
    return std::nullopt;
  }
  const bool expectMasked = role_ == Role::kServer;
  size_t pos = 0;
  while (len - pos >= 2) {
    *consumed = pos;
    const auto* p = reinterpret_cast<const uint8_t*>(data + pos);
    const size_t avail = len - pos;
    if (!checkFrameStart(p[0], p[1], expectMasked)) return error_;
    const auto op = static_cast<Opcode>(p[0] & 0x0F);
    const bool fin = (p[0] & 0x80) != 0;
    const uint8_t len7 = p[1] & 0x7F;

    // --- Extended payload length.
    const size_t lengthBytes = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    if (avail < 2 + lengthBytes) break;
    const uint64_t payloadLength = payloadLengthOf(p, len7);
    if (!checkPayloadLength(isControlOpcode(op), payloadLength)) return error_;

    // --- Wait for the whole frame (the masking key is there: checkFrameStart checked the bit).
    const bool masked = (p[1] & 0x80) != 0;
    const size_t headerSize = 2 + lengthBytes + (masked ? 4 : 0);
    if (avail < headerSize || avail - headerSize < payloadLength) break;
    const auto n = static_cast<size_t>(payloadLength);
    char* payload = data + pos + headerSize;
    if (masked) applyMask(payload, n, p + headerSize - 4, 0);
    const std::string_view view(payload, n);
    const size_t frameEnd = pos + headerSize + n;

    switch (op) {
      case Opcode::kPing:
        sink.onPing(view);
        break;
      case Opcode::kPong:
        sink.onPong(view);
        break;
      case Opcode::kClose:
        if (!deliverClose(view, frameEnd, consumed, sink)) return error_;
        return std::nullopt;  // nothing is parsed after a close
      case Opcode::kText:
      case Opcode::kBinary:
        if (!deliverDataFrame(op == Opcode::kBinary, fin, view, sink)) return error_;
        break;
      case Opcode::kContinuation:
        if (!deliverContinuation(fin, view, sink)) return error_;
        break;
    }
    pos = frameEnd;
  }
  *consumed = pos;
  return std::nullopt;
}

inline bool MessageParser::checkFrameStart(uint8_t firstByte, uint8_t secondByte,
                                           bool expectMasked) {
  if (firstByte & 0x70) return fail(errors::kCloseProtocolError, kReservedBits);
  const uint8_t rawOpcode = firstByte & 0x0F;
  if (!isKnownOpcode(rawOpcode)) return fail(errors::kCloseProtocolError, kUnknownOpcode);
  const bool masked = (secondByte & 0x80) != 0;
  if (masked != expectMasked) {
    return fail(errors::kCloseProtocolError, expectMasked ? kMustBeMasked : kMustNotBeMasked);
  }
  const auto op = static_cast<Opcode>(rawOpcode);
  if (isControlOpcode(op)) {
    if (!(firstByte & 0x80)) return fail(errors::kCloseProtocolError, kFragmentedControl);
    if ((secondByte & 0x7F) > kMaxControlPayloadBytes) {
      return fail(errors::kCloseProtocolError, kControlTooLong);
    }
  } else if (op == Opcode::kContinuation) {
    if (!inMessage_) return fail(errors::kCloseProtocolError, kUnexpectedContinuation);
  } else if (inMessage_) {
    return fail(errors::kCloseProtocolError, kExpectedContinuation);
  }
  return true;
}

inline bool MessageParser::checkPayloadLength(bool control, uint64_t payloadLength) {
  if (payloadLength >> 63) return fail(errors::kCloseProtocolError, kLengthMsbSet);
  // fragments_.size() never exceeds the limit, so the subtraction cannot wrap.
  if (!control && payloadLength > limits_.maxMessageBytes - fragments_.size()) {
    return fail(errors::kCloseTooBig,
                role_ == Role::kServer ? errors::kMessageTooLarge.reason : kServerMessageTooLarge);
  }
  return true;
}

inline bool MessageParser::deliverDataFrame(bool binary, bool fin, std::string_view payload,
                                            MessageSink& sink) {
  if (fin) {
    // The common case: a single-frame message, delivered straight from the caller's buffer.
    if (!binary && !isValidUtf8(payload)) {
      return fail(errors::kCloseInvalidPayload, errors::kInvalidUtf8.reason);
    }
    sink.onMessage(binary, payload);
    return true;
  }
  return startFragmentedMessage(binary, payload);
}

// Out of line, like deliverContinuation(): fragmented messages are rare, and keeping their string
// handling out of parse() keeps its loop small.
bool MessageParser::startFragmentedMessage(bool binary, std::string_view firstFragment) {
  inMessage_ = true;
  messageBinary_ = binary;
  fragments_.append(firstFragment);  // empty: released when the previous message ended
  if (!binary) {
    utf8_.reset();
    if (!utf8_.feed(firstFragment)) {
      return fail(errors::kCloseInvalidPayload, errors::kInvalidUtf8.reason);
    }
  }
  return true;
}

bool MessageParser::deliverContinuation(bool fin, std::string_view payload, MessageSink& sink) {
  if (!messageBinary_ && !utf8_.feed(payload)) {
    return fail(errors::kCloseInvalidPayload, errors::kInvalidUtf8.reason);
  }
  fragments_.append(payload);
  if (fin) {
    if (!messageBinary_ && !utf8_.complete()) {
      return fail(errors::kCloseInvalidPayload, errors::kInvalidUtf8.reason);
    }
    inMessage_ = false;
    sink.onMessage(messageBinary_, fragments_);
    releaseFragments();
  }
  return true;
}

inline bool MessageParser::deliverClose(std::string_view payload, size_t frameEnd, size_t* consumed,
                                        MessageSink& sink) {
  std::optional<uint16_t> code;
  std::string_view reason;
  if (payload.size() == 1) return fail(errors::kCloseProtocolError, kCloseOneByte);
  if (payload.size() >= 2) {
    code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                 static_cast<uint8_t>(payload[1]));
    if (!isValidReceivedCloseCode(*code)) {
      return fail(errors::kCloseProtocolError, kInvalidCloseCode);
    }
    reason = payload.substr(2);
    if (!isValidUtf8(reason)) return fail(errors::kCloseInvalidPayload, kCloseReasonNotUtf8);
  }
  closed_ = true;
  *consumed = frameEnd;
  // A partial fragmented message can never complete now; free it before the callback.
  inMessage_ = false;
  releaseFragments();
  sink.onClose(code, reason);
  return true;
}

size_t MessageParser::minimumBytesForNextFrame(const char* data, size_t len) const {
  if (len < 2) return 2;
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  const size_t headerSize = frameHeaderSize(p[1]);
  if (len < headerSize) return headerSize;
  const uint64_t payloadLength = payloadLengthOf(p, p[1] & 0x7F);
  if (payloadLength > SIZE_MAX - headerSize) return SIZE_MAX;
  return headerSize + static_cast<size_t>(payloadLength);
}

}  // namespace wps::ws
