// Incremental RFC 6455 message parser for one connection: turns received bytes into messages,
// pings, pongs and a close, validating everything §5 and §7 require of a receiver. No I/O: the
// caller reads from the socket into its own buffer and hands the bytes to parse().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/utf8.h"
#include "protocol/websocket/frame.h"

namespace wps::ws {

// Which end of the connection the parser runs on; decides the masking rule (RFC 6455 §5.1).
enum class Role {
  kServer,  // expects MASKED frames from clients; an unmasked frame is a protocol error
  kClient,  // expects UNMASKED frames from servers; a masked frame is a protocol error
};

struct ParserLimits {
  // Largest data message (the sum of all its fragments' payloads) accepted; larger → 1009.
  // Control frames are bounded separately by the RFC (125 bytes).
  size_t maxMessageBytes = 1048576;
};

// Receives the parser's events, in wire order. Every string_view is valid only during the call
// (it may point into the caller's receive buffer or the parser's reassembly buffer). Callbacks
// run synchronously inside MessageParser::parse() on the caller's thread and must not call back
// into the same parser.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // A complete data message: `binary` for opcode 2, false for text (already validated UTF-8).
  virtual void onMessage(bool binary, std::string_view payload) = 0;
  virtual void onPing(std::string_view payload) = 0;
  virtual void onPong(std::string_view payload) = 0;
  // A valid close frame: `code` is nullopt (and `reason` empty) for an empty close payload;
  // otherwise a code accepted by isValidReceivedCloseCode() and a valid UTF-8 reason.
  virtual void onClose(std::optional<uint16_t> code, std::string_view reason) = 0;
};

// Why the connection must be failed: the close code to send (1002 protocol error, 1007 invalid
// UTF-8, 1009 message too big) and a short human-readable reason (at most 123 bytes, ASCII) for
// the close frame and logs.
struct ParseError {
  uint16_t closeCode;
  std::string reason;
};

// Parses the frames of one connection. Holds only the state of a fragmented message in
// progress; idle, it owns no heap memory. Not thread-safe: owned and used by one thread (the
// connection's loop thread).
class MessageParser {
 public:
  explicit MessageParser(Role role, ParserLimits limits = {});

  // Consumes the COMPLETE frames at the front of data[0, len) and delivers their events to
  // `sink` in order. Payloads are unmasked in place (hence the mutable buffer); single-frame
  // messages and control frames are delivered as views into `data` (zero copy), fragmented
  // messages from an internal buffer once the last fragment arrives. Control frames interleaved
  // between fragments are delivered immediately.
  //
  // On return `*consumed` is the number of bytes used (whole frames only). The caller keeps
  // data[*consumed, len) — an incomplete frame — and calls again with more bytes appended. The
  // consumed bytes may have been modified and must not be parsed again.
  //
  // Returns nullopt on success. Returns a ParseError when the peer violated the protocol; the
  // caller should send a close frame with that code and close the connection. Header-level
  // violations (reserved bits, unknown opcode, wrong masking, bad control frame, bad
  // fragmentation, most significant length bit, message too big) are reported as soon as the
  // header bytes are present, before the payload has arrived, so a peer cannot make the caller
  // buffer an oversized frame. Consequently, after a successful return any complete header in
  // the unconsumed tail has been validated and minimumBytesForNextFrame() of the tail is at most
  // kMaxFrameHeaderBytes + maxMessageBytes. Events for frames before the offending one have
  // been delivered; `*consumed` stops before the offending frame (whose payload may already
  // have been unmasked in place). After an error every later call returns the same error
  // without delivering anything (until reset()).
  //
  // After a close frame has been delivered the parser stops: `*consumed` ends with the close
  // frame and later calls consume (discard) all bytes without delivering anything (the RFC
  // allows no frames after a close).
  std::optional<ParseError> parse(char* data, size_t len, size_t* consumed, MessageSink& sink);

  // How many bytes the frame starting at data[0, len) occupies in total (header + payload), or,
  // when even the header is incomplete, a lower bound of it (at least len + 1 then, so the
  // caller knows it has to read more). Use it on the unconsumed tail after parse() to size the
  // receive buffer. Pure inspection; does not validate (parse() does) and saturates at SIZE_MAX.
  size_t minimumBytesForNextFrame(const char* data, size_t len) const;

  // Payload bytes of the fragmented message in progress (0 when none).
  size_t pendingFragmentBytes() const { return fragments_.size(); }
  // True once a close frame has been delivered.
  bool closeReceived() const { return closed_; }
  // Forgets all state (message in progress, close, error) and releases the reassembly buffer.
  void reset();

 private:
  // Steps of parse(), defined in parser.cc (inline there, except the fragmented-message ones:
  // parse() is the hot path). Each returns false after a protocol violation, which it has
  // recorded with fail(); parse() then returns error_.

  // Checks that need only the first two header bytes: reserved bits, opcode, masking, control
  // frame rules and fragmentation order.
  bool checkFrameStart(uint8_t firstByte, uint8_t secondByte, bool expectMasked);
  // Checks the decoded payload length: most significant bit, message size limit.
  bool checkPayloadLength(bool control, uint64_t payloadLength);
  // Deliver one complete, unmasked data frame: a whole message (fin), the first fragment of a
  // fragmented one, or a continuation (the message once `fin`).
  bool deliverDataFrame(bool binary, bool fin, std::string_view payload, MessageSink& sink);
  bool startFragmentedMessage(bool binary, std::string_view firstFragment);
  bool deliverContinuation(bool fin, std::string_view payload, MessageSink& sink);
  // Validates and delivers a close frame ending at `frameEnd` (stored in *consumed first); the
  // parser then stops.
  bool deliverClose(std::string_view payload, size_t frameEnd, size_t* consumed, MessageSink& sink);

  // Records the (sticky) error and drops the message in progress. Cold: lets the compiler lay
  // out the valid-frame path of parse() as the straight line.
  [[gnu::cold]] void recordError(uint16_t code, std::string_view reason);
  // recordError(), then false: the steps `return fail(...)`.
  bool fail(uint16_t code, std::string_view reason);
  void releaseFragments();

  Role role_;
  ParserLimits limits_;
  bool inMessage_ = false;  // a fragmented data message is in progress
  bool messageBinary_ = false;
  bool closed_ = false;
  std::optional<ParseError> error_;  // sticky once set
  std::string fragments_;            // reassembly buffer; empty with no capacity when idle
  Utf8Validator utf8_;               // state for the fragmented text message in progress
};

}  // namespace wps::ws
