// Fuzz target for wps::ws::MessageParser (and wps::Utf8Validator).
//
// Input layout: byte 0 selects the role (bit 7: 0 = server, 1 = client) and the chunk size the
// rest is fed in (bits 0-6: 0 = everything at once, otherwise 1..127 bytes per read). The rest
// is the byte stream received from the peer.
//
// Checks, beyond "no crash, leak or hang" under ASan/UBSan:
//  - feeding in chunks delivers exactly the same events and error as feeding everything at once;
//  - parse() never reports more consumed bytes than it was given, never buffers more than the
//    limit, and leaves a tail whose announced frame size respects the limit;
//  - every delivered event survives an encode → parse round trip (single frame and fragmented);
//  - Utf8Validator fed in chunks agrees with wps::isValidUtf8 on the whole input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.h"
#include "protocol/websocket/frame.h"
#include "protocol/websocket/parser.h"

namespace {

using wps::ws::encodeClosePayload;
using wps::ws::encodeFrame;
using wps::ws::encodeFrameHeader;
using wps::ws::MessageParser;
using wps::ws::MessageSink;
using wps::ws::Opcode;
using wps::ws::ParseError;
using wps::ws::ParserLimits;
using wps::ws::Role;

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

constexpr size_t kLimit = 64 * 1024;
constexpr size_t kWhole = SIZE_MAX;

enum Kind { kText, kBinary, kPing, kPong, kClose };

struct Event {
  Kind kind;
  std::string payload;
  std::optional<uint16_t> code;
  bool operator==(const Event&) const = default;
};

class Sink : public MessageSink {
 public:
  void onMessage(bool binary, std::string_view payload) override {
    FUZZ_CHECK(payload.size() <= kLimit);
    FUZZ_CHECK(binary || wps::isValidUtf8(payload));
    events.push_back({binary ? kBinary : kText, std::string(payload), std::nullopt});
  }
  void onPing(std::string_view payload) override {
    FUZZ_CHECK(payload.size() <= 125);
    events.push_back({kPing, std::string(payload), std::nullopt});
  }
  void onPong(std::string_view payload) override {
    FUZZ_CHECK(payload.size() <= 125);
    events.push_back({kPong, std::string(payload), std::nullopt});
  }
  void onClose(std::optional<uint16_t> code, std::string_view reason) override {
    FUZZ_CHECK(reason.size() <= 123);
    FUZZ_CHECK(code || reason.empty());
    FUZZ_CHECK(!code || wps::ws::isValidReceivedCloseCode(*code));
    FUZZ_CHECK(wps::isValidUtf8(reason));
    events.push_back({kClose, std::string(reason), code});
  }
  std::vector<Event> events;
};

struct Run {
  std::vector<Event> events;
  std::optional<ParseError> error;
  bool closed = false;
  size_t leftover = 0;
};

// Feeds `wire` in chunks as a connection would: append, parse, drop what was consumed.
Run feed(Role role, std::string_view wire, size_t chunk) {
  MessageParser parser(role, ParserLimits{kLimit});
  Sink sink;
  std::string buffer;
  Run run;
  size_t pos = 0;
  do {
    const size_t n = std::min(chunk, wire.size() - pos);
    buffer.append(wire.data() + pos, n);
    pos += n;
    size_t consumed = SIZE_MAX;
    run.error = parser.parse(buffer.data(), buffer.size(), &consumed, sink);
    FUZZ_CHECK(consumed <= buffer.size());
    FUZZ_CHECK(parser.pendingFragmentBytes() <= kLimit);
    if (run.error) {
      FUZZ_CHECK(run.error->closeCode == 1002 || run.error->closeCode == 1007 ||
                 run.error->closeCode == 1009);
      FUZZ_CHECK(!run.error->reason.empty() && run.error->reason.size() <= 123);
      FUZZ_CHECK(parser.pendingFragmentBytes() == 0);
      break;
    }
    buffer.erase(0, consumed);
    if (!parser.closeReceived()) {
      // Every complete frame was consumed, and a complete header in the tail was validated.
      const size_t need = parser.minimumBytesForNextFrame(buffer.data(), buffer.size());
      FUZZ_CHECK(need > buffer.size());
      FUZZ_CHECK(need <= wps::ws::kMaxFrameHeaderBytes + kLimit);
    }
  } while (pos < wire.size());
  run.events = std::move(sink.events);
  run.closed = parser.closeReceived();
  run.leftover = buffer.size();
  return run;
}

// Parses `wire` all at once with a fresh parser and expects exactly `expected`.
void expectParsesTo(Role role, std::string wire, const Event& expected) {
  MessageParser parser(role, ParserLimits{kLimit});
  Sink sink;
  size_t consumed = 0;
  FUZZ_CHECK(!parser.parse(wire.data(), wire.size(), &consumed, sink));
  FUZZ_CHECK(consumed == wire.size());
  FUZZ_CHECK(sink.events.size() == 1 && sink.events[0] == expected);
}

void roundTrip(const Event& e, const uint8_t key[4]) {
  Opcode op = Opcode::kText;
  std::string payload = e.payload;
  switch (e.kind) {
    case kText:
      op = Opcode::kText;
      break;
    case kBinary:
      op = Opcode::kBinary;
      break;
    case kPing:
      op = Opcode::kPing;
      break;
    case kPong:
      op = Opcode::kPong;
      break;
    case kClose:
      op = Opcode::kClose;
      payload = encodeClosePayload(e.code.value_or(0), e.payload);
      break;
  }
  expectParsesTo(Role::kServer, encodeFrame(op, payload, key), e);
  expectParsesTo(Role::kClient, encodeFrame(op, payload), e);
  if (e.kind == kText || e.kind == kBinary) {
    // The same message in two fragments, masked, split in the middle.
    const size_t half = payload.size() / 2;
    std::string wire;
    uint8_t header[wps::ws::kMaxFrameHeaderBytes];
    size_t h = encodeFrameHeader(header, op, false, half, key);
    wire.append(reinterpret_cast<char*>(header), h);
    std::string part = payload.substr(0, half);
    wps::ws::applyMask(part.data(), part.size(), key);
    wire += part;
    h = encodeFrameHeader(header, Opcode::kContinuation, true, payload.size() - half, key);
    wire.append(reinterpret_cast<char*>(header), h);
    part = payload.substr(half);
    wps::ws::applyMask(part.data(), part.size(), key);
    wire += part;
    expectParsesTo(Role::kServer, wire, e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Role role = (data[0] & 0x80) ? Role::kClient : Role::kServer;
  const size_t chunk = (data[0] & 0x7F) == 0 ? kWhole : (data[0] & 0x7F);
  const std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Run whole = feed(role, wire, kWhole);
  const Run chunked = feed(role, wire, chunk);
  FUZZ_CHECK(whole.events == chunked.events);
  FUZZ_CHECK(whole.error.has_value() == chunked.error.has_value());
  if (whole.error) {
    FUZZ_CHECK(whole.error->closeCode == chunked.error->closeCode);
    FUZZ_CHECK(whole.error->reason == chunked.error->reason);
  } else {
    FUZZ_CHECK(whole.closed == chunked.closed);
    if (!whole.closed) FUZZ_CHECK(whole.leftover == chunked.leftover);
  }

  const uint8_t key[4] = {data[0], static_cast<uint8_t>(size), 0xA5, 0x3C};
  for (const Event& e : whole.events)
    roundTrip(e, key);

  wps::Utf8Validator validator;
  bool ok = true;
  for (size_t pos = 0; pos < wire.size(); pos += std::min(chunk, wire.size())) {
    ok = validator.feed(wire.substr(pos, chunk)) && ok;
  }
  FUZZ_CHECK((ok && validator.complete()) == wps::isValidUtf8(wire));
  return 0;
}
